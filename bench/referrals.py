"""The referral network benchmark: the service directory's search and import at scale.

`python -m bench referrals --services 50000 --json` writes a synthetic HSDS directory — the given number of
services, two locations each (100,000 for 50,000 services), around the eight bench office cities, each with
one or two need categories, one to three languages, weekly hours and a phone — to an HSDS JSON file, imports
it with `crossroads directory import` into the database at CROSSROADS_DATABASE_URL and times that command, then
serves the app with uvicorn and measures `GET /api/v1/services` one request at a time over a mix of searches:
need near a point, need and language near a point, open now near a point, need alone, language near a point.

Goals (issue 15): search p95 ≤ 50 ms, import ≤ 60 s, and a partner's inbox p95 ≤ 100 ms with 100,000 referrals
across 200 partner organisations. For the inbox, the benchmark links the first `--partners` organizations of the
synthetic directory to as many partner organisations, seeds `--referrals` referrals (spread evenly over them, in
every state, over a year, from bench cases seeded if missing) with a consent in force for each person and
partner, in bulk, then times `GET /api/v1/referrals/inbox` (first page, 50 rows, consent checked per row) as
partner users of `--inbox-partners` organisations, one request at a time. `--referrals 0` skips it.

A directory already in the database is imported again (every record updated by its HSDS id), which the result
says as `import_mode`; `--fresh` deletes the bench directory first. Use a database of its own.

Heavy imports (httpx2, crossroads) happen inside functions: `python -m bench --help` must not pay for them.
"""

from __future__ import annotations

import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from bench.harness import BenchError
from bench.harness.report import print_result
from bench.harness.stats import summary

GOAL_SEARCH_P95_MS = 50.0
GOAL_IMPORT_SECONDS = 60.0
GOAL_INBOX_P95_MS = 100.0
WARMUP = 5
PREFIX = "bench-"
# Bench office cities (bench/harness/seed.py) and their UTC offsets in hours.
CITIES = [("Tunis", 36.8065, 10.1815, 1), ("Agadez", 16.9742, 7.9865, 1), ("Oujda", 34.6814, -1.9086, 1),
          ("Kassala", 15.4510, 36.4000, 2), ("Tripoli", 32.8872, 13.1913, 2), ("Niamey", 13.5116, 2.1254, 1),
          ("Gao", 16.2666, -0.0400, 0), ("Sfax", 34.7406, 10.7603, 1)]
LANGUAGES = ["ar", "fr", "en", "ha", "ti", "so", "ps", "fa", "ur", "es", "am", "bm", "ff", "wo"]
NEEDS = ["health", "shelter", "legal_aid", "psychosocial", "education", "employment", "documentation",
         "family_tracing", "return_reintegration"]
HOURS = [("MO,TU,WE,TH,FR", "08:00", "16:00"), ("MO,TU,WE,TH,FR,SA", "09:00", "13:00"),
         ("SA,SU", "10:00", "18:00"), (None, "00:00", "24:00")]


