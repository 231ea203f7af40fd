"""`python -m bench people-search`: the people search's recall on spellings it was not given, and its latency.

Seeds (or reuses) N bench people, each with a case, as the cases benchmark does (bench/harness/seed.py), with
their search keys. Then, for Q of them picked at random, it writes a query the way another caseworker would:

- *variant*: every word that has another known transliteration (people/synthetic.py) written in one the
  person's own names do not use;
- *swapped*: the same, family name first;
- *dropped*: the same, one part of a name of three parts or more left out;
- *typo*: the same, with one letter of one word changed, dropped, doubled or swapped with the next.

A person whose words have no other spelling is queried with a typo. Each query runs through the people search
service (intake/search.py, the code behind GET /api/v1/people) as the bench caseworker of every bench office,
in a transaction rolled back afterwards; the figure is the share of queries that have the person in the
first 10 results, and the latency of each search (in process: no HTTP, one database round trip per query step)
with the CPU time it took in this process.
"""

from __future__ import annotations

import os
import platform
import random
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bench.harness import BenchError
from bench.harness.cache import warm_cache
from bench.harness.report import print_result
from bench.harness.stats import summary

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy import Engine

KINDS = ("variant", "swapped", "dropped", "typo")
TOP = 10
WARM_TABLES = ["people", "person_names", "person_search_keys", "identity_documents", "cases"]
GOALS = {"recall_at_10": 0.95, "p95_ms": 100.0}
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _latin_words(given: str, family: str, aliases: list[str]) -> list[str]:
    """The person's name in Latin letters: their own, or the first alias written so (a name in Arabic script)."""
    for name in (f"{given} {family}", *aliases):
        if name.isascii():
            return name.split()
    return f"{given} {family}".split()


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1) if len(word) > 2 else 0
    kind = rng.choice(("change", "drop", "double", "swap"))
    if kind == "change":
        letter = rng.choice([c for c in _LETTERS if c != word[i].lower()])
        return word[:i] + letter + word[i + 1:]
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    if i + 1 < len(word):
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return word[:i - 1] + word[i] + word[i - 1]


def make_query(given: str, family: str, aliases: list[str], kind: str, rng: random.Random) -> tuple[str, str]:
    """A query for this person of the given kind, and the kind it really is (a typo when no variant exists)."""
    from crossroads.people.synthetic import transliteration_variants

    used = {w.casefold() for name in (given, family, *aliases) for w in name.replace("-", " ").split()}
    words = _latin_words(given, family, aliases)
    changed = False
    out = []
    for word in words:
        others = [v for v in transliteration_variants(word) if " " not in v and v.casefold() not in used]
        if others:
            out.append(rng.choice(others))
            changed = True
        else:
            out.append(word)
    if not changed:
        kind = "typo"
    if kind == "swapped" and len(out) >= 2:
        out = out[1:] + out[:1]
    elif kind == "dropped":
        if len(out) >= 3:
            del out[rng.randrange(1, len(out))]
        else:
            kind = "variant"
    elif kind == "typo":
        candidates = [i for i, w in enumerate(out) if len(w) >= 4] or list(range(len(out)))
        i = rng.choice(candidates)
        out[i] = _typo(out[i], rng)
    return " ".join(out), kind


def _sample(engine: Engine, n: int, rng: random.Random) -> list[tuple[Any, str, str, list[str], int | None]]:
    """n bench people at random: id, given and family name, aliases, birth year."""
    from sqlalchemy import func, select

    from crossroads.people.models import Person, PersonName

    with engine.connect() as conn:
        total = conn.scalar(select(func.count()).select_from(Person)) or 0
        if total == 0:
            return []
        # Random offsets into the id order: cheap at a million rows, unlike ORDER BY random().
        ids = []
        for offset in sorted(rng.sample(range(total), min(n, total))):
            ids.append(conn.scalar(select(Person.id).order_by(Person.id).offset(offset).limit(1)))
        rows = conn.execute(select(Person.id, Person.given_name, Person.family_name, Person.date_of_birth)
                            .where(Person.id.in_(ids))).all()
        aliases: dict[Any, list[str]] = {}
        for pid, name in conn.execute(select(PersonName.person_id, PersonName.name)
                                      .where(PersonName.person_id.in_(ids)).order_by(PersonName.id)):
            aliases.setdefault(pid, []).append(name)
    by_id = {r.id: (r.id, r.given_name, r.family_name, aliases.get(r.id, []),
                    r.date_of_birth.year if r.date_of_birth else None) for r in rows}
    return [by_id[i] for i in ids if i in by_id]


