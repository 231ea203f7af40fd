"""The case registry benchmark: search, lists, opening a case and registering people, over HTTP.

`python -m bench cases --cases N --json` makes sure the database at CROSSROADS_DATABASE_URL holds N
synthetic bench cases (seeding them in bulk if needed, see harness/seed.py), serves the app with uvicorn on
free loopback ports, logs in as bench caseworkers and measures:

- search: ``GET /api/v1/cases?q=`` with full names, aliases (any script), name prefixes, family names,
  case numbers and document numbers of seeded people, one request at a time;
- list: filtered list pages (programme, state, flag, office, assignee, dates, each sort), following
  ``next_cursor`` a few pages deep, one request at a time;
- open_case: ``GET /api/v1/cases/{id}``, one request at a time;
- registrations: C concurrent clients, each with its own caseworker and office, each doing ``POST
  /api/v1/registrations`` (a person and their first case) for T seconds;
- search and list again, on other cases, while the C clients register beside them;
- on PostgreSQL, pgbench with one single-row INSERT per transaction, at the same concurrency, on the
  same server, for the same time: the ceiling a registration (many rows, two audit events) is compared to;
  and pgbench replaying a registration's own statements (cases_replay.py), with the audit trail as it is
  (events appended, sealed later) and as it was (a hash chain behind one lock held through each commit).

Heavy imports (httpx2, crossroads) happen inside functions: `python -m bench --help` must not pay for them.
"""

from __future__ import annotations

import json
import os
import platform
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bench.cases_replay import run_pgbench_registration_replay
from bench.harness import BenchError
from bench.harness.cache import warm_cache
from bench.harness.pgbench import run_pgbench
from bench.harness.report import print_result
from bench.harness.server import CpuMeter, Server
from bench.harness.stats import percentile, summary

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy import Engine

    from bench.harness.seed import BenchWorld

GOAL_SEARCH_P95_MS = 100.0
GOAL_LIST_P95_MS = 100.0
# The registration goal is against the replay of a registration's own statements, not single-row inserts:
# PostgreSQL itself sustains far fewer registrations than single-row inserts (docs/benchmarks.md).
GOAL_REGISTRATIONS_VS_REPLAY = 0.5
# The audit trail appended without a lock, against the hash chain behind one lock, both replayed in the run.
GOAL_REPLAY_VS_CHAINED = 2.0
# Each endpoint is called this many times before its measurement starts: connection pools, caches.
WARMUP = 5
CURSOR_DEPTH = 3


def _login(base_url: str, email: str, password: str) -> str:
    import httpx2

    response = httpx2.post(f"{base_url}/api/v1/auth/token", json={"email": email, "password": password}, timeout=60)
    if response.status_code != 200:
        raise BenchError(f"logging in as {email} failed: {response.status_code} {response.text[:200]}")
    return response.json()["access_token"]


# What to ask for


@dataclass(frozen=True)
class Target:
    case_id: str
    case_number: str
    given_name: str
    family_name: str
    aliases: tuple[str, ...]
    document: str | None


