"""The vendor registry (proxy/vendors/__init__.py) finds the built-in vendor folders and those
under FEEDBACK_PROXY_VENDORS, and refuses a broken folder with a ConfigError naming it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from proxy import vendors
from proxy.errors import ConfigError


def folder(root: Path, name: str, mapping: str | None) -> Path:
    path = root / name
    path.mkdir(parents=True)
    if mapping is not None:
        (path / "mapping.yaml").write_text(mapping)
    return path


def test_the_built_in_vendors_are_the_folders_beside_the_registry():
    assert vendors.discover("").keys() == {"langfuse", "opik", "otel", "scale", "tracia"}
    opik = vendors.get("opik")
    assert opik.folder == vendors.BUILTIN / "opik"
    assert (opik.mapping.name, opik.history.name, opik.fixtures.name) == ("mapping.yaml", "history.yaml", "fixtures")
    assert opik.codec().__name__ == "proxy.vendors.opik.codec" and opik.fake().__name__ == "proxy.vendors.opik.fake"
    assert opik.profile["base_path"] == "/api"


def test_a_folder_without_a_mapping_is_refused_naming_it(tmp_path):
    broken = folder(tmp_path, "acme", None)
    (broken / "fake.py").write_text("")
    with pytest.raises(ConfigError) as err:
        vendors.discover(str(tmp_path))
    assert err.value.message == f"vendor folder {broken}: no mapping.yaml (every vendor folder holds its mapping)"


def test_a_mapping_that_names_another_vendor_is_refused(tmp_path):
    folder(tmp_path, "acme", "vendor: acme2\n")
    with pytest.raises(ConfigError) as err:
        vendors.discover(str(tmp_path))
    assert err.value.message == (
        f"{tmp_path / 'acme' / 'mapping.yaml'}: says `vendor: acme2`; it must be the folder's name, `vendor: acme`"
    )


def test_a_folder_that_takes_a_built_in_vendors_name_or_is_missing_is_refused(tmp_path):
    folder(tmp_path, "opik", "vendor: opik\n")
    with pytest.raises(ConfigError, match=r"names vendor 'opik', which .*proxy/vendors/opik is already"):
        vendors.discover(str(tmp_path))
    with pytest.raises(ConfigError, match="is not a directory"):
        vendors.discover(str(tmp_path / "nowhere"))


def test_an_unknown_vendor_is_a_config_error():
    with pytest.raises(ConfigError, match="no vendor 'acme'; known: langfuse, opik, otel, scale, tracia"):
        vendors.get("acme")


def test_the_cli_says_what_is_broken_in_one_line(tmp_path):
    folder(tmp_path, "acme", "vendor: acme2\n")
    out = subprocess.run(
        [sys.executable, "-m", "proxy", "fake-upstream", "--vendor", "acme", "--port", "9"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, vendors.ENV: str(tmp_path)},
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr == (
        f"feedback-proxy: {tmp_path / 'acme' / 'mapping.yaml'}: says `vendor: acme2`; "
        "it must be the folder's name, `vendor: acme`\n"
    )