def synthetic_directory(services: int, *, seed: int = 0) -> dict[str, list[dict[str, Any]]]:
    """An HSDS bundle of `services` services at two locations each, with their organizations."""
    from crossroads.directory.taxonomy import BY_CODE

    rng = random.Random(seed)
    organizations: list[dict[str, Any]] = []
    out_services: list[dict[str, Any]] = []
    per_org = 10
    for o in range(max(1, services // per_org)):
        city, lat, lon, tz = CITIES[o % len(CITIES)]
        org_id = f"{PREFIX}org-{o}"
        locations = []
        for k in range(2 * per_org):
            locations.append({"id": f"{PREFIX}loc-{o}-{k}", "location_type": "physical",
                              "name": f"{city} centre {o}-{k}",
                              "latitude": round(lat + rng.gauss(0, 1.5), 5),
                              "longitude": round(lon + rng.gauss(0, 1.5), 5)})
        organizations.append({"id": org_id, "name": f"Bench partner {o} ({city})",
                              "description": "A synthetic partner organisation.", "locations": locations})
        for k in range(per_org):
            i = o * per_org + k
            if i >= services:
                break
            sid = f"{PREFIX}svc-{i}"
            byday, opens, closes = HOURS[rng.randrange(len(HOURS))]
            schedule: dict[str, Any] = {"id": f"{sid}-hours", "opens_at": opens, "closes_at": closes, "timezone": tz}
            if byday:
                schedule.update(freq="WEEKLY", byday=byday)
            needs = rng.sample(NEEDS, rng.choice((1, 1, 2)))
            languages = ["ar"] * (rng.random() < 0.6) + rng.sample(LANGUAGES[1:], rng.choice((1, 1, 2)))
            out_services.append({
                "id": sid, "name": f"{needs[0].replace('_', ' ').capitalize()} service {i}", "status": "active",
                "organization_id": org_id, "description": "A synthetic service.",
                "service_at_locations": [{"id": f"{sid}-at-{j}", "location_id": locations[2 * k + j]["id"]}
                                         for j in range(2)],
                "languages": [{"id": f"{sid}-lang-{code}", "code": code} for code in languages],
                "schedules": [schedule],
                "phones": [{"id": f"{sid}-phone", "number": f"+216 70 {i:06d}"}],
                "attributes": [{"id": f"{sid}-need-{n}", "taxonomy_term_id": BY_CODE[n].term_id} for n in needs],
            })
    return {"organizations": organizations, "services": out_services}


def _queries(n: int, rng: random.Random) -> list[tuple[str, dict[str, Any]]]:
    def near() -> str:
        _, lat, lon, _ = CITIES[rng.randrange(len(CITIES))]
        return f"{lat + rng.gauss(0, 0.5):.4f},{lon + rng.gauss(0, 0.5):.4f}"

    kinds = [
        ("need_near", lambda: {"need": rng.choice(NEEDS), "near": near()}),
        ("need_language_near", lambda: {"need": rng.choice(NEEDS), "language": rng.choice(LANGUAGES[:4]),
                                        "near": near()}),
        ("open_now_near", lambda: {"open_now": "true", "near": near()}),
        ("need", lambda: {"need": rng.choice(NEEDS)}),
        ("language_near", lambda: {"language": rng.choice(LANGUAGES), "near": near()}),
    ]
    return [(name, make()) for _ in range(n) for name, make in kinds]


def _delete_bench_directory(engine: Any) -> None:
    from sqlalchemy import delete

    from crossroads.db.session import unit_of_work
    from crossroads.directory.transfer import MODELS

    with unit_of_work(engine) as session:
        for kind in reversed(list(MODELS)):
            model = MODELS[kind]
            session.execute(delete(model).where(model.id.like(f"{PREFIX}%")))


def _count_bench_services(engine: Any) -> int:
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from crossroads.directory.models import DirectoryService

    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(DirectoryService)
                              .where(DirectoryService.id.like(f"{PREFIX}%"))) or 0


REFERENCE_PREFIX = "REF-BENCH-"
INBOX_QUERIES = 40
INBOX_CASES = 5_000


def _partner_email(i: int) -> str:
    from bench.harness.seed import BENCH_DOMAIN

    return f"bench-partner-{i}@{BENCH_DOMAIN}"


def seed_inbox(engine: Any, *, referrals: int, partners: int, users: int, seed: int, console: Any) -> dict[str, Any]:
    """Partner organisations linked to the bench directory, and `referrals` referrals to them (once)."""
    from sqlalchemy import func, select, update

    from bench.harness.seed import BENCH_PASSWORD, seed_with_progress, write_rows
    from crossroads.auth import service as auth_service
    from crossroads.auth.models import Organisation, User
    from crossroads.auth.roles import OrganisationKind, Role
    from crossroads.auth.schemas import OrganisationCreate, UserCreate
    from crossroads.cases.models import Case
    from crossroads.consent.models import Consent
    from crossroads.db.session import unit_of_work
    from crossroads.directory.models import DirectoryOrganization
    from crossroads.referrals.models import Referral

    started = time.perf_counter()
    with unit_of_work(engine) as session:
        names = [f"Bench partner organisation {i}" for i in range(partners)]
        orgs = dict(session.execute(select(Organisation.name, Organisation.id)
                                    .where(Organisation.name.in_(names))).all())
        for name in names:
            if name not in orgs:
                orgs[name] = auth_service.create_organisation(session, actor=None, data=OrganisationCreate(
                    name=name, kind=OrganisationKind.PARTNER)).id
        org_ids = [orgs[name] for name in names]
        emails = {u for (u,) in session.execute(select(User.email).where(User.email.like("bench-partner-%")))}
        for i in range(users):
            if _partner_email(i) not in emails:
                auth_service.create_user(session, actor=None, data=UserCreate(
                    email=_partner_email(i), full_name=f"Bench Partner {i}", role=Role.PARTNER,
                    organisation_id=org_ids[i], password=BENCH_PASSWORD))
        for i, org_id in enumerate(org_ids):
            session.execute(update(DirectoryOrganization).where(DirectoryOrganization.id == f"{PREFIX}org-{i}")
                            .values(partner_organisation_id=org_id))
    with engine.connect() as conn:
        existing = conn.scalar(select(func.count()).select_from(Referral)
                               .where(Referral.reference.like(f"{REFERENCE_PREFIX}%"))) or 0
    if existing >= referrals:
        return {"existing": existing, "added": 0, "seconds": round(time.perf_counter() - started, 1)}
    seed_with_progress(engine, INBOX_CASES, console=console)
    with engine.connect() as conn:
        cases = conn.execute(select(Case.id, Case.person_id, Case.office_id).order_by(Case.id)
                             .limit(INBOX_CASES)).all()
    rng = random.Random(seed)
    now = datetime.now(UTC)
    states = ["sent"] * 30 + ["accepted"] * 20 + ["declined"] * 10 + ["in_progress"] * 15 + ["completed"] * 20 + \
        ["closed"] * 3 + ["no_show"] * 2
    rows, consents, pairs = [], [], set()
    for k in range(existing, referrals):
        i = k % partners
        case_id, person_id, office_id = cases[rng.randrange(len(cases))]
        sent = now - timedelta(minutes=rng.randrange(365 * 24 * 60))
        state = rng.choice(states)
        answered = sent + timedelta(hours=rng.uniform(1, 96)) if state != "sent" else None
        rows.append((uuid.uuid4(), f"{REFERENCE_PREFIX}{k:07d}", "external", case_id, person_id, office_id,
                     f"{PREFIX}svc-{i * 10 + rng.randrange(10)}", org_ids[i], "legal_assistance",
                     ["identity", "contact"], state, 72, sent, sent, sent + timedelta(hours=72),
                     answered if state != "declined" else None, answered if state == "declined" else None,
                     "no_capacity" if state == "declined" else None, 1))
        if (person_id, org_ids[i]) not in pairs:
            pairs.add((person_id, org_ids[i]))
            consents.append((uuid.uuid4(), person_id, office_id, org_ids[i], "legal_assistance",
                             ["identity", "contact"], "written", (sent - timedelta(days=1)).date(),
                             (now + timedelta(days=365)).date(), sent))
    columns = ("id", "reference", "kind", "case_id", "person_id", "office_id", "service_id", "to_organisation_id",
               "purpose", "categories", "state", "acknowledgement_hours", "created_at", "sent_at", "due_at",
               "accepted_at", "declined_at", "decline_reason", "version")
    consent_columns = ("id", "person_id", "office_id", "recipient_organisation_id", "purpose", "categories",
                       "method", "given_on", "expires_on", "created_at")
    console.print(f"Seeding {len(rows)} referrals and {len(consents)} consents")
    with engine.begin() as conn:
        for at in range(0, len(consents), 10_000):
            write_rows(conn, Consent.__table__, consent_columns, consents[at:at + 10_000])
        for at in range(0, len(rows), 10_000):
            write_rows(conn, Referral.__table__, columns, rows[at:at + 10_000])
    return {"existing": existing, "added": len(rows), "seconds": round(time.perf_counter() - started, 1)}


def measure_inbox(base_url: str, *, users: int, queries: int) -> dict[str, Any]:
    """The first page of the inbox, as the partner users in turn."""
    import httpx2

    from bench.harness.seed import BENCH_PASSWORD

    timings: list[float] = []
    rows = 0
    with httpx2.Client(base_url=base_url, timeout=60) as client:
        headers = []
        for i in range(users):
            token = client.post("/api/v1/auth/token", json={"email": _partner_email(i),
                                                              "password": BENCH_PASSWORD}).json()
            headers.append({"Authorization": f"Bearer {token['access_token']}"})
        for h in headers[:WARMUP]:
            client.get("/api/v1/referrals/inbox", headers=h)
        for q in range(queries):
            h = headers[q % len(headers)]
            started = time.perf_counter()
            response = client.get("/api/v1/referrals/inbox", headers=h)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise BenchError(f"GET /api/v1/referrals/inbox: {response.status_code} {response.text[:300]}")
            rows += len(response.json()["items"])
            timings.append(elapsed)
    return {**summary(timings), "rows_per_page": round(rows / max(1, queries), 1)}


def run_benchmark(database_url: str, *, services: int, queries: int, seed: int, fresh: bool,
                  console: Any, referrals: int = 100_000, partners: int = 200,
                  inbox_partners: int = 20) -> dict[str, Any]:
    import httpx2

    from bench.harness.cache import warm_cache
    from bench.harness.seed import BENCH_PASSWORD, READER_EMAIL, ensure_world
    from bench.harness.server import Server
    from crossroads.db.session import make_engine, refresh_planner_statistics
    from crossroads.schema import upgrade_database

    engine = make_engine(database_url)
    try:
        upgrade_database(engine)
        ensure_world(engine)
        if fresh:
            console.print("Deleting the bench directory")
            _delete_bench_directory(engine)
        mode = "update" if _count_bench_services(engine) else "insert"
        with tempfile.TemporaryDirectory(prefix="bench-directory-") as tmp:
            path = Path(tmp) / "directory.json"
            console.print(f"Writing a synthetic HSDS directory of {services} services")
            bundle = synthetic_directory(services, seed=seed)
            path.write_text(json.dumps(bundle), encoding="utf-8")
            size = path.stat().st_size
            console.print(f"Importing {path.name} ({size / 1e6:.0f} MB) with `crossroads directory import`")
            started = time.perf_counter()
            completed = subprocess.run([sys.executable, "-m", "crossroads.cli", "directory", "import", str(path)],  # noqa: S603
                                       env={**os.environ, "CROSSROADS_DATABASE_URL": database_url},
                                       capture_output=True, text=True)
            import_seconds = round(time.perf_counter() - started, 2)
        if completed.returncode != 0:
            raise BenchError(f"the import failed ({completed.returncode}):\n{completed.stderr[-3000:]}")
        locations = sum(len(o["locations"]) for o in bundle["organizations"])
        refresh_planner_statistics(engine)
        cache = warm_cache(engine, ["directory_services", "directory_locations", "directory_service_at_locations",
                                    "directory_attributes", "directory_languages", "directory_opening_hours",
                                    "directory_organizations", "directory_taxonomy_terms"])
        inbox_seed: dict[str, Any] | None = None
        if referrals:
            if services // 10 < partners:
                raise BenchError(f"--services {services} gives {services // 10} organizations: fewer than "
                                 f"--partners {partners}")
            inbox_seed = seed_inbox(engine, referrals=referrals, partners=partners, users=inbox_partners,
                                    seed=seed, console=console)
            refresh_planner_statistics(engine)
            cache.update(warm_cache(engine, ["referrals", "consents"]))
        rng = random.Random(seed)
        mix = _queries(queries, rng)
        timings: dict[str, list[float]] = {}
        console.print(f"Searching: {len(mix)} requests")
        with Server(database_url=database_url, workers=1) as server:
            token = httpx2.post(f"{server.base_url}/api/v1/auth/token",
                                json={"email": READER_EMAIL, "password": BENCH_PASSWORD}, timeout=60).json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            with httpx2.Client(base_url=server.base_url, headers=headers, timeout=60) as client:
                for _, params in mix[:WARMUP]:
                    client.get("/api/v1/services", params=params)
                empty = 0
                for name, params in mix:
                    started = time.perf_counter()
                    response = client.get("/api/v1/services", params=params)
                    elapsed = (time.perf_counter() - started) * 1000
                    if response.status_code != 200:
                        raise BenchError(f"GET /api/v1/services {params}: {response.status_code} {response.text[:300]}")
                    empty += not response.json()["items"]
                    timings.setdefault(name, []).append(elapsed)
            inbox = measure_inbox(server.base_url, users=inbox_partners, queries=INBOX_QUERIES * inbox_partners) \
                if referrals else None
        everything = [t for values in timings.values() for t in values]
        search = summary(everything)
        return {
            "benchmark": "referrals", "dialect": engine.dialect.name, "services": services, "locations": locations,
            "file_mb": round(size / 1e6, 1), "import_mode": mode, "import_seconds": import_seconds,
            "search_p50_ms": search["p50_ms"], "search_p95_ms": search["p95_ms"], "search": search,
            "search_by_kind": {name: summary(values) for name, values in timings.items()},
            "searches_without_results": empty,
            "partner_inbox": {"p95_ms": inbox["p95_ms"] if inbox else None, "goal_p95_ms": GOAL_INBOX_P95_MS,
                              "referrals": referrals, "partner_organisations": partners,
                              "partners_measured": inbox_partners, "timings": inbox, "seeding": inbox_seed,
                              "status": f"{inbox['p50_ms']} / {inbox['p95_ms']} ms (p50 / p95)" if inbox
                              else "skipped (--referrals 0)"},
            "goals": {"search_p95_ms": GOAL_SEARCH_P95_MS, "import_seconds": GOAL_IMPORT_SECONDS,
                      "inbox_p95_ms": GOAL_INBOX_P95_MS},
            "goals_met": {"search_p95": search["p95_ms"] <= GOAL_SEARCH_P95_MS,
                          "import": import_seconds <= GOAL_IMPORT_SECONDS,
                          "inbox_p95": inbox["p95_ms"] <= GOAL_INBOX_P95_MS if inbox else None},
            "cache": cache,
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                        "python": platform.python_version(),
                        "loadavg": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None},
        }
    finally:
        engine.dispose()


