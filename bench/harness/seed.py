"""Fast bulk seeding of synthetic cases for benchmarks.

A benchmark at a million cases needs the rows in minutes, so this module writes people, their names and
aliases, name tokens and search keys, identity documents, cases and case flags straight into the tables, in
batches: psycopg COPY on PostgreSQL, executemany on SQLite. The organisation, offices and users it needs are
created through the auth services like any others. Every bench office's code starts with ``BENCH``; that is
how a later run recognises the bench cases and reuses them instead of seeding again.
"""

from __future__ import annotations

import json
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import JSON, Connection, Engine, Table, delete, func, select, text, update
from sqlalchemy.orm import Session

from crossroads.audit.service import record_event
from crossroads.auth import service as auth_service
from crossroads.auth.models import Office, Organisation, User
from crossroads.auth.roles import OrganisationKind, Role
from crossroads.auth.schemas import OfficeCreate, OrganisationCreate, UserCreate
from crossroads.cases.models import Case, CaseFlag
from crossroads.db.base import utcnow
from crossroads.db.session import unit_of_work
from crossroads.demo import PROGRAMME_WEIGHTS
from crossroads.kit.text import normalise_document_number, search_key
from crossroads.people.models import IdentityDocument, Person, PersonName, PersonNameToken, PersonSearchKey
from crossroads.people.service import person_name_keys
from crossroads.people.synthetic import SyntheticPerson, generate_people
from crossroads.programmes.models import Programme
from crossroads.programmes.service import current_version

BENCH_ORGANISATION = "Crossroads Bench Agency"
OFFICE_PREFIX = "BENCH"
# code, name, city, country
OFFICES = [
    (f"{OFFICE_PREFIX}{i}", f"Bench office {i}", city, country)
    for i, (city, country) in enumerate(
        [("Tunis", "TUN"), ("Agadez", "NER"), ("Oujda", "MAR"), ("Kassala", "SDN"), ("Tripoli", "LBY"),
         ("Niamey", "NER"), ("Gao", "MLI"), ("Sfax", "TUN")], start=1)
]
# Known on purpose: bench databases hold synthetic people only, and the benchmark must be able to log in.
BENCH_PASSWORD = "bench-only-password-not-a-secret"  # noqa: S105
BENCH_DOMAIN = "bench.example.org"
READER_EMAIL = f"bench-caseworker@{BENCH_DOMAIN}"
SUPERVISOR_EMAIL = f"bench-supervisor@{BENCH_DOMAIN}"
CASEWORKERS_PER_OFFICE = 3
FLAGS = {"urgent": 30, "vulnerable": 30, "medical": 15, "legal_deadline": 10, "interpreter_needed": 10,
         "security_risk": 5}
HISTORY_DAYS = 3 * 365


def caseworker_email(office_code: str, k: int) -> str:
    return f"bench-cw-{office_code.lower()}-{k}@{BENCH_DOMAIN}"


@dataclass(frozen=True)
class BenchOffice:
    id: uuid.UUID
    code: str
    caseworkers: tuple[uuid.UUID, ...]


@dataclass(frozen=True)
class BenchWorld:
    organisation_id: uuid.UUID
    offices: tuple[BenchOffice, ...]
    reader_id: uuid.UUID

    @property
    def office_ids(self) -> list[uuid.UUID]:
        return [o.id for o in self.offices]


@dataclass(frozen=True)
class SeedResult:
    existing: int
    added: int
    total: int
    seconds: float


def ensure_world(engine: Engine) -> BenchWorld:
    """The bench organisation, its offices and users, created through the auth services if missing."""
    with unit_of_work(engine) as session:
        org = session.scalar(select(Organisation).where(Organisation.name == BENCH_ORGANISATION))
        if org is None:
            org = auth_service.create_organisation(session, actor=None, data=OrganisationCreate(
                name=BENCH_ORGANISATION, kind=OrganisationKind.AGENCY))
        by_code = {o.code: o for o in session.scalars(select(Office).where(Office.code.like(f"{OFFICE_PREFIX}%")))}
        for code, name, city, country in OFFICES:
            if code not in by_code:
                by_code[code] = auth_service.create_office(session, actor=None, data=OfficeCreate(
                    organisation_id=org.id, code=code, name=name, city=city, country=country))
        offices = [by_code[code] for code, *_ in OFFICES]
        users = {u.email: u.id for u in session.scalars(select(User).where(User.email.like(f"%@{BENCH_DOMAIN}")))}

        def user(email: str, name: str, role: Role, office_ids: list[uuid.UUID]) -> uuid.UUID:
            if email not in users:
                users[email] = auth_service.create_user(session, actor=None, data=UserCreate(
                    email=email, full_name=name, role=role, organisation_id=org.id, office_ids=office_ids,
                    password=BENCH_PASSWORD)).id
            return users[email]

        every = [o.id for o in offices]
        reader = user(READER_EMAIL, "Bench Caseworker", Role.CASEWORKER, every)
        user(SUPERVISOR_EMAIL, "Bench Supervisor", Role.SUPERVISOR, every)
        bench_offices = tuple(
            BenchOffice(id=o.id, code=o.code, caseworkers=tuple(
                user(caseworker_email(o.code, k), f"Bench Caseworker {o.code} {k}", Role.CASEWORKER, [o.id])
                for k in range(1, CASEWORKERS_PER_OFFICE + 1)))
            for o in offices
        )
        return BenchWorld(organisation_id=org.id, offices=bench_offices, reader_id=reader)


