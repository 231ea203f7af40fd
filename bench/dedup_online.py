"""Latency of the online duplicate check at registration, against a registry of N people.

``measure_online(people=N, seed=S, console=C)`` (called by ``python -m bench dedup``) makes sure the
database at CROSSROADS_DATABASE_URL holds N synthetic bench people with their blocking keys — seeding the
missing ones in bulk, with planted duplicates from crossroads.dedup.engine.synthetic (other transliterations,
typos, swapped names, approximate dates) — then times M checks of sampled people against the rest of the
registry, each as a request would run it: its own session, ``find_candidates`` (blocking-key lookup,
candidates' fields, scoring with the active model, the audit row) and the commit.

Bulk seeding writes rows straight into the tables like bench/harness/seed.py (COPY on PostgreSQL,
executemany on SQLite) and records one audit event saying so; a million register_person calls would take
hours.
"""

from __future__ import annotations

import os
import random
import statistics
import time
import uuid
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, select, text

from bench.harness.cache import warm_cache
from bench.harness.seed import BenchWorld, caseworker_email, ensure_world, write_rows
from bench.harness.stats import percentile
from crossroads.audit.service import record_event
from crossroads.db.base import utcnow
from crossroads.db.session import refresh_planner_statistics, session_factory, unit_of_work
from crossroads.dedup.engine.keys import PersonRecord, blocking_keys
from crossroads.dedup.engine.synthetic import generate_labelled
from crossroads.dedup.models import PersonMatchKey
from crossroads.dedup.reindex import spread_sample
from crossroads.kit.text import normalise_document_number, search_key
from crossroads.people.models import IdentityDocument, Person, PersonNameToken

DEFAULT_CHECKS = 300
WARMUP = 20
# Originals generated per batch; with planted duplicates a batch holds about 20% more people.
BATCH = 20_000
_SEX = {"f": "female", "m": "male"}

PEOPLE = ("id", "office_id", "given_name", "family_name", "sex", "date_of_birth", "date_of_birth_estimated",
          "nationality", "languages", "phone", "search_key", "created_by", "version", "created_at", "updated_at")
TOKENS = ("person_id", "token")
DOCUMENTS = ("person_id", "document_type", "number", "number_normalised", "issuing_country", "expiry_date",
             "created_at")
KEYS = ("person_id", "key")


def _stored_date(value: str | None, estimated: bool) -> tuple[date | None, bool]:
    """The date column as registration stores it: a year alone becomes 1 July of it, flagged estimated."""
    if not value:
        return None, estimated
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 3:
        return date(*parts), estimated
    return date(parts[0], 7, 1), True


class _Rows:
    def __init__(self) -> None:
        self.people: list[tuple] = []
        self.tokens: list[tuple] = []
        self.documents: list[tuple] = []
        self.keys: list[tuple] = []

    def trim(self, people: int) -> None:
        """Keep the first `people` people and only their other rows."""
        if len(self.people) <= people:
            return
        self.people = self.people[:people]
        kept = {row[0] for row in self.people}
        self.tokens = [r for r in self.tokens if r[0] in kept]
        self.documents = [r for r in self.documents if r[0] in kept]
        self.keys = [r for r in self.keys if r[0] in kept]


def _rows(records: list[PersonRecord], world: BenchWorld, rng: random.Random) -> _Rows:
    rows = _Rows()
    now = utcnow()
    for r in records:
        office = world.offices[int(rng.random() * len(world.offices))]
        person_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        born, estimated = _stored_date(r.date_of_birth, r.dob_estimated)
        given, family = r.given_name or "", r.family_name or ""
        key = search_key(given, family)
        phone = r.phones[0] if r.phones else None
        rows.people.append((person_id, office.id, given, family, _SEX.get(r.sex or "", "unknown"), born, estimated,
                            r.nationality, [], phone, key, office.caseworkers[0], 1, now, now))
        rows.tokens.extend((person_id, t[:64]) for t in dict.fromkeys(key.split()))
        rows.documents.extend((person_id, "passport", d, normalise_document_number(d), None, None, now)
                              for d in r.documents)
        # The keys of the person as stored, exactly what index_person would write for them.
        stored = PersonRecord(id=str(person_id), given_name=given, family_name=family,
                              date_of_birth=born.isoformat() if born else None, dob_estimated=estimated,
                              sex=_SEX.get(r.sex or "", "unknown"), nationality=r.nationality,
                              documents=r.documents, phones=(phone,) if phone else ())
        rows.keys.extend((person_id, k) for k in sorted(blocking_keys(stored)))
    return rows


def _batch_rows(world: BenchWorld, seed: int, index: int, originals: int) -> _Rows:
    """Batch `index` of a seeding run: the same rows whichever process builds it."""
    records = generate_labelled(originals, seed=seed + index, contacts=True).records
    return _rows(records, world, random.Random(seed * 7_919 + index))


def _batches(missing: int, world: BenchWorld, seed: int) -> Iterator[_Rows]:
    """Batches of bench people until `missing` are made, built on every core while the database ingests."""
    # Computing keys is pure Python (about 350 µs a person), so threads would share one core; processes
    # build whole batches side by side, at most two ahead per process so memory stays bounded.
    sizes: list[int] = []
    planned = 0
    while planned < missing:
        originals = max(1, min(BATCH, int((missing - planned) / 1.2) + 1))
        sizes.append(originals)
        planned += int(originals * 1.2) + 1
    workers = max(1, min(len(sizes), os.cpu_count() or 1))
    made = 0
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending: deque[Future[_Rows]] = deque()
        submitted = 0
        while made < missing:
            while submitted < len(sizes) and len(pending) < 2 * workers:
                pending.append(pool.submit(_batch_rows, world, seed, submitted, sizes[submitted]))
                submitted += 1
            if not pending:
                # The planned sizes fell short (fewer duplicates than expected): one more batch.
                sizes.append(max(1, int((missing - made) / 1.2) + 1))
                continue
            rows = pending.popleft().result()
            rows.trim(missing - made)
            made += len(rows.people)
            yield rows


