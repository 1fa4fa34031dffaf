"""Drives the installed langfuse SDK (5.x from the test extra, or 4.x from its own site directory
on PYTHONPATH) against the proxy, as an application would: the auth check, a span with a
generation in it (exported over OTLP), scores, flush, the delete of one score, and shutdown.
Prints one JSON line: the SDK's version and the ids it used. Its log goes
to stderr (WARNING and above), where the test looks for errors.

    LANGFUSE_BASE_URL=http://127.0.0.1:PORT LANGFUSE_PUBLIC_KEY=pk-lf-... LANGFUSE_SECRET_KEY=sk-lf-... python driver.py
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from importlib.metadata import version

logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

from langfuse import Langfuse  # noqa: E402

TRACE, OBS = "7420155d50778037afc0bd9a5c923ab2", "0123456789abcdef"
WHEN = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)

lf = Langfuse(
    public_key=os.environ["LANGFUSE_PUBLIC_KEY"],
    secret_key=os.environ["LANGFUSE_SECRET_KEY"],
    base_url=os.environ["LANGFUSE_BASE_URL"],
    environment="staging",
    flush_interval=0.2,
)
assert lf.auth_check() is True
with lf.start_as_current_observation(as_type="span", name="chat", input={"q": "2+2"}) as root:
    with lf.start_as_current_observation(
        as_type="generation", name="llm", model="gpt-4o", input=[{"role": "user", "content": "2+2"}]
    ) as gen:
        gen.update(output="4", usage_details={"input": 3, "output": 1})
        traced, observed = lf.get_current_trace_id(), lf.get_current_observation_id()
    root.update(output={"a": "4"})
lf.create_score(name="correct", value=1.0, trace_id=traced, observation_id=observed, score_id="s-span", timestamp=WHEN)
lf.create_score(
    name="relevance",
    value=0.9,
    trace_id=TRACE,
    observation_id=OBS,
    score_id="s-relevance",
    comment="on topic",
    metadata={"run": 3},
    timestamp=WHEN,
)
lf.create_score(name="tone", value="polite", trace_id=TRACE, score_id="s-tone", data_type="CATEGORICAL", timestamp=WHEN)
lf.create_score(name="helpful", value=1, trace_id=TRACE, score_id="s-helpful", data_type="BOOLEAN", timestamp=WHEN)
lf.create_score(name="resolved", value=1.0, session_id="session-1", score_id="s-session", timestamp=WHEN)
lf.flush()
if hasattr(lf.api.scores, "delete"):  # 5.x: api.scores.delete; 4.x: the legacy v1 route, the same request
    lf.api.scores.delete("s-tone")
else:
    lf.api.legacy.score_v1.delete("s-tone")
lf.shutdown()
made = {"version": version("langfuse"), "trace": TRACE, "observation": OBS, "traced": traced, "observed": observed}
print(json.dumps(made))