def sample_targets(engine: Engine, world: BenchWorld, k: int, rng: random.Random) -> list[Target]:
    """k bench cases drawn at random (through the primary key index), with their people's names."""
    import uuid

    from sqlalchemy import select

    from crossroads.cases.models import Case
    from crossroads.people.models import IdentityDocument, Person, PersonName

    offices = world.office_ids
    picked: dict[Any, tuple[Any, str]] = {}
    with engine.connect() as conn:
        for _ in range(k * 2):
            if len(picked) >= k:
                break
            pivot = uuid.UUID(int=rng.getrandbits(128), version=4)
            query = select(Case.id, Case.case_number, Case.person_id).where(Case.office_id.in_(offices))
            row = conn.execute(query.where(Case.id >= pivot).order_by(Case.id).limit(1)).first() or \
                conn.execute(query.order_by(Case.id).limit(1)).first()
            if row is None:
                return []
            picked[row.id] = (row.person_id, row.case_number)
        person_ids = list({person_id for person_id, _ in picked.values()})
        people = {r.id: r for r in conn.execute(select(Person.id, Person.given_name, Person.family_name)
                                                .where(Person.id.in_(person_ids)))}
        aliases: dict[Any, list[str]] = {}
        for r in conn.execute(select(PersonName.person_id, PersonName.name).where(PersonName.person_id.in_(person_ids))
                              .order_by(PersonName.id)):
            aliases.setdefault(r.person_id, []).append(r.name)
        documents: dict[Any, str] = {}
        for r in conn.execute(select(IdentityDocument.person_id, IdentityDocument.number)
                              .where(IdentityDocument.person_id.in_(person_ids))):
            documents.setdefault(r.person_id, r.number)
    return [Target(case_id=str(case_id), case_number=number, given_name=people[pid].given_name,
                   family_name=people[pid].family_name, aliases=tuple(aliases.get(pid, ())),
                   document=documents.get(pid))
            for case_id, (pid, number) in picked.items()]


# What the reads and registrations touch, read into the cache before anything is timed.
WARM_TABLES = ["cases", "case_flags", "people", "person_names", "person_name_tokens", "identity_documents",
               "person_match_keys", "users", "offices"]

SEARCH_KINDS = {"full_name": 30, "alias": 20, "prefix": 25, "family_name": 15, "case_number": 5, "document": 5}


def _prefix(token: str, rng: random.Random) -> str:
    return token if len(token) <= 3 else token[:rng.randint(3, len(token))]


def search_queries(targets: list[Target], n: int, rng: random.Random) -> list[tuple[str, str]]:
    """(kind, query) pairs in the proportions of SEARCH_KINDS, as caseworkers type them."""
    from crossroads.kit.text import query_tokens

    kinds = [kind for kind, weight in SEARCH_KINDS.items() for _ in range(weight)]
    out = []
    for i in range(n):
        t = targets[i % len(targets)]
        kind = kinds[i * 37 % len(kinds)]
        full = f"{t.given_name} {t.family_name}"
        if kind == "alias" and t.aliases:
            query = rng.choice(t.aliases)
        elif kind == "prefix":
            tokens = query_tokens(full)
            query = " ".join(_prefix(tok, rng) for tok in (tokens[0], tokens[-1])) if len(tokens) > 1 \
                else _prefix(tokens[0], rng)
        elif kind == "family_name":
            query = t.family_name
        elif kind == "case_number":
            query = t.case_number.lower()
        elif kind == "document" and t.document:
            query = t.document
        else:
            kind, query = "full_name", full
        out.append((kind, query))
    return out


def list_scenarios(engine: Engine, world: BenchWorld, rng: random.Random) -> Iterator[tuple[str, dict[str, str]]]:
    """Endless (name, params) of list pages a caseworker opens: filters and sorts in turn."""
    from bench.harness.seed import FLAGS, active_programmes

    programmes, _ = active_programmes(engine)
    today = datetime.now(UTC).date()
    while True:
        p = rng.choice(programmes)
        office = rng.choice(world.offices)
        start = today - timedelta(days=rng.randint(30, 1000))
        yield from [
            ("newest", {}),
            ("recent_activity", {"sort": "-last_activity_at"}),
            ("oldest", {"sort": "opened_at"}),
            ("stale", {"sort": "last_activity_at"}),
            ("programme", {"programme": p.code}),
            ("programme_state", {"programme": p.code, "state": rng.choice(p.open_states)}),
            ("state", {"state": rng.choice(p.terminal_states or p.open_states)}),
            ("flag", {"flag": rng.choice(list(FLAGS))}),
            ("programme_flag", {"programme": p.code, "flag": rng.choice(list(FLAGS))}),
            ("office", {"office_id": str(office.id)}),
            ("assigned_to", {"assigned_to": str(rng.choice(office.caseworkers)), "sort": "-last_activity_at"}),
            ("opened_between", {"opened_from": start.isoformat(),
                                "opened_to": (start + timedelta(days=30)).isoformat()}),
        ]


