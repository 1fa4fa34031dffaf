"""Which span is a trace's root, as the proxy has seen the trace's spans.

A vendor with no trace object (Tracia: its spans carry the trace id) takes a trace's score
on the trace's root span, as Scale itself puts an assessment written with no span_id. The
root is the first span of the trace with no parent the proxy saw (an Opik trace may have
several top-level spans): kept beside the spans, under "<vendor>:root:<trace id>".
"""

from __future__ import annotations

from .model import Ref, Span, span_key
from .store import IdRegistry


def root_key(trace: Ref) -> str:
    return span_key(trace.vendor, "root", trace.value)


def remember_root(store: IdRegistry, span: Span) -> None:
    """Kept once, for good, and only once the span's create has been seen (it has a start):
    an update may leave the parent out."""
    parentless = span.entity == "span" and span.parent_id is None and bool(span.start_time)
    if not parentless or span.trace_id is None or span.span_id is None:
        return
    key = root_key(span.trace_id)
    if store.get_span(key) is None:
        store.put_span(key, Span(trace_id=span.trace_id, span_id=span.span_id, id=key))


def root_of(store: IdRegistry, trace: Ref) -> Ref | None:
    """The root span of a trace, where the proxy has seen it; a trace id the proxy derived from
    another vendor's is that vendor's trace."""
    root = store.get_span(root_key(trace))
    if root is None and (origin := store.origin_of(trace.vendor, trace.value)) is not None:
        root = store.get_span(root_key(Ref(*origin)))
    return root.span_id if root is not None else None