def _table(result: dict[str, Any]) -> Any:
    from rich.table import Table

    table = Table(title=f"Directory on {result['dialect']}: {result['services']} services, "
                        f"{result['locations']} locations")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row(f"import ({result['import_mode']}, {result['file_mb']} MB)", f"{result['import_seconds']} s")
    for name, s in result["search_by_kind"].items():
        table.add_row(f"search {name} p50 / p95", f"{s['p50_ms']} / {s['p95_ms']} ms")
    table.add_row("search p95 (all)", f"{result['search_p95_ms']} ms")
    table.add_row("partner inbox p95", str(result["partner_inbox"]["status"]))
    table.add_row("goals met", ", ".join(f"{k}: {v}" for k, v in result["goals_met"].items()))
    return table


def command(
    services: Annotated[int, typer.Option("--services", min=10, help="Services in the synthetic directory "
                                                                     "(two locations each).")] = 50_000,
    queries: Annotated[int, typer.Option("--queries", min=1, help="Searches of each kind.")] = 100,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic directory and the query mix.")] = 0,
    fresh: Annotated[bool, typer.Option("--fresh/--reuse", help="Delete the bench directory first, so that the "
                                                                "import inserts rather than updates.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")] = False,
    referrals: Annotated[int, typer.Option("--referrals", min=0, help="Referrals seeded for the partner inbox "
                                                                      "(0: skip the inbox).")] = 100_000,
    partners: Annotated[int, typer.Option("--partners", min=1, help="Partner organisations they go to.")] = 200,
    inbox_partners: Annotated[int, typer.Option("--inbox-partners", min=1, help="Partners whose inbox is "
                                                                                "timed.")] = 20,
) -> None:
    """Benchmark the service directory's import and search on CROSSROADS_DATABASE_URL (use a database of its own)."""
    from rich.console import Console

    err = Console(stderr=True)
    database_url = os.environ.get("CROSSROADS_DATABASE_URL")
    if not database_url:
        err.print("[bold red]error:[/] set CROSSROADS_DATABASE_URL to the database to benchmark "
                  "(it receives the synthetic directory; use one of its own)")
        raise typer.Exit(2)
    try:
        result = run_benchmark(database_url, services=services, queries=queries, seed=seed, fresh=fresh, console=err,
                               referrals=referrals, partners=partners, inbox_partners=inbox_partners)
    except BenchError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1) from None
    print_result(result, as_json=as_json, table=_table)
