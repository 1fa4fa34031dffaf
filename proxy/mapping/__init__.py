"""The mapping engine: vendor YAML files compiled once into pure closures."""

from __future__ import annotations

from pathlib import Path


from .. import yamlsrc
from ..errors import ConfigError
from .decode import WireRequest
from .spec import VendorSpec
from .vendor import VendorMapping

__all__ = ["VendorMapping", "WireRequest", "load_vendor", "load_all", "builtin_dir"]


def builtin_dir() -> Path:
    """The mappings shipped with the package (the repo's `mappings/`)."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "mappings", package.parent / "mappings"):  # an install, a checkout
        if candidate.is_dir():
            return candidate
    raise ConfigError(f"the built-in mappings are missing: neither {package.parent / 'mappings'} nor {package / 'mappings'} exists")


def load_vendor(path: Path) -> VendorMapping:
    spec = yamlsrc.load_model(path, VendorSpec)
    try:
        return VendorMapping(spec)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc.message}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None


def load_all(directory: Path | None = None) -> dict[str, VendorMapping]:
    directory = directory or builtin_dir()
    out = {}
    for path in sorted(directory.glob("*.yaml")):
        m = load_vendor(path)
        out[m.vendor] = m
    if not out:
        raise ConfigError(f"no mapping files (*.yaml) in {directory}")
    return out
