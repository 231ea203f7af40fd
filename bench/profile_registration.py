"""Where a registration's CPU goes: `POST /api/v1/registrations` run in-process, timed and profiled.

`python -m bench profile-registration --json` brings the database at CROSSROADS_DATABASE_URL to the latest
schema, makes sure it holds the bench organisation and P bench people with their blocking keys (bulk-seeded
as `bench dedup` seeds them, so that each registration's duplicate check finds candidates), logs in as a
bench caseworker, and sends R registrations straight to the ASGI app — the app `bench cases` serves, built
the same way — with the bodies the cases benchmark sends (a person from people/synthetic.py and their first
case under a programme weighted as in the demo). No HTTP server and no client run: the bodies are encoded
beforehand and the ASGI messages are plain dicts, so the process's CPU time is the app's (FastAPI, the
services, SQLAlchemy, psycopg, and the audit trail at commit), one registration at a time.

It repeats the R registrations `--runs` times and reports the median CPU milliseconds per registration
(`time.process_time`, every thread of the process: sync endpoints run in a thread pool) and wall
milliseconds; with `--profile N` it then runs N more under cProfile and prints the top functions by their
own and by cumulative time to standard error.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import json
import os
import pstats
import random
import secrets
import statistics
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any
from unittest.mock import patch

import typer

from bench.harness import BenchError
from bench.harness.report import print_result

if TYPE_CHECKING:
    from collections.abc import Callable

    from fastapi import FastAPI


class _AsgiClient:
    """Calls the app as uvicorn does, with the request already parsed: what is measured is the app's work."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()

    def close(self) -> None:
        self.loop.close()

    def post(self, path: str, body: bytes, headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes]:
        return self.loop.run_until_complete(self._request("POST", path, body, headers))

    async def _request(self, method: str, path: str, body: bytes,
                       headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes]:
        scope = {
            "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
            "method": method, "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
            "query_string": b"", "headers": [(b"host", b"127.0.0.1"), (b"content-length", str(len(body)).encode()),
                                             *headers],
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {},
        }
        sent = False
        status = 0
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)


def _bodies(office_id: str, programmes: list[str], weights: list[int], n: int, seed: int) -> list[bytes]:
    """Registration bodies as `bench cases` sends them: people of people/synthetic.py, a weighted programme."""
    from bench.cases import _person_payload
    from crossroads.people.synthetic import generate_people

    rng = random.Random(seed)
    people = generate_people(n, seed=seed)
    return [json.dumps({"person": _person_payload(p, office_id),
                        "case": {"programme": rng.choices(programmes, weights)[0]}}).encode() for p in people]


def _registrations(client: _AsgiClient, bodies: list[bytes], headers: list[tuple[bytes, bytes]]) -> None:
    for body in bodies:
        status, answer = client.post("/api/v1/registrations", body, headers)
        if status != 201:
            raise BenchError(f"a registration answered {status}: {answer[:300]!r}")


def _timed(run: Callable[[], None], n: int) -> tuple[float, float]:
    """CPU and wall milliseconds per registration of one run."""
    cpu, wall = time.process_time(), time.perf_counter()
    run()
    return (time.process_time() - cpu) * 1000 / n, (time.perf_counter() - wall) * 1000 / n


def _top(stats: pstats.Stats, sort: str, limit: int) -> str:
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats(sort).print_stats(limit)
    return out.getvalue()


def run_profile(*, database_url: str, people: int, registrations: int, runs: int, profile: int, top: int,
                seed: int, profile_output: str | None = None, console: Any = None) -> dict[str, Any]:
    """Seed if needed, then time (and optionally profile) registrations in-process; a JSON-ready dict."""
    from bench.dedup_online import seed_people
    from bench.harness.seed import BENCH_PASSWORD, active_programmes, caseworker_email, ensure_world
    from bench.harness.server import app_from_env
    from crossroads.db.session import get_engine
    from crossroads.schema import upgrade_database

    engine = get_engine(database_url)
    upgrade_database(engine)
    seeded = seed_people(engine, people, seed=seed, console=console)
    world = ensure_world(engine)
    found, weights = active_programmes(engine)
    if not found:
        raise BenchError("no active programme to open cases in")
    # The app the cases benchmark serves, configured the same way; the API needs no secret, the forms do.
    secret = os.environ.get("CROSSROADS_SECRET_KEY") or "bench-only-" + secrets.token_urlsafe(32)
    env = {"CROSSROADS_DATABASE_URL": database_url, "CROSSROADS_SECRET_KEY": secret}
    with patch.dict(os.environ, env):
        app = app_from_env()
    client = _AsgiClient(app)
    try:
        office = world.offices[0]
        status, answer = client.post(
            "/api/v1/auth/token", json.dumps({"email": caseworker_email(office.code, 1),
                                              "password": BENCH_PASSWORD}).encode(),
            [(b"content-type", b"application/json")])
        if status != 200:
            raise BenchError(f"logging in failed: {status} {answer[:200]!r}")
        token = json.loads(answer)["access_token"]
        headers = [(b"authorization", f"Bearer {token}".encode()), (b"content-type", b"application/json")]
        programmes = [p.code for p in found]
        # A fresh stream of people on every call, as the cases benchmark's clients do.
        stream_seed = seed * 7_919 + time.time_ns() % 1_000_003
        total = registrations * (runs + 1) + profile
        bodies = _bodies(str(office.id), programmes, weights, total, stream_seed)
        # One untimed run first: connection pool, caches, lazily compiled statements.
        _registrations(client, bodies[:registrations], headers)
        cpu_ms, wall_ms = [], []
        for i in range(1, runs + 1):
            batch = bodies[i * registrations:(i + 1) * registrations]
            cpu, wall = _timed(lambda batch=batch: _registrations(client, batch, headers), registrations)
            cpu_ms.append(round(cpu, 2))
            wall_ms.append(round(wall, 2))
        result: dict[str, Any] = {
            "benchmark": "profile-registration",
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "dialect": engine.dialect.name,
            "people": seeded["total"],
            "registrations_per_run": registrations,
            "runs": runs,
            "cpu_ms_each": statistics.median(cpu_ms),
            "wall_ms_each": statistics.median(wall_ms),
            "cpu_ms_each_runs": cpu_ms,
            "wall_ms_each_runs": wall_ms,
            "machine": {"cpu_count": os.cpu_count(),
                        "loadavg": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None},
        }
        if profile:
            stats = _profiled(app, bodies[-profile:], headers)
            if profile_output:
                stats.dump_stats(profile_output)
            result["profiled_registrations"] = profile
            result["profile_by_own_time"] = _top(stats, "tottime", top)
            result["profile_by_cumulative_time"] = _top(stats, "cumulative", top)
        return result
    finally:
        client.close()
        engine.dispose()