def count_bench_cases(engine: Engine, world: BenchWorld) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(Case).where(Case.office_id.in_(world.office_ids))) or 0


def delete_bench_cases(engine: Engine, world: BenchWorld) -> None:
    """Remove the bench offices' cases and people (their names, tokens, documents and flags cascade)."""
    ids = world.office_ids
    with engine.begin() as conn:
        conn.execute(delete(Case).where(Case.office_id.in_(ids)))
        conn.execute(delete(Person).where(Person.office_id.in_(ids)))
        conn.execute(update(Office).where(Office.id.in_(ids)).values(case_counter=0))


@dataclass(frozen=True)
class ActiveProgramme:
    code: str
    version_id: int
    open_states: tuple[str, ...]
    terminal_states: tuple[str, ...]


def active_programmes(engine: Engine) -> tuple[list[ActiveProgramme], list[int]]:
    """The demo's programmes that are active here, with their current states, and their weights in the mix."""
    with Session(engine) as session:
        active = set(session.scalars(select(Programme.code).where(Programme.active)))
        found, weights = [], []
        for code, weight in PROGRAMME_WEIGHTS.items():
            if code not in active:
                continue
            _, version, config = current_version(session, code)
            open_states = [s.name for s in config.states if not s.terminal and s.name != config.initial_state]
            found.append(ActiveProgramme(
                code=code, version_id=version.id, open_states=(config.initial_state, *open_states),
                terminal_states=tuple(s.name for s in config.states if s.terminal)))
            weights.append(weight)
        return found, weights


def _is_native_script(name: str) -> bool:
    return any(ord(ch) > 0x024F and ch.isalpha() for ch in name)


_EXPIRING = {"passport": 10, "national_id": 10, "travel_document": 5, "residence_permit": 3}


class _Batch:
    """Rows for one batch of cases, as tuples in the column order of each table below."""

    PEOPLE = ("id", "office_id", "given_name", "family_name", "sex", "date_of_birth", "date_of_birth_estimated",
              "nationality", "languages", "phone", "search_key", "created_by", "version", "created_at",
              "updated_at")
    NAMES = ("person_id", "name", "kind")
    TOKENS = ("person_id", "token")
    SEARCH_KEYS = ("person_id", "office_id", "key")
    DOCUMENTS = ("person_id", "document_type", "number", "number_normalised", "issuing_country", "expiry_date",
                 "created_at")
    CASES = ("id", "case_number", "person_id", "programme", "programme_version_id", "office_id", "state", "data",
             "flags", "opened_at", "closed_at", "last_activity_at", "opened_by", "assigned_to", "version",
             "created_at", "updated_at")
    FLAGS = ("case_id", "flag")

    def __init__(self) -> None:
        self.people: list[tuple] = []
        self.names: list[tuple] = []
        self.tokens: list[tuple] = []
        self.search_keys: list[tuple] = []
        self.documents: list[tuple] = []
        self.cases: list[tuple] = []
        self.flags: list[tuple] = []


