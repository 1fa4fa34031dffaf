"""The operator UI: a page at /ui and the JSON API under /ui/api it calls (proxy/ui/api.py)."""

from .api import routes

__all__ = ["routes"]
