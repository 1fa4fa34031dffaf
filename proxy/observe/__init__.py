"""What the proxy did, kept for the operator: the request a line of log belongs to, the
last requests with what each upstream received, each upstream's last success and error.

    observer = Observer(config.upstreams)
    transport = observer.watch(transport)      # every upstream attempt is seen here
    entry = observer.begin(incoming)           # at ingress: the request's context
    ... observer.end(entry, reply.status)

One source for the logs (proxy/logs.py reads the context) and the UI (proxy/ui/):
they cannot disagree. Knows no vendor by name.
"""

from .context import Attempt, RequestEntry, delivering, fields, note_request, shown_ms
from .journal import Journal
from .rates import RateWindow
from .transport import ObservedTransport, Observer, Seen

__all__ = [
    "Attempt",
    "Journal",
    "ObservedTransport",
    "Observer",
    "RateWindow",
    "RequestEntry",
    "Seen",
    "delivering",
    "fields",
    "note_request",
    "shown_ms",
]