def namesake_ceiling(engine: Engine, targets: list[tuple[Any, str, str, list[str], int | None]]) -> float:
    """The highest recall at 10 any search by name alone could reach on these targets: the mean, over them, of
    min(1, 10 / the number of people registered with exactly their given and family name). Exact namesakes
    score alike for any query, so which of them fill the ten places is chance."""
    from sqlalchemy import func, select, tuple_

    from crossroads.people.models import Person

    names = {(given, family) for _, given, family, _, _ in targets}
    if not names:
        return 0.0
    with engine.connect() as conn:
        bearing = dict(((g, f), n) for g, f, n in conn.execute(
            select(Person.given_name, Person.family_name, func.count())
            .where(tuple_(Person.given_name, Person.family_name).in_(sorted(names)))
            .group_by(Person.given_name, Person.family_name)))
    return sum(min(1.0, TOP / max(1, bearing.get((g, f), 1))) for _, g, f, _, _ in targets) / len(targets)


def run_benchmark(database_url: str, people: int, queries: int, seed: int, fresh: bool,
                  console: Console | None = None) -> dict[str, Any]:
    from rich.console import Console
    from sqlalchemy import inspect, select
    from sqlalchemy.orm import Session

    from bench.harness.seed import READER_EMAIL, ensure_world, seed_with_progress
    from crossroads.auth.models import User
    from crossroads.auth.service import principal_for
    from crossroads.db.session import make_engine
    from crossroads.intake.search import MAX_RANKED, PeopleFilters, search_people

    console = console or Console(stderr=True)
    engine = make_engine(database_url)
    try:
        if not inspect(engine).has_table("person_search_keys"):
            raise BenchError("the database has no up-to-date schema: run `crossroads db upgrade` first")
        started = time.perf_counter()
        world = ensure_world(engine)
        seeded = seed_with_progress(engine, people, console=console, seed=seed, fresh=fresh, world=world)
        seed_s = time.perf_counter() - started
        with console.status("reading the registry into the cache"):
            cache = warm_cache(engine, WARM_TABLES)
        rng = random.Random(seed)
        targets = _sample(engine, queries, rng)
        if not targets:
            raise BenchError("no bench people to search for")
        ceiling = namesake_ceiling(engine, targets)
        latencies: list[float] = []
        cpu: list[float] = []
        hits = {k: 0 for k in KINDS}
        counts = {k: 0 for k in KINDS}
        ranks: list[int] = []
        tied = 0
        with_born = hits_born = 0
        with Session(engine) as session:
            reader = session.scalar(select(User).where(User.email == READER_EMAIL))
            if reader is None:
                raise BenchError("the bench caseworker is missing")
            principal = principal_for(session, reader)
            # Warm the model and the code paths once, untimed.
            search_people(session, principal=principal, filters=PeopleFilters(q="Mohammed Ali"), page_size=TOP)
            for i, (pid, given, family, aliases, year) in enumerate(targets):
                q, kind = make_query(given, family, aliases, KINDS[i % len(KINDS)], rng)
                t0, c0 = time.perf_counter(), time.process_time()
                page = search_people(session, principal=principal, filters=PeopleFilters(q=q), page_size=TOP)
                latencies.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
                found = [h.person.id for h in page.items]
                counts[kind] += 1
                if pid in found:
                    hits[kind] += 1
                    ranks.append(found.index(pid) + 1)
                if year is not None:
                    # The same query as a caseworker who knows the age roughly would run it: born ± 2 years.
                    aged = search_people(session, principal=principal, page_size=TOP, filters=PeopleFilters(
                        q=q, born=year + rng.randint(-2, 2), born_within=2))
                    with_born += 1
                    hits_born += pid in [h.person.id for h in aged.items]
                if pid not in found and len(page.items) == TOP:
                    # Untimed: is the person further down with the very score of the tenth, a namesake as far
                    # as the name can tell?
                    deeper = search_people(session, principal=principal, filters=PeopleFilters(q=q),
                                           page_size=MAX_RANKED).items
                    mine = [h.score for h in deeper if h.person.id == pid]
                    if mine and mine[0] == page.items[-1].score:
                        tied += 1
            session.rollback()
        n = sum(counts.values())
        recall = sum(hits.values()) / n
        timing = summary(latencies)
        cpu_timing = summary(cpu)
        return {
            "benchmark": "people-search", "dialect": engine.dialect.name, "n_people": seeded.total,
            "seeded_people": seeded.added, "queries": n, "seed": seed,
            "recall_at_10": round(recall, 4),
            "recall_at_10_by_kind": {k: (round(hits[k] / counts[k], 4) if counts[k] else None) for k in KINDS},
            "queries_by_kind": counts,
            "first_place_share": round(sum(1 for r in ranks if r == 1) / n, 4),
            "recall_at_10_with_born_within_2": round(hits_born / with_born, 4) if with_born else None,
            # Missed, but with the same name score as the tenth result: more than ten people whose names are as
            # close to the query, which only a filter (birth year, sex, nationality) can tell apart.
            "missed_tied_with_tenth": tied,
            "recall_at_10_ceiling_by_name": round(ceiling, 4),
            "p50_ms": timing["p50_ms"], "p95_ms": timing["p95_ms"], "max_ms": timing["max_ms"],
            # This process's CPU time per search (with SQLite, the database's work too; with PostgreSQL, not the
            # server's): on a machine shared with other work, what the search costs apart from waiting for a core.
            "cpu_p50_ms": cpu_timing["p50_ms"], "cpu_p95_ms": cpu_timing["p95_ms"],
            "goals": GOALS,
            "goals_met": {"recall_at_10": recall >= GOALS["recall_at_10"],
                          "p95_ms": timing["p95_ms"] <= GOALS["p95_ms"]},
            "durations_s": {"seed": round(seed_s, 1), **{k: v for k, v in cache.items() if k == "warm_seconds"}},
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                        "python": platform.python_version(),
                        "load_before": list(os.getloadavg()) if hasattr(os, "getloadavg") else None},
        }
    finally:
        engine.dispose()


