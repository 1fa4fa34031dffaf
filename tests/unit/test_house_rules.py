"""The house rules CI enforces through the suite: the import contracts in pyproject.toml
([tool.importlinter]: layers core -> mapping -> vendors -> codecs -> model, nothing below the
core importing it, no package cycles, lazy imports included); ruff's format and lint
([tool.ruff]); no line of Python over 120 columns and no module of proxy/ over 300 lines."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def _tool(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def test_the_code_is_formatted_and_lint_clean():
    fmt = subprocess.run(
        [_tool("ruff"), "format", "--check", "."], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert fmt.returncode == 0, fmt.stdout[-3000:] + fmt.stderr[-2000:]
    lint = subprocess.run([_tool("ruff"), "check", "."], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert lint.returncode == 0, lint.stdout[-3000:] + lint.stderr[-2000:]


def _python_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.split()
    return [ROOT / name for name in listed if (ROOT / name).exists() and not name.startswith("tests/sdk/node/")]


def test_no_line_over_120_columns_and_no_module_of_the_proxy_over_300_lines():
    files = _python_files()
    assert any(f.name == "pipeline.py" for f in files)  # the listing found the code
    long = [
        f"{f.relative_to(ROOT)}:{n}"
        for f in files
        for n, line in enumerate(f.read_text().splitlines(), 1)
        if len(line) > 120
    ]
    big = [
        f"{f.relative_to(ROOT)}: {len(f.read_text().splitlines())}"
        for f in files
        if f.relative_to(ROOT).parts[0] == "proxy" and len(f.read_text().splitlines()) > 300
    ]
    assert long == [] and big == []
