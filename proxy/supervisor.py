"""`serve --workers N`: the parent process that forks N workers on one listening socket and
starts another when one dies (proxy/cli.py's `serve` calls it)."""

from __future__ import annotations

import logging

from .errors import ConfigError


def serve_workers(cfg, mappings, host: str, port: int, workers: int, fakes: bool) -> int:
    """`serve --workers N`: N processes, forked from this one, accept on one listening
    socket; each has its own app, outbox workers and store connections, and they share
    the work through the store (SQLite's claims take the write lock, PostgreSQL's skip
    rows locked by another). This process only watches: a worker that dies is started
    again; SIGTERM or SIGINT stops them all (each finishes what it is answering)."""
    import contextlib
    import os
    import signal
    import socket
    import time

    import uvicorn

    from . import serving
    from .app import create_app
    from .store import open_store

    log = logging.getLogger("proxy")
    if cfg.store in ("", "memory://"):
        raise ConfigError(
            "serve --workers needs a store the processes share (sqlite:///... or postgresql://...), not memory://"
        )
    # the schema, created once before the workers start
    store = open_store(cfg.store, cfg.store_sync, cfg.store_busy_timeout)
    getattr(store, "close", lambda: None)()
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)

    def start() -> int:
        pid = os.fork()
        if pid:
            return pid
        code = 1
        try:  # the child: its own event loop, app and store, built after the fork
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            app = create_app(cfg, mappings=mappings)
            uvicorn.Server(serving.uvicorn_config(app, cfg, host, port)).run(sockets=[sock])
            code = 0
        except BaseException:  # noqa: BLE001 - a child must never return into the parent's code
            log.exception("worker %d failed", os.getpid())
        finally:
            os._exit(code)

    children = {start() for _ in range(workers)}
    log.info(
        "serving on %s:%d with %d worker processes (pids %s)", host, port, workers, " ".join(map(str, sorted(children)))
    )
    stopping = False

    def stop(signum, frame) -> None:
        nonlocal stopping
        stopping = True
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if fakes:
        from .testing import start_fakes

        start_fakes(cfg)
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        children.discard(pid)
        if not stopping:
            log.error("worker %d exited (status %d): starting another", pid, status)
            time.sleep(0.5)
            children.add(start())
    sock.close()
    return 0