def _table(result: dict[str, Any]) -> Any:
    from rich.table import Table

    table = Table(title=f"People search, {result['n_people']:,} people on {result['dialect']}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("recall at 10", f"{result['recall_at_10']:.1%}")
    for kind, value in result["recall_at_10_by_kind"].items():
        table.add_row(f"  {kind} ({result['queries_by_kind'][kind]})", "—" if value is None else f"{value:.1%}")
    table.add_row("ceiling for any search by name alone", f"{result['recall_at_10_ceiling_by_name']:.1%}")
    table.add_row("first place", f"{result['first_place_share']:.1%}")
    table.add_row("recall at 10, born ± 2 given", f"{result['recall_at_10_with_born_within_2']:.1%}")
    table.add_row("p50 / p95 / max ms", f"{result['p50_ms']} / {result['p95_ms']} / {result['max_ms']}")
    table.add_row("CPU p50 / p95 ms", f"{result['cpu_p50_ms']} / {result['cpu_p95_ms']}")
    return table


def command(
    people: Annotated[int, typer.Option("--people", min=1, help="Bench people the database must hold (seeded if "
                                                                "missing), each with a case.")] = 100_000,
    queries: Annotated[int, typer.Option("--queries", min=1, help="People searched for.")] = 500,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic data and of the queries.")] = 0,
    reuse: Annotated[bool, typer.Option("--reuse/--fresh", help="Reuse bench people already in the database, or "
                                                                "delete them and seed again.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")] = False,
) -> None:
    """Recall at 10 and latency of the people search on CROSSROADS_DATABASE_URL (seeds bench people there)."""
    from rich.console import Console

    database_url = os.environ.get("CROSSROADS_DATABASE_URL")
    err = Console(stderr=True)
    if not database_url:
        err.print("[bold red]error:[/] set CROSSROADS_DATABASE_URL to the database to benchmark "
                  "(it receives the synthetic bench people; use one of its own)")
        raise typer.Exit(2)
    try:
        result = run_benchmark(database_url, people, queries, seed, not reuse, console=err)
    except BenchError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1) from None
    print_result(result, as_json=as_json, table=_table)