class _CaseMaker:
    def __init__(self, world: BenchWorld, programmes: list[ActiveProgramme], weights: list[int], seed: int,
                 counters: dict[uuid.UUID, int]) -> None:
        self.rng = random.Random(seed)
        self.world = world
        self.programmes = programmes
        self.cum_weights = _cumulative(weights)
        self.flag_names = list(FLAGS)
        self.flag_weights = _cumulative(list(FLAGS.values()))
        self.counters = counters
        self.now = utcnow()

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _state(self, programme: ActiveProgramme, age: float) -> tuple[str, bool]:
        """Older cases are further along, and more of them are closed."""
        rand = self.rng.random
        if programme.terminal_states and rand() < 0.1 + 0.75 * age:
            terminal = programme.terminal_states
            return (terminal[0] if rand() < 0.7 else self.rng.choice(terminal)), True
        states = programme.open_states
        index = min(len(states) - 1, int(self.rng.triangular(0, len(states), age * len(states))))
        return states[index], False

    def add(self, batch: _Batch, p: SyntheticPerson) -> None:
        rng, rand = self.rng, self.rng.random
        office = self.world.offices[int(rand() * len(self.world.offices))]
        worker = rng.choice(office.caseworkers)
        programme = self.programmes[_pick(rand(), self.cum_weights)]
        age_days = rand() * HISTORY_DAYS
        opened_at = self.now - timedelta(days=age_days)
        state, terminal = self._state(programme, age_days / HISTORY_DAYS)
        since = self.now - opened_at
        closed_at = opened_at + since * rand() if terminal else None
        last_activity = closed_at if closed_at else opened_at + since * (1 - rand() ** 3)
        registered_at = opened_at - timedelta(minutes=5 + 55 * rand())

        person_id = self._uuid()
        key = search_key(p.given_name, p.family_name, *p.aliases)
        batch.people.append((
            person_id, office.id, p.given_name, p.family_name, p.sex, p.date_of_birth, p.date_of_birth_estimated,
            p.nationality, list(p.languages), p.phone, key, worker, 1, registered_at, registered_at))
        batch.names.extend((person_id, a, "native_script" if _is_native_script(a) else "alias") for a in p.aliases)
        batch.tokens.extend((person_id, t[:64]) for t in dict.fromkeys(key.split()))
        # Keyed for the person's office, where the case below is opened too (people/models.py: PersonSearchKey).
        batch.search_keys.extend((person_id, office.id, k) for k in person_name_keys(
            p.given_name, p.family_name, list(p.aliases), p.nationality))
        for d in p.documents:
            years = _EXPIRING.get(d.type)
            expiry = (date(opened_at.year + years, opened_at.month, 1) if years else None)
            batch.documents.append((person_id, d.type, d.number, normalise_document_number(d.number),
                                    d.issuing_country, expiry, registered_at))

        case_id = self._uuid()
        self.counters[office.id] += 1
        flags: list[str] = []
        if rand() < 0.2:
            flags = sorted({self.flag_names[_pick(rand(), self.flag_weights)] for _ in range(1 + (rand() < 0.2))})
        batch.cases.append((
            case_id, f"{office.code}-{opened_at.year}-{self.counters[office.id]:06d}", person_id, programme.code,
            programme.version_id, office.id, state, {}, flags, opened_at, closed_at, last_activity,
            worker, rng.choice(office.caseworkers), 1, opened_at, last_activity))
        batch.flags.extend((case_id, f) for f in flags)


def _cumulative(weights: Sequence[int]) -> list[float]:
    total, out = sum(weights), []
    running = 0.0
    for w in weights:
        running += w / total
        out.append(running)
    return out


def _pick(u: float, cumulative: list[float]) -> int:
    for i, edge in enumerate(cumulative):
        if u < edge:
            return i
    return len(cumulative) - 1


