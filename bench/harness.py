"""Shared by the benchmarks: start a server process, drive it with wrk, describe the machine."""

from __future__ import annotations

import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`python bench/servers.py KIND PORT [ARG]` as a child process, up until the with-block ends."""

    def __init__(self, kind: str, port: int, arg: str | None = None):
        self.kind, self.port = kind, port
        self.url = f"http://127.0.0.1:{port}"
        cmd = [sys.executable, str(HERE / "servers.py"), kind, str(port)] + ([arg] if arg else [])
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})

    def __enter__(self) -> "Server":
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.kind} server exited with {self.proc.returncode}")
                time.sleep(0.05)
        raise RuntimeError(f"{self.kind} server did not start")

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        self.proc.wait(10)

    def rss_mb(self) -> float:
        try:
            text = Path(f"/proc/{self.proc.pid}/status").read_text()
        except OSError:
            return 0.0
        m = re.search(r"VmHWM:\s+(\d+) kB", text)
        return int(m.group(1)) / 1024 if m else 0.0

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(url: str, body: str, connections: int, seconds: int, method: str = "PUT", headers: dict | None = None, rate: int | None = None) -> dict:
    """Run wrk (one thread per 32 connections, at most 2) and parse req/s and latency percentiles."""
    headers = {"Content-Type": "application/json", **(headers or {})}
    lua = f'wrk.method = "{method}"\nwrk.body = [[{body}]]\n' + "".join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in headers.items())
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua)
    threads = max(1, min(2, connections // 16))
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", f.name, url],
                         capture_output=True, text=True, check=True).stdout
    os.unlink(f.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": _ms(out, "50%"), "p99": _ms(out, "99%"), "non2xx": int(errors.group(1)) if errors else 0}


def _ms(out: str, pct: str) -> float:
    m = re.search(rf"{re.escape(pct)}\s+([\d.]+)(us|ms|s)", out)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def machine() -> str:
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    import aiohttp, httpx, starlette, uvicorn  # noqa: E401

    return (f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, starlette {starlette.__version__}, "
            f"uvicorn {uvicorn.__version__}, httpx {httpx.__version__}, aiohttp {aiohttp.__version__}, {time.strftime('%Y-%m-%d')}")
