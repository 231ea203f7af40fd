"""The re-evaluation diff over a whole programme: which cases' determination a new rule set would change.

It only reads. Each worker opens its own read-only connection (on SQLite a deferred transaction beside any writer
in WAL mode; on PostgreSQL a READ ONLY one), streams one range of case ids with a server-side cursor and
evaluates both rule sets on each case, so that a million cases never hold the registry's write lock and the
cores share the work.
"""

from __future__ import annotations

import multiprocessing
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, String, func, select, type_coerce

from crossroads.cases.models import Case
from crossroads.db.session import make_engine, new_session
from crossroads.eligibility import rulesets
from crossroads.eligibility.inputs import ScreeningRow, case_inputs
from crossroads.eligibility.models import Screening
from crossroads.people.models import Person

# The report keeps this many changed cases by name; the counts cover them all.
REPORT_CASES = 1000
_BATCH = 5000
# Ranges per worker: small enough that the progress bar moves and a slow range does not hold the others up.
_RANGES_PER_WORKER = 4

Progress = Callable[[int, int], None]


@dataclass
class Tally:
    cases: int = 0
    changed: int = 0
    transitions: Counter[str] = field(default_factory=Counter)
    criteria: Counter[str] = field(default_factory=Counter)
    changes: list[dict[str, Any]] = field(default_factory=list)
    # CPU time the work took in its process: on a shared machine, what the diff would need with the cores to itself.
    cpu_seconds: float = 0.0

    def add(self, other: Tally) -> None:
        self.cases += other.cases
        self.cpu_seconds += other.cpu_seconds
        self.changed += other.changed
        self.transitions.update(other.transitions)
        self.criteria.update(other.criteria)
        self.changes.extend(other.changes[:REPORT_CASES - len(self.changes)])

    def report(self) -> dict[str, Any]:
        return {"cases": self.cases, "changed": self.changed, "transitions": dict(self.transitions),
                "criteria": dict(self.criteria), "changes": self.changes[:REPORT_CASES],
                "truncated": self.changed > len(self.changes[:REPORT_CASES]),
                "cpu_seconds": round(self.cpu_seconds, 2)}