def _person_payload(p: Any, office_id: str) -> dict[str, Any]:
    return {
        "given_name": p.given_name, "family_name": p.family_name, "sex": p.sex,
        "date_of_birth": p.date_of_birth.isoformat(), "date_of_birth_estimated": p.date_of_birth_estimated,
        "nationality": p.nationality, "languages": list(p.languages), "phone": p.phone,
        "aliases": list(p.aliases), "office_id": office_id,
        "documents": [{"document_type": d.type, "number": d.number, "issuing_country": d.issuing_country}
                      for d in p.documents],
    }


# Measurements


def _timed_get(client: Any, url: str, params: dict[str, str] | None = None) -> tuple[float, Any]:
    started = time.perf_counter()
    response = client.get(url, params=params)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise BenchError(f"GET {url} answered {response.status_code}: {response.text[:300]}")
    return elapsed, response


def measure_search(client: Any, queries: list[tuple[str, str]], advance: Callable[[], None]) -> dict[str, Any]:
    for _, q in queries[:WARMUP]:
        client.get("/api/v1/cases", params={"q": q})
    by_kind: dict[str, list[float]] = {}
    found = 0
    for kind, q in queries:
        ms, response = _timed_get(client, "/api/v1/cases", {"q": q})
        by_kind.setdefault(kind, []).append(ms)
        found += response.json()["total"] > 0
        advance()
    every = [ms for values in by_kind.values() for ms in values]
    return {"all": every, "by_kind": {k: summary(v) for k, v in sorted(by_kind.items())},
            "found_share": round(found / len(queries), 3)}


def measure_list(client: Any, scenarios: Iterator[tuple[str, dict[str, str]]], n: int,
                 advance: Callable[[], None]) -> dict[str, Any]:
    for _ in range(WARMUP):
        client.get("/api/v1/cases")
    first: list[float] = []
    deeper: list[float] = []
    by_scenario: dict[str, list[float]] = {}
    while len(first) + len(deeper) < n:
        name, params = next(scenarios)
        cursor = None
        for depth in range(CURSOR_DEPTH + 1):
            if len(first) + len(deeper) >= n:
                break
            ms, response = _timed_get(client, "/api/v1/cases", dict(params, cursor=cursor) if cursor else params)
            (deeper if depth else first).append(ms)
            by_scenario.setdefault(name, []).append(ms)
            advance()
            cursor = response.json()["next_cursor"]
            if not cursor:
                break
    return {"all": first + deeper, "first_page": summary(first), "next_pages": summary(deeper) if deeper else None,
            "by_scenario": {k: summary(v) for k, v in sorted(by_scenario.items())}}


def measure_open(client: Any, targets: list[Target], n: int, advance: Callable[[], None]) -> list[float]:
    for t in targets[:WARMUP]:
        client.get(f"/api/v1/cases/{t.case_id}")
    out = []
    for i in range(n):
        ms, _ = _timed_get(client, f"/api/v1/cases/{targets[i % len(targets)].case_id}")
        out.append(ms)
        advance()
    return out


@dataclass
class _Registrar:
    """One concurrent client: its caseworker's token and office, the people it registers, what it saw."""

    token: str
    office_id: str
    people: Iterator[Any]
    programmes: list[str]
    weights: list[int]
    rng: random.Random
    done: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    first_error: str | None = None

    def register(self, conn: Any) -> bool:
        """`POST /api/v1/registrations`: the person and their first case, as an intake form sends them."""
        programme = self.rng.choices(self.programmes, self.weights)[0]
        body = json.dumps({"person": _person_payload(next(self.people), self.office_id),
                           "case": {"programme": programme}}).encode()
        started = time.perf_counter()
        conn.request("POST", "/api/v1/registrations", body=body, headers=self._headers)
        response = conn.getresponse()
        payload = response.read()
        if response.status != 201:
            self.errors += 1
            self.first_error = self.first_error or f"{response.status} {payload[:200]!r}"
            return False
        self.latencies.append((time.perf_counter() - started) * 1000)
        return True

    def run(self, base_url: str, start: threading.Barrier, deadline: list[float]) -> None:
        # The standard library's client over one keep-alive connection: the clients share the machine's
        # cores with the servers they measure, so they should cost as little as they can.
        import http.client
        from urllib.parse import urlsplit

        url = urlsplit(base_url)
        self._headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        try:
            # One untimed registration first: the server's connection pools fill before the clock starts.
            self.register(conn)
            self.latencies.clear()
            start.wait()
            while time.perf_counter() < deadline[0]:
                self.done += self.register(conn)
        finally:
            conn.close()


