"""The pieces under the UI and the logs, alone: the journal's bounds, the rate window,
the request context, the config's admin: and log: sections."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from proxy import config as config_mod
from proxy.errors import ConfigError, UpstreamError
from proxy.observe import Journal, Observer, RateWindow, context
from proxy.opsconfig import log_format, log_level
from proxy.store.outbox import OutboxItem
from proxy.ui import views
from proxy.upstream import MockTransport, Response


def attempt(
    upstream: str = "scale", status: int | None = 200, body: bytes = b"{}", via: str = "inline"
) -> context.Attempt:
    return context.Attempt(upstream, "scale", via, "POST", "/v5/x", 1, 0.0, 1.0, status, body, len(body))


def test_the_journal_keeps_the_last_requests_and_their_last_attempts():
    journal = Journal(size=3)
    entries = [journal.begin(f"r{i}", "PUT", f"/p{i}", client_id=f"c{i}") for i in range(5)]
    assert [e.request_id for e in journal.recent()] == ["r4", "r3", "r2"] and journal.get("r0") is None
    assert journal.get("c3") is entries[3]  # by the client's X-Request-Id
    for i in range(context.ATTEMPTS_KEPT + 4):
        journal.attempted(attempt(body=b"%d" % i))  # the current request: r4
    assert entries[4].attempts_made == context.ATTEMPTS_KEPT + 4 and len(entries[4].attempts) == context.ATTEMPTS_KEPT
    assert [a.body for a in entries[4].attempts] == [b"%d" % i for i in range(4, context.ATTEMPTS_KEPT + 4)]  # the last
    assert [e.request_id for e in journal.recent(query="/p3")] == ["r3"]


def test_a_workers_attempt_reaches_every_request_it_carries():
    journal = Journal()
    journal.begin("a", "PUT", "/x")
    journal.begin("b", "PUT", "/y")

    async def deliver():
        context.REQUEST.set(None)
        items = [
            OutboxItem(1, "scale", None, "a", 2, 0.0),
            OutboxItem(2, "scale", None, "b", 0, 0.0),
            OutboxItem(3, "scale", None, "gone", 0, 0.0),
        ]
        context.delivering("scale", items)
        assert context.fields()["request_ids"] == ["a", "b", "gone"] and context.fields()["attempt"] == 3
        journal.attempted(attempt(via="outbox"))

    asyncio.run(deliver())
    assert [len(journal.get(i).attempts) for i in ("a", "b")] == [1, 1]


def test_durations_are_kept_as_measured_and_shown_to_the_hundredth_of_a_millisecond():
    journal = Journal()
    entry = journal.begin("r", "PUT", "/p")
    entry.started -= 0.0123456
    context.note_request("scale", "create", 200)
    journal.end(entry, 200)
    assert entry.duration_ms > 12.3456  # not rounded where it is kept
    assert views.request_summary(entry)["duration_ms"] == round(entry.duration_ms, 2)
    assert context.fields()["duration_ms"] == round(entry.duration_ms, 2)  # a log line's
    a = attempt()
    a.duration_ms = 1.23456
    assert views.attempt_summary(a)["duration_ms"] == 1.23


def test_client_request_ids_are_kept_only_when_sane():
    assert context.client_request_id(" abc-123 ") == "abc-123"
    for bad in ("", "two words", "x" * 129, "line\nbreak", None):
        assert context.client_request_id(bad) is None


def test_the_rate_window_counts_the_last_minute():
    w = RateWindow(60)
    for t in (1000, 1000.5, 1001, 1030):
        w.add("scale", now=t)
    w.add("opik", 5, now=1030)
    assert (
        w.count("scale", now=1030) == 4
        and w.count("scale", now=1060.5) == 2
        and w.count("scale", now=1061) == 1
        and w.count("scale", now=1091) == 0
    )
    assert w.total(now=1030) == 9 and w.per_second("opik", now=1030) == round(5 / 60, 2)


async def test_the_observed_transport_remembers_success_and_error_per_upstream():
    from proxy.config import Upstream

    ups = {
        "opik": Upstream(vendor="opik", base_url="http://h:1/api"),
        "scale": Upstream(vendor="scale", base_url="http://h:2"),
    }
    observer = Observer(ups)

    def answer(method, url, headers, body):
        if url.startswith("http://h:2"):
            raise UpstreamError("cannot reach http://h:2: refused")
        return Response(503, {}, b'{"detail": "busy"}')

    transport = observer.watch(MockTransport(answer))
    assert observer.watch(transport) is transport
    assert (await transport.send("PUT", "http://h:1/api/v1/x", {}, b"{}", 1)).status == 503
    with pytest.raises(UpstreamError):
        await transport.send("POST", "http://h:2/v5/y", {}, None, 1)
    assert observer.seen["opik"].last_error == '503 to PUT /v1/x: {"detail": "busy"}'
    assert (
        observer.seen["scale"].last_error == "cannot reach http://h:2: refused"
        and observer.seen["scale"].last_success_at is None
    )


def test_the_admin_section(tmp_path):
    def load(text: str, **env):
        path = tmp_path / "c.yaml"
        path.write_text(text)
        return config_mod.load(path, env)

    assert load("admin: {key: '${ADMIN_KEY}'}", ADMIN_KEY="k" * 16).admin.enabled
    assert not load("admin: {key: '${ADMIN_KEY:-}'}").admin.enabled  # unset: the UI stays off
    with pytest.raises(ConfigError, match="admin.key is shorter than 16"):
        load("admin: {key: short-key}")
    with pytest.raises(ConfigError, match="Extra inputs"):
        load("admin: {kee: x}")
    digest = hashlib.sha256(b"a-long-admin-key-0000").hexdigest()
    assert load(f"admin: {{key_sha256: {digest}}}").admin.enabled
    assert "a-long-admin-key-0000" not in repr(load("admin: {key: a-long-admin-key-0000}"))


def test_the_log_section_and_the_older_log_level(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("log_level: debug\n")
    cfg = config_mod.load(path)
    assert (log_level(cfg), log_format(cfg)) == ("debug", "auto")
    path.write_text("log_level: debug\nlog: {level: warning, format: json}\n")
    cfg = config_mod.load(path)
    assert (log_level(cfg), log_format(cfg)) == ("warning", "json")
    path.write_text("log: {format: xml}\n")
    with pytest.raises(ConfigError, match="log::format"):
        config_mod.load(path)
