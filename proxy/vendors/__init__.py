"""The vendor registry: one folder per wire format (README, Adding a vendor: one folder).

    proxy/vendors/<name>/   mapping.yaml (`vendor: <name>`), history.yaml (optional: the back-fill
                            reads it), codec.py (optional: `fn: <name>.func`), fake.py (the fake
                            upstream's answers), profile.yaml (the test profile), fixtures/, README.md

The built-in folders are the ones beside this file; FEEDBACK_PROXY_VENDORS names more
directories that hold vendor folders (os.pathsep-separated), so a user adds a vendor without
forking. A folder is checked when it is found: a missing mapping.yaml, or a `vendor:` that is
not the folder's name, is a ConfigError that names the folder.

    names()            -> ["opik", "scale", "tracia", ...]   sorted
    get(name)          -> Vendor (ConfigError when there is none)
    get(name).codec()  -> the codec module, or None;  get(name).fake() -> the fake module
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from ..errors import ConfigError

ENV = "FEEDBACK_PROXY_VENDORS"
BUILTIN = Path(__file__).resolve().parent
RESERVED = {"core"}  # `fn: core.func` is the vendor-neutral proxy/codecs/core.py


@dataclass(frozen=True)
class Vendor:
    name: str
    folder: Path
    package: str | None  # the import name of a built-in folder; None for one named by FEEDBACK_PROXY_VENDORS
    profile: dict[str, Any] = field(default_factory=dict)  # profile.yaml: keys, headers, base path (tests, bench)

    @property
    def mapping(self) -> Path:
        return self.folder / "mapping.yaml"

    @property
    def history(self) -> Path | None:
        path = self.folder / "history.yaml"
        return path if path.is_file() else None

    @property
    def fixtures(self) -> Path:
        return self.folder / "fixtures"

    def codec(self) -> ModuleType | None:
        return self._module("codec")

    def fake(self) -> ModuleType:
        module = self._module("fake")
        if module is None:
            raise ConfigError(f"vendor {self.name!r} has no fake upstream: no fake.py in {self.folder}")
        return module

    def _module(self, part: str) -> ModuleType | None:
        if not (self.folder / f"{part}.py").is_file():
            return None
        if self.package:
            return importlib.import_module(f"{self.package}.{part}")
        # a folder outside the package: loaded from its file, under a name of that file's own
        name = f"feedback_proxy_vendor_{self.name}_{part}_{hashlib.sha256(str(self.folder).encode()).hexdigest()[:12]}"
        if name not in sys.modules:
            spec = importlib.util.spec_from_file_location(name, self.folder / f"{part}.py")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[name]
                raise
        return sys.modules[name]


def _read_vendor(folder: Path, package: str | None) -> Vendor:
    name = folder.name
    mapping = folder / "mapping.yaml"
    if not mapping.is_file():
        raise ConfigError(f"vendor folder {folder}: no mapping.yaml (every vendor folder holds its mapping)")
    if not name.isidentifier() or name in RESERVED:
        raise ConfigError(
            f"vendor folder {folder}: {name!r} cannot name a vendor (a Python identifier, not {', '.join(RESERVED)})"
        )
    try:
        said = (yaml.safe_load(mapping.read_text()) or {}).get("vendor")
    except (yaml.YAMLError, AttributeError) as exc:
        raise ConfigError(f"{mapping}: not a YAML mapping: {exc}") from None
    if said != name:
        raise ConfigError(f"{mapping}: says `vendor: {said}`; it must be the folder's name, `vendor: {name}`")
    profile_path = folder / "profile.yaml"
    profile = (yaml.safe_load(profile_path.read_text()) or {}) if profile_path.is_file() else {}
    return Vendor(name, folder, package, profile)


def _folders(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def discover(extra: str | None = None) -> dict[str, Vendor]:
    """Every vendor folder: the built-in ones, then those under the directories `extra` names
    (FEEDBACK_PROXY_VENDORS by default)."""
    found = {v.name: v for v in (_read_vendor(p, f"{__name__}.{p.name}") for p in _folders(BUILTIN))}
    extra = os.environ.get(ENV, "") if extra is None else extra
    for entry in filter(None, extra.split(os.pathsep)):
        directory = Path(entry)
        if not directory.is_dir():
            raise ConfigError(f"{ENV}: {entry} is not a directory (it names directories that hold vendor folders)")
        for folder in _folders(directory):
            vendor = _read_vendor(folder, None)
            if vendor.name in found:
                raise ConfigError(
                    f"{ENV}: {folder} names vendor {vendor.name!r}, which {found[vendor.name].folder} is already"
                )
            found[vendor.name] = vendor
    return dict(sorted(found.items()))


_cache: dict[str, dict[str, Vendor]] = {}


def all_vendors() -> dict[str, Vendor]:
    """The registry, found once per value of FEEDBACK_PROXY_VENDORS."""
    key = os.environ.get(ENV, "")
    if key not in _cache:
        _cache[key] = discover(key)
    return _cache[key]


def names() -> list[str]:
    return list(all_vendors())


def get(name: str) -> Vendor:
    vendors = all_vendors()
    if name not in vendors:
        raise ConfigError(f"no vendor {name!r}; known: {', '.join(vendors)}")
    return vendors[name]


def function(name: str) -> Callable:
    """'core.first' -> proxy.codecs.core.first; '<vendor>.error_body' -> that vendor folder's codec.error_body."""
    module, _, func = name.partition(".")
    if not func or not module.isidentifier():
        raise ConfigError(f"fn {name!r} must be <codec>.<function>")
    if module == "core":
        mod = importlib.import_module("proxy.codecs.core")
    else:
        mod = get(module).codec() if module in names() else None
        if mod is None:
            raise ConfigError(f"fn {name!r}: no codec module {module!r}")
    f = getattr(mod, func, None)
    if not callable(f) or func.startswith("_"):
        raise ConfigError(f"fn {name!r}: codec {module!r} has no function {func!r}")
    return f
