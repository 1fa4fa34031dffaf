"""Vendor codecs: what a mapping file cannot say well, as named pure functions.

A mapping rule calls one with `fn: <module>.<function>`; each function takes
(value, sources) and returns the new value. `core` holds the vendor-neutral ones.
"""

from __future__ import annotations

import importlib
from typing import Callable

from ..errors import ConfigError


def resolve(name: str) -> Callable:
    """'tracia.error_body' -> proxy.codecs.tracia.error_body."""
    module, _, func = name.partition(".")
    if not func or not module.isidentifier():
        raise ConfigError(f"fn {name!r} must be <codec>.<function>")
    try:
        mod = importlib.import_module(f"{__name__}.{module}")
    except ModuleNotFoundError:
        raise ConfigError(f"fn {name!r}: no codec module {module!r}") from None
    f = getattr(mod, func, None)
    if not callable(f) or func.startswith("_"):
        raise ConfigError(f"fn {name!r}: codec {module!r} has no function {func!r}")
    return f
