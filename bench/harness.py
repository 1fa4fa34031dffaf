"""Shared by the benchmarks: start a server process, drive it with wrk, describe the machine.

Bodies and paths may hold `@ID@`: every request then gets a fresh 12-hex-digit value
there (each occurrence its own), so no two requests are the same. The proxy answers a
repeated POST from its dedupe store without sending anything, which is not the path
being measured.
"""

from __future__ import annotations

import json
import os
import platform
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TOKEN = "@ID@"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`python bench/servers.py KIND PORT [ARG]` as a child process, up until the with-block ends."""

    def __init__(self, kind: str, port: int, arg: str | None = None, log: Path | None = None, cpu: int | None = None):
        self.kind, self.port = kind, port
        self.url = f"http://127.0.0.1:{port}"
        cmd = [sys.executable, str(HERE / "servers.py"), kind, str(port)] + ([arg] if arg else [])
        if cpu is not None:
            cmd = ["taskset", "-c", str(cpu), *cmd]
        self._log = open(log, "ab") if log else None
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=self._log, stdout=self._log
        )

    def __enter__(self) -> Server:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.kind} server exited with {self.proc.returncode}") from None
                time.sleep(0.05)
        raise RuntimeError(f"{self.kind} server did not start")

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        if self._log:
            self._log.close()

    def rss_mb(self) -> float:
        """Peak resident set size so far (VmHWM)."""
        return _status_kb(self.proc.pid, "VmHWM") / 1024

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def metric(self, name: str) -> float:
        """The sum of a Prometheus series of the proxy's /metrics (0 when absent)."""
        text = urllib.request.urlopen(self.url + "/metrics", timeout=5).read().decode()
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith(name) and not line.startswith("#") and (line[len(name)] in " {")
        )


def _status_kb(pid: int, key: str) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    m = re.search(rf"{key}:\s+(\d+) kB", text)
    return int(m.group(1)) if m else 0


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal for this ASCII text


def wrk_script(method: str, path: str, body: str | None, headers: dict, before: tuple | None = None) -> str:
    """A wrk Lua script; `@ID@` in the path or body becomes a fresh value per request. With `before`
    ((method, path, body)), that request goes first, then this one, both with the same value."""
    head = f"wrk.method = {_lua_string(method)}\n" + "".join(
        f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}\n" for k, v in headers.items()
    )
    if before is not None:
        return head + _rounds([before, (method, path, body)])
    if TOKEN not in path and TOKEN not in (body or ""):
        return (
            head
            + f"wrk.path = {_lua_string(path)}\n"
            + (f"wrk.body = {_lua_string(body)}\n" if body is not None else "")
        )
    return (
        head
        + f"""
local path_t, body_t = {_lua_string(path)}, {_lua_string(body or "")}
local nonce, n = {random.randrange(1 << 16)}, 0
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
local function uid() n = n + 1; return string.format("%04x%02x%06x", nonce, tid or 0, n % 16777216) end
function request()
  local p = string.gsub(path_t, "{TOKEN}", uid)
  local b = string.gsub(body_t, "{TOKEN}", uid)
  return wrk.format(nil, p, nil, {"b" if body is not None else "nil"})
end
"""
    )


def _rounds(steps: list[tuple]) -> str:
    """Lua sending `steps` in turn, each round with one fresh value for every `@ID@` of its requests."""
    table = ", ".join("{" + ", ".join(_lua_string(x) if x is not None else "nil" for x in step) + "}" for step in steps)
    return f"""
local steps = {{{table}}}
local nonce, n, turn, id, checked = {random.randrange(1 << 16)}, 0, 0, nil, false
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
function request()
  if turn == 0 then n = n + 1; id = string.format("%04x%02x%06x", nonce, tid or 0, n % 16777216) end
  local s = steps[turn + 1]
  -- wrk calls request() once to check the script and sends nothing of it (4.1: thread 1's first call): a
  -- first step alone, so the rounds after it stay whole (where it is sent, it is a first step with no second)
  if checked then turn = (turn + 1) % #steps else checked = true end
  local p = string.gsub(s[2], "{TOKEN}", id)
  local b = s[3] and string.gsub(s[3], "{TOKEN}", id)
  return wrk.format(s[1], p, nil, b)
end
"""


def wrk(
    url: str,
    body: str | None,
    connections: int,
    seconds: float,
    method: str = "PUT",
    headers: dict | None = None,
    path: str | None = None,
    before: tuple | None = None,
) -> dict:
    """Run wrk (one thread per 16 connections, at most 2) on `url` (+ `path`); parse req/s and latency percentiles.
    `before`: a request sent before each, with the same ids (wrk_script)."""
    headers = {"Content-Type": "application/json", **(headers or {})} if body is not None else dict(headers or {})
    if path is None:
        url, path = re.match(r"(https?://[^/]+)(.*)", url).groups()
        path = path or "/"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(wrk_script(method, path, body, headers, before))
    threads = max(1, min(2, connections // 16))
    try:
        out = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "10s",
                "--latency",
                "-s",
                f.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(f.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": rps,
        "requests": total,
        "p50": _ms(out, "50%"),
        "p99": _ms(out, "99%"),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "errors": sum(map(int, errors.groups())) if errors else 0,
    }


def _ms(out: str, pct: str) -> float:
    m = re.search(rf"{re.escape(pct)}\s+([\d.]+)(us|ms|s)", out)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def fill_ids(text: str, nonce: int, counter) -> str:
    """Python's side of the Lua `uid()`: each `@ID@` a fresh 12-hex-digit value."""
    parts = text.split(TOKEN)
    return "".join(
        p + (f"{nonce:04x}ff{next(counter) % (1 << 24):06x}" if i < len(parts) - 1 else "") for i, p in enumerate(parts)
    )


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def busy_processes(exclude: set[int]) -> list[str]:
    """Other processes using a CPU now (from ps), to say in the results how busy the machine was."""
    out = subprocess.run(
        ["ps", "-eo", "pid,pcpu,comm", "--sort=-pcpu"], capture_output=True, text=True
    ).stdout.splitlines()[1:]
    busy = []
    for line in out:
        pid, pcpu, comm = line.split(None, 2)
        if int(pid) not in exclude and float(pcpu) >= 20:
            busy.append(f"{comm} ({float(pcpu):.0f}% CPU)")
    return busy


def versions() -> str:
    import aiohttp  # noqa: E401
    import httpx
    import orjson
    import starlette
    import uvicorn

    try:
        import uvloop

        loop = f"uvloop {uvloop.__version__}"
    except ImportError:
        loop = "no uvloop"
    try:
        import httptools

        parser = f"httptools {httptools.__version__}"
    except ImportError:
        parser = "no httptools"
    wrk_v = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    wrk_v = (wrk_v.stdout + wrk_v.stderr).split("[")[0].strip() or "wrk"
    return (
        f"Python {platform.python_version()}, starlette {starlette.__version__}, uvicorn {uvicorn.__version__} "
        f"({loop}, {parser}), "
        f"aiohttp {aiohttp.__version__}, httpx {httpx.__version__}, orjson {orjson.__version__}, {wrk_v}"
    )


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = (
        _status_kb(os.getpid(), "VmRSS")
        and int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)) // 1024
    )
    return f"{os.cpu_count()} cores ({cpu}), {mem} MiB RAM, {platform.system()} {platform.release()}"