def id_ranges(parts: int) -> list[tuple[uuid.UUID | None, uuid.UUID | None]]:
    """`parts` contiguous ranges of the UUID space [lo, hi); case ids are random, so each holds a like share."""
    bounds = [uuid.UUID(int=(i << 128) // parts) for i in range(1, parts)]
    lows: list[uuid.UUID | None] = [None, *bounds]
    highs: list[uuid.UUID | None] = [*bounds, None]
    return list(zip(lows, highs, strict=True))


def rows(conn: Connection, programme: str, lo: uuid.UUID | None, hi: uuid.UUID | None, on: date,
         ) -> Iterator[tuple[Any, dict[str, Any]]]:
    """(case id, inputs) of the programme's cases in [lo, hi), in id order, streamed.

    Cases and their screenings are read as two ordered streams and merged, rather than one query per case.
    """
    def within(column: Any) -> list[Any]:
        conditions = []
        if lo is not None:
            conditions.append(column >= lo)
        if hi is not None:
            conditions.append(column < hi)
        return conditions

    # Per statement: Connection.execution_options would change the caller's connection for good.
    streamed = {"stream_results": True, "yield_per": _BATCH}
    # Ids as the driver returns them (SQLite: the stored hex text), compared as they come: building a UUID object
    # for every case and screening cost more than evaluating both rule sets on it.
    case_id_col, screening_case_col = type_coerce(Case.id, String), type_coerce(Screening.case_id, String)
    cases = conn.execute(
        select(case_id_col, Case.data, Person.date_of_birth, Person.date_of_birth_estimated, Person.sex,
               Person.nationality)
        .join(Person, Person.id == Case.person_id)
        .where(Case.programme == programme, *within(Case.id)).order_by(Case.id), execution_options=streamed)
    screened = conn.execute(
        select(screening_case_col, Screening.instrument, Screening.answers, Screening.score, Screening.findings)
        .join(Case, Case.id == Screening.case_id)
        .where(Case.programme == programme, *within(Screening.case_id))
        .order_by(Screening.case_id, Screening.screened_at, Screening.id), execution_options=streamed)
    try:
        pending = next(screened, None)
        for case_id, data, born, estimated, sex, nationality in cases:
            own: list[ScreeningRow] = []
            while pending is not None and pending[0] <= case_id:
                if pending[0] == case_id:
                    own.append((pending[1], pending[2], pending[3], pending[4]))
                pending = next(screened, None)
            yield case_id, case_inputs(date_of_birth=born, estimated=estimated,
                                       sex=str(sex) if sex is not None else None, nationality=nationality, data=data,
                                       screenings=own, on=on)
    finally:
        # A server-side cursor left open would outlive a consumer that stopped early.
        cases.close()
        screened.close()


def tally(old: rulesets.RuleSet | None, new: rulesets.RuleSet,
          source: Iterable[tuple[Any, dict[str, Any]]]) -> Tally:
    """Count and name the cases whose outcome changes from `old` (None: no rule set yet) to `new`.

    Only outcomes and criterion statuses are computed, never the messages of a trace: that is most of the cost
    of a determination, and a diff over a million cases needs none of it.
    """
    out = Tally()
    old_codes = [c.code for c in old.criteria] if old is not None else []
    new_codes = [c.code for c in new.criteria]
    for case_id, inputs in source:
        out.cases += 1
        after, new_statuses = rulesets.outcome_of(new, inputs)
        if old is None:
            before, changed = None, []
        else:
            before, old_statuses = rulesets.outcome_of(old, inputs)
            if before == after:
                continue
            was = dict(zip(old_codes, old_statuses, strict=True))
            changed = [code for code, status in zip(new_codes, new_statuses, strict=True) if was.get(code) != status]
            changed += [code for code in old_codes if code not in new_codes]
        out.changed += 1
        out.transitions[f"{before or 'none'}>{after}"] += 1
        out.criteria.update(changed)
        if len(out.changes) < REPORT_CASES:
            out.changes.append({"case_id": str(uuid.UUID(str(case_id))), "old": before, "new": after,
                                "criteria": sorted(changed)})
    return out


def diff_in_connection(conn: Connection, programme: str, old: rulesets.RuleSet | None, new: rulesets.RuleSet,
                       *, on: date | None = None) -> dict[str, Any]:
    """The report read through one connection (a request's, or a test's)."""
    started = time.perf_counter()
    report = tally(old, new, rows(conn, programme, None, None, on or date.today())).report()
    report["seconds"] = round(time.perf_counter() - started, 3)
    return report


def _range_job(url: str, programme: str, old_source: str | None, new_source: str, lo: uuid.UUID | None,
               hi: uuid.UUID | None, on: date) -> Tally:
    started = time.process_time()
    engine = _worker_engine(url)
    old = _parsed(old_source) if old_source is not None else None
    new = _parsed(new_source)
    with new_session(engine, read_only=True) as session, session.begin():
        result = tally(old, new, rows(session.connection(), programme, lo, hi, on))
    result.cpu_seconds = time.process_time() - started
    return result


_PARSED: dict[str, rulesets.RuleSet] = {}


def _parsed(source: str) -> rulesets.RuleSet:
    # Each worker runs several ranges: the rule files are compiled once per process.
    if source not in _PARSED:
        _PARSED[source] = rulesets.load_ruleset(source, source="rules")
    return _PARSED[source]


_ENGINES: dict[str, Any] = {}


def _forget_engines() -> None:
    # A forked worker inherits the parent's engines; their pooled connections belong to the parent.
    for engine in _ENGINES.values():
        engine.dispose(close=False)
    _ENGINES.clear()


def _context() -> Any:
    # Fork where the platform has it: a spawned worker imports the whole application again before reading a row.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _worker_engine(url: str) -> Any:
    # One engine per worker process, made after the fork or spawn: a pool must never cross processes.
    if url not in _ENGINES:
        _ENGINES[url] = make_engine(url)
    return _ENGINES[url]


def count_cases(url: str, programme: str) -> int:
    with new_session(_worker_engine(url), read_only=True) as session, session.begin():
        return session.scalar(select(func.count()).select_from(Case).where(Case.programme == programme)) or 0


def diff_over_registry(url: str, programme: str, old_source: str | None, new_source: str, *, workers: int = 0,
                       progress: Progress | None = None, on: date | None = None) -> dict[str, Any]:
    """The report over every case of the programme, read in ranges by `workers` processes (0: one per core)."""
    started = time.perf_counter()
    workers = workers or multiprocessing.cpu_count()
    total = count_cases(url, programme)
    day = on or date.today()
    result = Tally()
    ranges = id_ranges(max(1, workers * _RANGES_PER_WORKER))
    if progress:
        progress(0, total)
    if workers == 1:
        for lo, hi in ranges:
            result.add(_range_job(url, programme, old_source, new_source, lo, hi, day))
            if progress:
                progress(result.cases, total)
    else:
        with ProcessPoolExecutor(max_workers=workers, mp_context=_context(), initializer=_forget_engines) as pool:
            futures = [pool.submit(_range_job, url, programme, old_source, new_source, lo, hi, day)
                       for lo, hi in ranges]
            for future in as_completed(futures):
                result.add(future.result())
                if progress:
                    progress(result.cases, total)
    report = result.report()
    report["seconds"] = round(time.perf_counter() - started, 3)
    return report
