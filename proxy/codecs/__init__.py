"""Codecs: what a mapping file cannot say well, as named pure functions.

A mapping rule calls one with `fn: <module>.<function>`; each function takes
(value, sources) and returns the new value. `core` (proxy/codecs/core.py) holds the
vendor-neutral ones; any other module is a vendor's codec.py in its folder
(proxy/vendors/<vendor>/codec.py, found by the vendor registry).
"""

from __future__ import annotations

import importlib
from typing import Callable

from .. import vendors
from ..errors import ConfigError


def resolve(name: str) -> Callable:
    """'core.first' -> proxy.codecs.core.first; '<vendor>.error_body' -> that vendor folder's codec.error_body."""
    module, _, func = name.partition(".")
    if not func or not module.isidentifier():
        raise ConfigError(f"fn {name!r} must be <codec>.<function>")
    if module == "core":
        mod = importlib.import_module(f"{__name__}.core")
    else:
        mod = vendors.get(module).codec() if module in vendors.names() else None
        if mod is None:
            raise ConfigError(f"fn {name!r}: no codec module {module!r}")
    f = getattr(mod, func, None)
    if not callable(f) or func.startswith("_"):
        raise ConfigError(f"fn {name!r}: codec {module!r} has no function {func!r}")
    return f