def measure_registrations(server: Server, world: BenchWorld, tokens: dict[str, str], clients: int, seconds: float,
                          seed: int, engine: Engine, tick: Callable[[float], None],
                          beside: Callable[[], Any] | None = None) -> dict[str, Any]:
    """C clients registering for `seconds`; with `beside`, until that call (reads measured meanwhile) returns.

    `beside`'s result is returned under the key "beside".
    """
    from bench.harness.seed import active_programmes, caseworker_email
    from crossroads.demo import PROGRAMME_WEIGHTS
    from crossroads.people.synthetic import generate_people

    programmes = [p.code for p in active_programmes(engine)[0]]
    weights = [PROGRAMME_WEIGHTS[c] for c in programmes]
    registrars = []
    for i in range(clients):
        office = world.offices[i % len(world.offices)]
        email = caseworker_email(office.code, 1 + (i // len(world.offices)) % len(office.caseworkers))
        # A fresh stream of people per client and run: the registry has no duplicate check to trip.
        stream = generate_people(10**9, seed=seed * 7919 + i * 104_729 + time.time_ns() % 1_000_003)
        registrars.append(_Registrar(token=tokens[email], office_id=str(office.id), people=stream,
                                     programmes=programmes, weights=weights, rng=random.Random(seed + i)))
    start = threading.Barrier(clients + 1)
    deadline = [float("inf")]
    urls = server.base_urls
    threads = [threading.Thread(target=r.run, args=(urls[i % len(urls)], start, deadline), name=f"bench-client-{i}")
               for i, r in enumerate(registrars)]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    meter = CpuMeter(server, engine)
    meter.begin()
    beside_result = None
    if beside is None:
        deadline[0] = began + seconds
    else:
        try:
            beside_result = beside()
        finally:
            deadline[0] = time.perf_counter()
    while any(t.is_alive() for t in threads):
        time.sleep(0.25)
        tick(min(seconds, time.perf_counter() - began))
    elapsed = time.perf_counter() - began
    cpu = meter.end()
    done = sum(r.done for r in registrars)
    latencies = [ms for r in registrars for ms in r.latencies]
    errors = sum(r.errors for r in registrars)
    if done == 0:
        raise BenchError("no registration succeeded: " + next((r.first_error for r in registrars if r.first_error),
                                                              "no error recorded"))
    return {
        "registrations": done, "registration_errors": errors,
        "first_registration_error": next((r.first_error for r in registrars if r.first_error), None),
        "registrations_per_s": round(done / elapsed, 1), "registration_seconds": round(elapsed, 2),
        "registration_p50_ms": round(percentile(latencies, 50), 2),
        "registration_p95_ms": round(percentile(latencies, 95), 2),
        # CPU seconds during the run: the machine's total (all its cores, every process) shows what else ran.
        "registration_cpu_s": dict(cpu, capacity=round(elapsed * (os.cpu_count() or 1), 2)),
        "registration_cpu_ms_each": {k: round(v * 1000 / done, 2) for k, v in cpu.items()
                                     if v is not None and k != "machine"},
        **({"beside": beside_result} if beside is not None else {}),
    }


# The whole run


@dataclass(frozen=True)
class Options:
    database_url: str
    cases: int = 100_000
    clients: int = 8
    seconds: float = 15.0
    queries: int = 200
    workers: int = 2
    seed: int = 0
    fresh: bool = False


@contextmanager
def _phase(durations: dict[str, float], name: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    durations[name] = round(time.perf_counter() - started, 2)


def run_benchmark(options: Options, console: Console | None = None) -> dict[str, Any]:
    """Seed (or reuse), serve, measure; returns the results as a JSON-ready dict."""
    import httpx2
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from sqlalchemy import inspect

    from bench.harness.seed import BENCH_PASSWORD, READER_EMAIL, caseworker_email, ensure_world, seed_with_progress
    from crossroads.db.session import make_engine

    console = console or Console(stderr=True)
    durations: dict[str, float] = {}
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    engine = make_engine(options.database_url)
    try:
        if not inspect(engine).has_table("cases"):
            raise BenchError("the database has no schema yet: run `crossroads db upgrade` first")
        dialect = engine.dialect.name
        with _phase(durations, "seed"):
            world = ensure_world(engine)
            seeded = seed_with_progress(engine, options.cases, console=console, seed=options.seed,
                                        fresh=options.fresh, world=world)
        with console.status("reading the registry into the cache"), _phase(durations, "warm_cache"):
            cache = warm_cache(engine, WARM_TABLES)
        rng = random.Random(options.seed)
        targets = sample_targets(engine, world, max(20, options.queries), rng)
        if not targets:
            raise BenchError("no bench cases to measure")
        queries = search_queries(targets, options.queries, rng)
        scenarios = list_scenarios(engine, world, rng)

        def bar() -> Progress:
            return Progress(TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), console=console)

        with _phase(durations, "server_start"):
            server = Server(options.database_url, options.workers)
            server.start()
        try:
            with _phase(durations, "login"):
                emails = {READER_EMAIL} | {
                    caseworker_email(world.offices[i % len(world.offices)].code,
                                     1 + (i // len(world.offices)) % len(world.offices[0].caseworkers))
                    for i in range(options.clients)}
                tokens = {email: _login(server.base_url, email, BENCH_PASSWORD) for email in sorted(emails)}
            headers = {"Authorization": f"Bearer {tokens[READER_EMAIL]}"}
            with httpx2.Client(base_url=server.base_url, headers=headers, timeout=60) as client, bar() as progress:
                task = progress.add_task("search", total=len(queries))
                with _phase(durations, "search"):
                    search = measure_search(client, queries, lambda: progress.advance(task))
                task = progress.add_task("list pages", total=options.queries)
                with _phase(durations, "list"):
                    listing = measure_list(client, scenarios, options.queries, lambda: progress.advance(task))
                task = progress.add_task("open case", total=options.queries)
                with _phase(durations, "open_case"):
                    opened = measure_open(client, targets, options.queries, lambda: progress.advance(task))
            with bar() as progress, _phase(durations, "registrations"):
                task = progress.add_task(f"registrations ×{options.clients}", total=options.seconds)
                registrations = measure_registrations(
                    server, world, tokens, options.clients, options.seconds, options.seed, engine,
                    lambda s: progress.update(task, completed=s))
            # The same reads again, other cases, while the clients register: what a caseworker searching
            # sees while the field offices register people.
            targets_beside = sample_targets(engine, world, max(20, options.queries), rng)
            queries_beside = search_queries(targets_beside, options.queries, rng)

            def reads_beside() -> dict[str, Any]:
                with httpx2.Client(base_url=server.base_url, headers=headers, timeout=60) as client, \
                        bar() as progress:
                    task = progress.add_task("search, registering", total=len(queries_beside))
                    found = measure_search(client, queries_beside, lambda: progress.advance(task))
                    task = progress.add_task("list, registering", total=options.queries)
                    pages = measure_list(client, scenarios, options.queries, lambda: progress.advance(task))
                return {"search": found["all"], "list": pages["all"]}

            with _phase(durations, "reads_beside_registrations"):
                mixed = measure_registrations(server, world, tokens, options.clients, options.seconds,
                                              options.seed + 1, engine, lambda s: None, beside=reads_beside)
        finally:
            server.stop()
        pgbench: dict[str, Any] = {}
        if dialect == "postgresql":
            with console.status(f"pgbench ×{options.clients} for {options.seconds:.0f} s"), \
                    _phase(durations, "pgbench"):
                pgbench = run_pgbench(options.database_url, options.clients, options.seconds)
            with console.status(f"pgbench registration replay ×{options.clients} for {options.seconds:.0f} s"), \
                    _phase(durations, "pgbench_replay"):
                pgbench |= run_pgbench_registration_replay(options.database_url, options.clients, options.seconds)
    finally:
        engine.dispose()

    result: dict[str, Any] = {
        "benchmark": "cases",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "dialect": dialect,
        "n_cases": seeded.total,
        "cache": cache,
        "seeded_cases": seeded.added,
        "clients": options.clients,
        "seconds": options.seconds,
        "queries": options.queries,
        # Separate single-process uvicorn servers, the clients spread over them (see Server).
        "server_processes": options.workers,
        "search_p50_ms": round(percentile(search["all"], 50), 2),
        "search_p95_ms": round(percentile(search["all"], 95), 2),
        "search_found_share": search["found_share"],
        "search_by_kind": search["by_kind"],
        "list_p50_ms": round(percentile(listing["all"], 50), 2),
        "list_p95_ms": round(percentile(listing["all"], 95), 2),
        "list_first_page": listing["first_page"],
        "list_next_pages": listing["next_pages"],
        "list_by_scenario": listing["by_scenario"],
        "open_case_p50_ms": round(percentile(opened, 50), 2),
        "open_case_p95_ms": round(percentile(opened, 95), 2),
        "search_beside_registrations_p50_ms": round(percentile(mixed["beside"]["search"], 50), 2),
        "search_beside_registrations_p95_ms": round(percentile(mixed["beside"]["search"], 95), 2),
        "list_beside_registrations_p50_ms": round(percentile(mixed["beside"]["list"], 50), 2),
        "list_beside_registrations_p95_ms": round(percentile(mixed["beside"]["list"], 95), 2),
        "registrations_per_s_beside_reads": mixed["registrations_per_s"],
        **registrations,
        **pgbench,
        "durations_s": durations,
        "machine": {
            "cpu_count": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "http": "httptools" if _importable("httptools") else "h11",
            "loadavg_before": [round(x, 2) for x in load_before] if load_before else None,
        },
    }
    if pgbench:
        result["registrations_vs_pgbench"] = round(result["registrations_per_s"] / pgbench["pgbench_inserts_per_s"], 4)
        # What the database alone allows a registration, against the same single-row ceiling.
        result["replay_vs_pgbench"] = round(pgbench["pgbench_registration_replay_per_s"]
                                            / pgbench["pgbench_inserts_per_s"], 4)
    goals = {"search_p95_ms<=100": result["search_p95_ms"] <= GOAL_SEARCH_P95_MS,
             "list_p95_ms<=100": result["list_p95_ms"] <= GOAL_LIST_P95_MS,
             "search_beside_registrations_p95_ms<=100":
                 result["search_beside_registrations_p95_ms"] <= GOAL_SEARCH_P95_MS,
             "list_beside_registrations_p95_ms<=100": result["list_beside_registrations_p95_ms"] <= GOAL_LIST_P95_MS}
    if pgbench:
        result["registrations_vs_replay"] = round(
            result["registrations_per_s"] / pgbench["pgbench_registration_replay_per_s"], 4)
        goals["registrations>=50%_of_replay"] = result["registrations_vs_replay"] >= GOAL_REGISTRATIONS_VS_REPLAY
        goals["replay>=2x_chained_replay"] = (result["replay_vs_chained"] or 0) >= GOAL_REPLAY_VS_CHAINED
    result["goals_met"] = goals
    return result


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _table(result: dict[str, Any]) -> Any:
    from rich.table import Table

    table = Table(title=f"Cases benchmark — {result['n_cases']:,} cases on {result['dialect']}, {result['date']}")
    table.add_column("measure")
    table.add_column("p50", justify="right")
    table.add_column("p95", justify="right")
    table.add_column("goal")
    for name, key, goal in (("search", "search", "p95 ≤ 100 ms"), ("list page", "list", "p95 ≤ 100 ms"),
                            ("open case", "open_case", "")):
        table.add_row(name, f"{result[f'{key}_p50_ms']:.1f} ms", f"{result[f'{key}_p95_ms']:.1f} ms", goal)
    for name, key in (("search, beside registrations", "search_beside_registrations"),
                      ("list page, beside registrations", "list_beside_registrations")):
        table.add_row(name, f"{result[f'{key}_p50_ms']:.1f} ms", f"{result[f'{key}_p95_ms']:.1f} ms",
                      "p95 ≤ 100 ms")
    table.add_row(f"registration (person + case), {result['clients']} clients",
                  f"{result['registration_p50_ms']:.1f} ms", f"{result['registration_p95_ms']:.1f} ms", "")
    table.add_row("registrations per second", f"{result['registrations_per_s']:,.1f}", "",
                  "≥ 50% of the replay" if "pgbench_inserts_per_s" in result else "")
    if "pgbench_inserts_per_s" in result:
        table.add_row(f"pgbench single-row inserts per second, {result['clients']} clients",
                      f"{result['pgbench_inserts_per_s']:,.1f}", "", "")
        table.add_row("registrations / pgbench inserts", f"{result['registrations_vs_pgbench']:.1%}", "", "")
        table.add_row("pgbench replaying a registration's SQL, per second",
                      f"{result['pgbench_registration_replay_per_s']:,.1f}", "", "")
        table.add_row("the same, with the audit trail as a locked hash chain (before)",
                      f"{result['pgbench_registration_replay_chained_per_s']:,.1f}", "", "")
        table.add_row("replay / pgbench inserts", f"{result['replay_vs_pgbench']:.1%}", "", "")
        if result["replay_vs_chained"] is not None:
            table.add_row("replay now / replay with the chain", f"{result['replay_vs_chained']:.2f}×", "", "")
        table.add_row("registrations / replay", f"{result['registrations_vs_replay']:.1%}", "", "≥ 50%")
    return table


def command(
    cases: Annotated[int, typer.Option("--cases", help="Bench cases the database must hold (seeded if missing).")]
    = 100_000,
    clients: Annotated[int, typer.Option("--clients", min=1, help="Concurrent registering clients.")] = 8,
    seconds: Annotated[float, typer.Option("--seconds", min=1, help="Length of the registration and pgbench runs.")]
    = 15.0,
    queries: Annotated[int, typer.Option("--queries", min=1, help="Search, list and open-case requests each.")]
    = 200,
    workers: Annotated[int, typer.Option("--workers", min=1, help="uvicorn server processes (one port each).")] = 2,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic data and of the query mix.")] = 0,
    reuse: Annotated[bool, typer.Option("--reuse/--fresh", help="Reuse bench cases already in the database, or "
                                                                "delete them and seed again.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")] = False,
) -> None:
    """Benchmark case search, lists, opening a case and registrations on CROSSROADS_DATABASE_URL.

    Seeds synthetic cases into BENCH* offices of a bench organisation; use a database of its own.
    """
    from rich.console import Console

    database_url = os.environ.get("CROSSROADS_DATABASE_URL")
    err = Console(stderr=True)
    if not database_url:
        err.print("[bold red]error:[/] set CROSSROADS_DATABASE_URL to the database to benchmark "
                  "(it receives the synthetic bench cases; use one of its own)")
        raise typer.Exit(2)
    options = Options(database_url=database_url, cases=cases, clients=clients, seconds=seconds, queries=queries,
                      workers=workers, seed=seed, fresh=not reuse)
    try:
        result = run_benchmark(options, console=err)
    except BenchError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1) from None
    print_result(result, as_json=as_json, table=_table)
