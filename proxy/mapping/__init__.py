"""The mapping engine: vendor YAML files compiled once into pure closures."""

from __future__ import annotations

from pathlib import Path

from .. import vendors, yamlsrc
from ..errors import ConfigError
from .decode import WireRequest
from .vendor import VendorMapping
from .vendor_spec import VendorSpec

__all__ = ["VendorMapping", "WireRequest", "load_vendor", "load_all"]


def load_vendor(path: Path) -> VendorMapping:
    spec = yamlsrc.load_model(path, VendorSpec)
    try:
        return VendorMapping(spec)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc.message}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None


def load_all(directory: Path | None = None) -> dict[str, VendorMapping]:
    """Every vendor's mapping: the registry's folders (proxy/vendors/), or the `*.yaml` files of
    `directory` (a config's mappings_dir) instead."""
    if directory is None:
        return {name: load_vendor(vendors.get(name).mapping) for name in vendors.names()}
    out = {}
    for path in sorted(directory.glob("*.yaml")):
        m = load_vendor(path)
        out[m.vendor] = m
    if not out:
        raise ConfigError(f"no mapping files (*.yaml) in {directory}")
    return out
