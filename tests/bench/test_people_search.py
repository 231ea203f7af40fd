"""A smoke run of the people search benchmark at a tiny size: every figure is there and plausible.

Nothing here asserts a speed. It runs in a database of its own on the test database's backend (bench_url),
because the benchmark commits its bench organisation, offices, users and people.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

from bench.people_search import KINDS, make_query
from crossroads.db.session import make_engine
from crossroads.schema import upgrade_database

ROOT = Path(__file__).resolve().parents[2]


def test_smoke_run_reports_recall_and_latency(bench_url: str):
    engine = make_engine(bench_url)
    upgrade_database(engine)
    engine.dispose()
    env = dict(os.environ, CROSSROADS_DATABASE_URL=bench_url)
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "people-search", "--people", "300", "--queries", "40", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout)
    assert result["n_people"] == 300 and result["queries"] == 40
    assert sum(result["queries_by_kind"].values()) == 40
    # Among 300 people nearly every spelling finds its person; a broken search finds almost none.
    assert result["recall_at_10"] >= 0.8
    assert result["p95_ms"] >= result["p50_ms"] > 0 and result["cpu_p95_ms"] > 0
    assert set(result["goals_met"]) == {"recall_at_10", "p95_ms"}


class TestMakeQuery:
    def test_never_uses_a_spelling_the_person_is_recorded_with(self):
        rng = random.Random(1)
        for kind in KINDS:
            q, real = make_query("Youssef", "Al-Haddad", ["يوسف الحداد"], kind, rng)
            assert "youssef" not in q.casefold().split()
            assert real in KINDS

    def test_a_name_without_other_spellings_gets_a_typo(self):
        q, real = make_query("Blessing", "Olawale", [], "variant", random.Random(3))
        assert real == "typo" and q != "Blessing Olawale"