def _profiled(app: FastAPI, bodies: list[bytes], headers: list[tuple[bytes, bytes]]) -> pstats.Stats:
    """Registrations under cProfile in every thread they run in, timed by each thread's CPU clock.

    Sync endpoints and dependencies run in anyio's worker threads, which cProfile (one thread) does not see.
    A new event loop gets new worker threads, and threading.setprofile starts a profiler in each; timing
    by thread CPU time leaves out waits (the database, idle workers) so the profile shows CPU only.
    """
    import threading

    profiles: list[cProfile.Profile] = []

    def start(*_: object) -> None:
        profiler = cProfile.Profile(time.thread_time)
        profiles.append(profiler)
        profiler.enable()

    main = cProfile.Profile(time.thread_time)
    client = _AsgiClient(app)
    threading.setprofile(start)
    try:
        main.enable()
        _registrations(client, bodies, headers)
        main.disable()
    finally:
        threading.setprofile(None)  # type: ignore[arg-type]
        client.close()
    # The worker threads wait idle for work that no longer comes; their profiles hold what they did.
    return pstats.Stats(main, *profiles, stream=io.StringIO())


def _table(result: dict[str, Any]) -> Any:
    from rich.table import Table

    table = Table(title=f"Registrations in-process — {result['people']:,} people on {result['dialect']}, "
                        f"{result['date']}")
    table.add_column("measure")
    table.add_column("median", justify="right")
    table.add_column("runs")
    table.add_row("CPU ms per registration", f"{result['cpu_ms_each']:.2f}",
                  ", ".join(f"{v:.2f}" for v in result["cpu_ms_each_runs"]))
    table.add_row("wall ms per registration", f"{result['wall_ms_each']:.2f}",
                  ", ".join(f"{v:.2f}" for v in result["wall_ms_each_runs"]))
    return table


def command(
    people: Annotated[int, typer.Option("--people", min=0, help="Bench people with blocking keys the database "
                                                                 "must hold (seeded if missing).")] = 20_000,
    registrations: Annotated[int, typer.Option("--registrations", min=1, help="Registrations per timed run.")]
    = 200,
    runs: Annotated[int, typer.Option("--runs", min=1, help="Timed runs; the median is reported.")] = 5,
    profile: Annotated[int, typer.Option("--profile", min=0, help="Registrations run under cProfile afterwards "
                                                                   "(0: none).")] = 0,
    top: Annotated[int, typer.Option("--top", min=1, help="Functions listed from the profile.")] = 40,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the seeded people.")] = 0,
    profile_output: Annotated[str | None, typer.Option("--profile-output", help="Also write the profile's "
                                                       "statistics to this file (pstats format).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")] = False,
) -> None:
    """CPU and wall time of registrations run in-process on CROSSROADS_DATABASE_URL, optionally profiled.

    Seeds synthetic people into BENCH* offices of a bench organisation; use a database of its own.
    """
    from rich.console import Console

    database_url = os.environ.get("CROSSROADS_DATABASE_URL")
    err = Console(stderr=True)
    if not database_url:
        err.print("[bold red]error:[/] set CROSSROADS_DATABASE_URL to the database to profile on "
                  "(it receives synthetic bench people; use one of its own)")
        raise typer.Exit(2)
    try:
        result = run_profile(database_url=database_url, people=people, registrations=registrations, runs=runs,
                             profile=profile, top=top, seed=seed, profile_output=profile_output,
                             console=err)
    except BenchError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1) from None
    for key in ("profile_by_own_time", "profile_by_cumulative_time"):
        if key in result and not as_json:
            err.print(result[key], markup=False, highlight=False)
    print_result(result, as_json=as_json, table=_table)
