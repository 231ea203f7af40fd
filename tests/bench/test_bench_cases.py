"""A smoke run of the cases benchmark at a tiny size: every figure is there and plausible.

A benchmark, not a timed test: nothing here asserts a speed. It runs on the backend of the test database URL,
in a database of its own (a SQLite file, or a fresh PostgreSQL database on the same server), because the
benchmark commits its bench organisation, offices, users and cases, which the shared test database must not
keep.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from crossroads.audit.service import count_events, verify_chain
from crossroads.bench.seed import seed_cases
from crossroads.db.migrate import upgrade_database
from crossroads.db.session import make_engine

ROOT = Path(__file__).resolve().parents[2]
KEYS = ("n_cases", "dialect", "clients", "seconds", "queries", "date", "machine", "durations_s",
        "search_p50_ms", "search_p95_ms", "list_p50_ms", "list_p95_ms", "open_case_p50_ms", "open_case_p95_ms",
        "registrations", "registrations_per_s", "registration_p50_ms", "registration_p95_ms", "goals_met")


@pytest.fixture
def bench_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'bench.db'}"
        return
    name = f"crossroads_bench_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_smoke_run_reports_every_figure(bench_url: str):
    engine = make_engine(bench_url)
    upgrade_database(engine)
    env = dict(os.environ, CROSSROADS_DATABASE_URL=bench_url)
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "cases.py"), "--cases", "300", "--clients", "2", "--seconds", "2",
         "--queries", "20", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout)

    assert [k for k in KEYS if k not in result] == []
    assert result["dialect"] == engine.dialect.name
    assert result["n_cases"] >= 300 and result["seeded_cases"] == 300
    assert result["clients"] == 2 and result["queries"] == 20
    for measure in ("search", "list", "open_case", "registration"):
        assert result[f"{measure}_p95_ms"] >= result[f"{measure}_p50_ms"] > 0, measure
    # Every search is for someone who is there.
    assert result["search_found_share"] == 1.0
    assert result["registrations"] > 0 and result["registrations_per_s"] > 0
    assert result["registration_errors"] == 0, result["first_registration_error"]
    assert result["machine"]["cpu_count"] >= 1 and result["machine"]["platform"]
    on_postgres = result["dialect"] == "postgresql"
    assert ("pgbench_inserts_per_s" in result) == on_postgres
    assert ("registrations_vs_pgbench" in result) == on_postgres
    if on_postgres:
        assert result["pgbench_inserts_per_s"] > 0 and result["registrations_vs_pgbench"] > 0

    # Seeding is idempotent, and its one audit event keeps the trail intact.
    assert seed_cases(engine, 300).added == 0
    with Session(engine) as session:
        assert count_events(session, action="bench.seed") == 1
        assert verify_chain(session).broken is None
    engine.dispose()
