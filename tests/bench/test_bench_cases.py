"""A smoke run of the cases benchmark at a tiny size: every figure is there and plausible.

A benchmark, not a timed test: nothing here asserts a speed. It runs on the backend of the test database URL,
in a database of its own (a SQLite file, or a fresh PostgreSQL database on the same server), because the
benchmark commits its bench organisation, offices, users and cases, which the shared test database must not
keep.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.orm import Session

from bench.cases_replay import REPLAY_SCHEMA, REPLAY_SCRIPT
from bench.harness.seed import seed_cases
from crossroads.audit.seal import seal_pending
from crossroads.audit.service import count_events
from crossroads.audit.verify import verify_trail
from crossroads.db.session import make_engine
from crossroads.schema import upgrade_database
from tests.factories import audit as au
from tests.factories import people as pf

ROOT = Path(__file__).resolve().parents[2]
KEYS = ("n_cases", "dialect", "clients", "seconds", "queries", "date", "machine", "durations_s",
        "search_p50_ms", "search_p95_ms", "list_p50_ms", "list_p95_ms", "open_case_p50_ms", "open_case_p95_ms",
        "registrations", "registrations_per_s", "registration_p50_ms", "registration_p95_ms",
        "search_beside_registrations_p50_ms", "search_beside_registrations_p95_ms",
        "list_beside_registrations_p50_ms", "list_beside_registrations_p95_ms", "registrations_per_s_beside_reads",
        "goals_met")


def test_smoke_run_reports_every_figure(bench_url: str):
    engine = make_engine(bench_url)
    upgrade_database(engine)
    env = dict(os.environ, CROSSROADS_DATABASE_URL=bench_url)
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "cases", "--cases", "300", "--clients", "2", "--seconds", "2",
         "--queries", "20", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout)

    assert [k for k in KEYS if k not in result] == []
    assert result["dialect"] == engine.dialect.name
    assert result["n_cases"] >= 300 and result["seeded_cases"] == 300
    assert result["clients"] == 2 and result["queries"] == 20
    for measure in ("search", "list", "open_case", "registration", "search_beside_registrations",
                    "list_beside_registrations"):
        assert result[f"{measure}_p95_ms"] >= result[f"{measure}_p50_ms"] > 0, measure
    # Every search is for someone who is there.
    assert result["search_found_share"] == 1.0
    assert result["registrations"] > 0 and result["registrations_per_s"] > 0
    assert result["registration_errors"] == 0, result["first_registration_error"]
    assert result["machine"]["cpu_count"] >= 1 and result["machine"]["platform"]
    on_postgres = result["dialect"] == "postgresql"
    assert ("pgbench_inserts_per_s" in result) == on_postgres
    assert ("registrations_vs_pgbench" in result) == on_postgres
    assert ("registrations_vs_replay" in result) == on_postgres
    assert result["registrations_per_s_beside_reads"] > 0
    # The registry was read into the cache before anything was timed (pg_prewarm on PostgreSQL).
    assert result["cache"]["warmed_bytes"] > 0, result["cache"]
    if on_postgres:
        assert result["pgbench_inserts_per_s"] > 0 and result["registrations_vs_pgbench"] > 0
        assert result["pgbench_registration_replay_per_s"] > 0 and result["replay_vs_pgbench"] > 0
        # The same replay with the audit trail as a hash chain behind one lock, in the same run.
        assert result["pgbench_registration_replay_chained_per_s"] > 0 and result["replay_vs_chained"] > 0
        # The replay wrote only to its scratch schema, which is gone.
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM information_schema.schemata WHERE schema_name = :s"),
                                {"s": REPLAY_SCHEMA}).scalar() == 0

    # Seeding is idempotent; its one audit event and the registrations' seal into an intact trail.
    assert seed_cases(engine, 300).added == 0
    seal_pending(engine, key=au.KEY, trusted=au.TRUSTED)
    with Session(engine) as session:
        assert count_events(session, action="bench.seed") == 1
        assert verify_trail(session, keys=au.TRUSTED).problem is None
    engine.dispose()


def _shape(sql: str) -> tuple[str, str]:
    """A statement's verb and first table, schema left out: what the replay must send in the same order."""
    words = re.sub(r"\s+", " ", sql).strip().split(" ")
    verb = words[0].upper()
    if verb == "SELECT" and "pg_advisory_xact_lock" in sql:
        return verb, "advisory lock"
    marker = {"INSERT": "INTO", "UPDATE": "UPDATE", "SELECT": "FROM"}[verb]
    table = words[[w.upper() for w in words].index(marker) + 1]
    # A set-returning function read as a table (unnest(...)) is named by the function.
    return verb, (table.split("(")[0] or table).split(".")[-1]


def test_the_replay_sends_what_a_registration_sends(client, cw, engine):
    """The pgbench replay stays a faithful copy of `POST /api/v1/registrations` as the code changes."""
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().split(" ")[0].upper() in ("SELECT", "INSERT", "UPDATE"):
            sent.append(statement)

    body = {"person": pf.person_payload(aliases=["خوسيه"], phone="+58 412 555 0134",
                                        documents=[{"document_type": "passport", "number": "P1234567"}]),
            "case": {"programme": "avrr"}}
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.post("/api/v1/registrations", json=body, headers=cw).status_code == 201
    finally:
        event.remove(engine, "before_cursor_execute", record)
    replay = [line for line in REPLAY_SCRIPT.replace(f"{REPLAY_SCHEMA}.", "").splitlines()
              if line.split(" ")[0] in ("SELECT", "INSERT", "UPDATE")]
    # Rows of one table may go in one statement or several, as the driver batches them: compare runs.
    app = [shape for shape, _ in itertools.groupby(_shape(s) for s in sent)]
    expected = [shape for shape, _ in itertools.groupby(_shape(s) for s in replay)]
    # No lock, no read of the trail: each audit event is one INSERT, sent with the flush that follows it.
    if engine.dialect.name != "postgresql":
        # SQLite has no arrays: the duplicate check looks the keys up in a union of the same capped scans.
        expected[expected.index(("SELECT", "unnest"))] = ("SELECT", "(SELECT")
    assert app == expected