def count_bench_people(engine: Engine, world: BenchWorld) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(Person).where(Person.office_id.in_(world.office_ids))) or 0


def seed_people(engine: Engine, n: int, *, seed: int = 0, console: Any = None) -> dict[str, Any]:
    """At least n bench people with their blocking keys, seeding only the missing ones."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    started = time.perf_counter()
    world = ensure_world(engine)
    existing = count_bench_people(engine, world)
    missing = max(0, n - existing)
    if missing:
        run_seed = seed * 1_000_003 + existing
        with Progress(TextColumn("Seeding people and blocking keys"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console) as bar:
            task = bar.add_task("seed", total=missing)
            for rows in _batches(missing, world, run_seed):
                with engine.begin() as conn:
                    write_rows(conn, Person.__table__, PEOPLE, rows.people)
                    write_rows(conn, PersonNameToken.__table__, TOKENS, rows.tokens)
                    write_rows(conn, IdentityDocument.__table__, DOCUMENTS, rows.documents)
                    write_rows(conn, PersonMatchKey.__table__, KEYS, rows.keys)
                bar.advance(task, len(rows.people))
        with unit_of_work(engine) as session:
            record_event(session, actor=None, action="bench.seed", entity_type="bench", system_actor="bench",
                         details={"people": missing, "total": existing + missing, "seed": seed, "match_keys": True})
        if engine.dialect.name == "postgresql":
            tables = ", ".join(t.name for t in (Person.__table__, PersonNameToken.__table__,
                                                  IdentityDocument.__table__, PersonMatchKey.__table__))
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f"VACUUM (ANALYZE) {tables}"))
    refresh_planner_statistics(engine)
    return {"existing": existing, "added": missing, "total": existing + missing,
            "seed_seconds": round(time.perf_counter() - started, 1)}


def _sample(engine: Engine, world: BenchWorld, count: int, seed: int) -> list[uuid.UUID]:
    """Bench people spread over the registry."""
    with engine.connect() as conn:
        return spread_sample(conn, count, seed=seed, where=[Person.office_id.in_(world.office_ids)])


def time_checks(engine: Engine, world: BenchWorld, *, checks: int = DEFAULT_CHECKS, seed: int = 0) -> dict[str, Any]:
    """Time `checks` online checks of sampled people against everyone else, one session and commit each."""
    from sqlalchemy.orm import selectinload

    from crossroads.auth.models import User
    from crossroads.auth.service import principal_for
    from crossroads.dedup.index import person_record
    from crossroads.dedup.service import find_candidates

    ids = _sample(engine, world, checks + WARMUP, seed)
    factory = session_factory(engine)
    with factory() as session:
        user = session.scalar(select(User).where(User.email == caseworker_email(world.offices[0].code, 1)))
        principal = principal_for(session, user)
        records = [person_record(p) for p in session.scalars(
            select(Person).where(Person.id.in_(ids)).options(selectinload(Person.names),
                                                           selectinload(Person.documents)))]
    by_id = {uuid.UUID(r.id): r for r in records}
    timings: list[float] = []
    shown: list[int] = []
    hidden: list[int] = []
    for i, person_id in enumerate(ids):
        record = by_id[person_id]
        t = time.perf_counter()
        with factory() as session, session.begin():
            result = find_candidates(session, principal=principal, record=record, exclude=person_id)
        elapsed = (time.perf_counter() - t) * 1000
        if i >= WARMUP:
            timings.append(elapsed)
            shown.append(len(result.candidates))
            hidden.append(result.hidden)
    return {
        "online_p50_ms": round(percentile(timings, 50), 2),
        "online_p95_ms": round(percentile(timings, 95), 2),
        "online_max_ms": round(max(timings), 2),
        "online_checks": len(timings),
        "online_candidates_mean": round(statistics.fmean(shown), 2),
        "online_with_candidates": round(sum(1 for s in shown if s) / len(shown), 3),
        "online_hidden_mean": round(statistics.fmean(hidden), 2),
    }


def measure_online(*, people: int, seed: int = 0, console: Any = None, checks: int = DEFAULT_CHECKS,
                   engine: Engine | None = None) -> dict[str, Any]:
    """Seed (if needed) and time the online check; the figures `python -m bench dedup` prints."""
    from crossroads import schema  # noqa: F401  (every table, for the foreign keys between domains)
    from crossroads.config import Settings
    from crossroads.db.session import make_engine
    from crossroads.schema import upgrade_database

    own = engine is None
    engine = engine or make_engine(Settings().database_url)
    try:
        upgrade_database(engine)
        seeded = seed_people(engine, people, seed=seed, console=console)
        world = ensure_world(engine)
        cache = warm_cache(engine, ["people", "person_names", "identity_documents", "person_match_keys"])
        figures = time_checks(engine, world, checks=checks, seed=seed)
        return {**figures, "online_people": seeded["total"], "online_backend": engine.dialect.name,
                "online_seed_seconds": seeded["seed_seconds"], "online_cache": cache}
    finally:
        if own:
            engine.dispose()