def write_rows(conn: Connection, table: Table, columns: Sequence[str], rows: list[tuple]) -> None:
    """Insert rows, tuples in the order of `columns`, in bulk: COPY on PostgreSQL, executemany elsewhere."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        json_at = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, JSON)]
        cursor = conn.connection.driver_connection.cursor()
        with cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                if json_at:
                    row = list(row)
                    for i in json_at:
                        row[i] = json.dumps(row[i])
                copy.write_row(row)
        return
    # The column types' own bind processors, so values are stored exactly as the ORM would store them.
    processors = [table.c[c].type._cached_bind_processor(conn.dialect) for c in columns]
    if any(processors):
        rows = [tuple(v if p is None else p(v) for p, v in zip(processors, row, strict=True)) for row in rows]
    placeholders = ", ".join("?" for _ in columns)
    # Table and column names come from the models, never from input.
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608
    conn.exec_driver_sql(sql, rows)


def _write_batch(conn: Connection, batch: _Batch, counters: dict[uuid.UUID, int]) -> None:
    write_rows(conn, Person.__table__, _Batch.PEOPLE, batch.people)
    write_rows(conn, PersonName.__table__, _Batch.NAMES, batch.names)
    write_rows(conn, PersonNameToken.__table__, _Batch.TOKENS, batch.tokens)
    write_rows(conn, PersonSearchKey.__table__, _Batch.SEARCH_KEYS, batch.search_keys)
    write_rows(conn, IdentityDocument.__table__, _Batch.DOCUMENTS, batch.documents)
    write_rows(conn, Case.__table__, _Batch.CASES, batch.cases)
    write_rows(conn, CaseFlag.__table__, _Batch.FLAGS, batch.flags)
    # New cases opened through the API continue each office's numbering after the seeded ones.
    for office_id, counter in counters.items():
        conn.execute(update(Office).where(Office.id == office_id).values(case_counter=counter))


def _batches(people: Iterator[SyntheticPerson], maker: _CaseMaker,
             size: int) -> Iterator[tuple[_Batch, dict[uuid.UUID, int]]]:
    """Batches of rows, each with the office case counters as they stand after it."""
    batch = _Batch()
    for p in people:
        maker.add(batch, p)
        if len(batch.cases) >= size:
            yield batch, dict(maker.counters)
            batch = _Batch()
    if batch.cases:
        yield batch, dict(maker.counters)


def _prefetched(items: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """Run a generator in a thread, `depth` items ahead of the consumer."""
    done = object()
    box: queue.Queue = queue.Queue(maxsize=depth)
    failure: list[BaseException] = []
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        box.put(item, timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
        except BaseException as exc:  # handed to the consumer, which re-raises it
            failure.append(exc)
        finally:
            while True:
                try:
                    box.put(done, timeout=0.5)
                    break
                except queue.Full:
                    if stop.is_set():
                        break

    thread = threading.Thread(target=produce, name="bench-seed-producer", daemon=True)
    thread.start()
    try:
        while (item := box.get()) is not done:
            yield item
        if failure:
            raise failure[0]
    finally:
        stop.set()
        thread.join(timeout=5)


def seed_cases(engine: Engine, n: int, *, seed: int = 0, fresh: bool = False, batch_size: int = 10_000,
               progress: Callable[[int], None] | None = None, world: BenchWorld | None = None) -> SeedResult:
    """Make sure the database holds at least n bench cases, seeding only the missing ones."""
    started = time.perf_counter()
    world = world or ensure_world(engine)
    if fresh:
        delete_bench_cases(engine, world)
    existing = count_bench_cases(engine, world)
    missing = max(0, n - existing)
    if progress:
        progress(min(existing, n))
    if missing:
        programmes, weights = active_programmes(engine)
        with engine.connect() as conn:
            counters = dict(conn.execute(select(Office.id, Office.case_counter)
                                         .where(Office.id.in_(world.office_ids))).tuples().all())
        # A top-up draws different people from a first seeding, so the seed moves with what is there.
        run_seed = seed * 1_000_003 + existing
        maker = _CaseMaker(world, programmes, weights, run_seed, counters)
        # Python builds the next batch while the database ingests this one: the two cores work in parallel.
        for batch, batch_counters in _prefetched(_batches(generate_people(missing, seed=run_seed), maker,
                                                          batch_size)):
            with engine.begin() as conn:
                _write_batch(conn, batch, batch_counters)
            if progress:
                progress(len(batch.cases))
        # Bulk seeding bypasses register_person/open_case (and their per-row audit events) on purpose: a
        # million service calls would take hours. One event records that, and how many, synthetic cases
        # were written, so the trail still shows every change to the registry.
        with unit_of_work(engine) as session:
            record_event(session, actor=None, action="bench.seed", entity_type="bench", system_actor="bench",
                         details={"cases": missing, "total": existing + missing, "seed": seed,
                                  "offices": [o.code for o in world.offices]})
        if engine.dialect.name == "postgresql":
            # Statistics for the planner, and the visibility map that index-only scans need: what autovacuum
            # would give these tables a while later, so the benchmark sees the steady state.
            tables = ", ".join(t.name for t in (Person.__table__, PersonName.__table__, PersonNameToken.__table__,
                                                  PersonSearchKey.__table__, IdentityDocument.__table__,
                                                  Case.__table__, CaseFlag.__table__))
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f"VACUUM (ANALYZE) {tables}"))
    return SeedResult(existing=existing, added=missing, total=existing + missing,
                      seconds=time.perf_counter() - started)


def seed_with_progress(engine: Engine, n: int, *, console: Any = None, **kwargs: Any) -> SeedResult:
    """seed_cases with a Rich progress bar (on the given console, e.g. standard error)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn("Seeding bench cases"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=console) as bar:
        task = bar.add_task("seed", total=n)
        result = seed_cases(engine, n, progress=lambda k: bar.advance(task, k), **kwargs)
        bar.update(task, completed=n)
    return result
