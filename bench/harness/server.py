"""The app under measurement: uvicorn server processes on free loopback ports, and where the CPU goes meanwhile.

Heavy imports (httpx2, the app) happen inside functions: `python -m bench --help` must not pay for them.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.harness import BenchError

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy import Engine

# What each server process runs, from this checkout: bench is not installed, so it goes on their PYTHONPATH.
APP_FACTORY = "bench.harness.server:app_from_env"
CHECKOUT = Path(__file__).resolve().parents[2]


def app_from_env() -> FastAPI:
    """The app for `uvicorn --factory bench.harness.server:app_from_env`, configured from CROSSROADS_*."""
    from crossroads.app import create_app
    from crossroads.config import Settings
    from crossroads.db.session import get_engine, refresh_planner_statistics

    settings = Settings()
    engine = get_engine(settings.database_url)
    refresh_planner_statistics(engine)
    return create_app(settings, engine)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a process and its children (Linux /proc), or None elsewhere."""
    try:
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0.0
        pending = [pid]
        while pending:
            current = pending.pop()
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            children = Path(f"/proc/{current}/task/{current}/children")
            if children.exists():
                pending += [int(c) for c in children.read_text().split()]
        return total
    except (OSError, ValueError, IndexError):
        return None


def _machine_busy_seconds() -> float | None:
    """CPU time spent by the whole machine, all cores, all processes (Linux /proc/stat)."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        return (sum(values[:8]) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


class CpuMeter:
    """Where the CPU goes during a phase: this process (the clients), the server, the database backends
    serving this database (when PostgreSQL runs on this machine), and the machine as a whole."""

    def __init__(self, server: Server, engine: Engine) -> None:
        self.server = server
        self.engine = engine
        self.start: dict[str, Any] = {}

    def _backends(self) -> dict[int, float]:
        if self.engine.dialect.name != "postgresql" or self.engine.url.host not in (None, "", "localhost",
                                                                                     "127.0.0.1", "::1"):
            return {}
        from sqlalchemy import text

        with self.engine.connect() as conn:
            pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                     "AND pid <> pg_backend_pid()")).scalars().all()
        out = {}
        for pid in pids:
            cpu = _cpu_seconds(pid)
            if cpu is not None:
                out[pid] = cpu
        return out

    def snapshot(self) -> dict[str, Any]:
        return {"client": time.process_time(), "server": self.server.cpu_seconds(), "database": self._backends(),
                "machine": _machine_busy_seconds()}

    def begin(self) -> None:
        self.start = self.snapshot()

    def end(self) -> dict[str, float | None]:
        end, start = self.snapshot(), self.start

        def delta(key: str) -> float | None:
            return None if end[key] is None or start[key] is None else round(end[key] - start[key], 2)

        database = None
        if end["database"]:
            database = round(sum(cpu - start["database"].get(pid, 0.0) for pid, cpu in end["database"].items()), 2)
        return {"client": delta("client"), "server": delta("server"), "database": database,
                "machine": delta("machine")}


@dataclass
class _Process:
    port: int
    process: subprocess.Popen
    log: Any


@dataclass
class Server:
    """The app from CROSSROADS_DATABASE_URL in `workers` uvicorn processes, each on its own free loopback port.

    Not `uvicorn --workers N`: its workers accept on a socket uvicorn binds itself, without IPPROTO_TCP, so
    asyncio leaves Nagle's algorithm on and every response waits for the client's delayed ACK (+40 ms a
    request, measured). Separate single-process servers with clients spread over them, as behind a load
    balancer, measure the app instead.
    """

    database_url: str
    workers: int
    processes: list[_Process] = field(default_factory=list)

    @property
    def base_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{p.port}" for p in self.processes]

    @property
    def base_url(self) -> str:
        return self.base_urls[0]

    def start(self, timeout: float = 90) -> None:
        import httpx2

        env = dict(os.environ, CROSSROADS_DATABASE_URL=self.database_url)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(CHECKOUT), env.get("PYTHONPATH")) if p)
        # The API needs no secret; the HTML forms do. A throwaway one, unless one is configured.
        env.setdefault("CROSSROADS_SECRET_KEY", "bench-only-" + secrets.token_urlsafe(32))
        for _ in range(self.workers):
            port = _free_port()
            log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - lives as long as the server; stop() closes it
            # uvicorn's access log would print query strings (searched names) and cost time per request.
            cmd = [sys.executable, "-m", "uvicorn", "--factory", APP_FACTORY,
                   "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"]
            process = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,  # noqa: S603
                                       start_new_session=True)
            self.processes.append(_Process(port=port, process=process, log=log))
        deadline = time.monotonic() + timeout
        waiting = list(self.processes)
        while waiting and time.monotonic() < deadline:
            for p in list(waiting):
                if p.process.poll() is not None:
                    self.stop()
                    raise BenchError(f"the server exited with status {p.process.returncode}:\n{_tail(p.log)}")
                try:
                    if httpx2.get(f"http://127.0.0.1:{p.port}/healthz", timeout=2).status_code == 200:
                        waiting.remove(p)
                except httpx2.HTTPError:
                    pass
            time.sleep(0.2)
        if waiting:
            tail = _tail(waiting[0].log)
            self.stop()
            raise BenchError(f"the server did not answer within {timeout:.0f} s:\n{tail}")

    def cpu_seconds(self) -> float | None:
        values = [_cpu_seconds(p.process.pid) for p in self.processes]
        return None if not values or None in values else sum(values)

    def stop(self) -> None:
        for p in self.processes:
            if p.process.poll() is None:
                p.process.send_signal(signal.SIGTERM)
        for p in self.processes:
            try:
                p.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                # Each server runs in a session of its own, so its group is that server's processes only.
                os.killpg(p.process.pid, signal.SIGKILL)
                p.process.wait(timeout=10)
            p.log.close()
        self.processes = []

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _tail(log: Any) -> str:
    log.seek(0)
    return "".join(log.readlines()[-30:])
