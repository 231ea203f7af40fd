"""A smoke run of the referrals benchmark at a tiny size: every figure is there and plausible, the partner inbox is
timed over the seeded referrals, and a second run updates the directory and keeps the referrals rather than
duplicating them.

A benchmark, not a timed test: nothing here asserts a speed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.referrals import synthetic_directory
from crossroads.db.session import make_engine
from crossroads.directory import hsds
from crossroads.directory.models import DirectoryLocation, DirectoryService
from crossroads.referrals.models import Referral

ROOT = Path(__file__).resolve().parents[2]


def run(bench_url: str) -> dict:
    completed = subprocess.run([sys.executable, "-m", "bench", "referrals", "--services", "100", "--queries", "2",
                                "--referrals", "300", "--partners", "5", "--inbox-partners", "2", "--json"],
                               cwd=ROOT, capture_output=True, text=True, timeout=600,
                               env={**os.environ, "CROSSROADS_DATABASE_URL": bench_url})
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout)


def test_smoke_run_reports_every_figure(bench_url):
    result = run(bench_url)
    assert result["services"] == 100 and result["locations"] == 200
    assert result["import_mode"] == "insert" and result["import_seconds"] > 0
    assert result["search"]["n"] == 10 and result["search_p95_ms"] > 0
    assert set(result["search_by_kind"]) == {"need_near", "need_language_near", "open_now_near", "need",
                                             "language_near"}
    assert result["searches_without_results"] < 10
    inbox = result["partner_inbox"]
    assert inbox["p95_ms"] > 0 and inbox["goal_p95_ms"] == 100 and inbox["timings"]["n"] == 80
    assert inbox["seeding"]["added"] == 300 and inbox["timings"]["rows_per_page"] == 50
    assert set(result["goals_met"]) == {"search_p95", "import", "inbox_p95"}
    assert result["dialect"] in ("sqlite", "postgresql") and result["machine"]["cpu_count"] >= 1
    again = run(bench_url)
    assert again["import_mode"] == "update" and again["partner_inbox"]["seeding"]["added"] == 0
    engine = make_engine(bench_url)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(DirectoryService)) == 100
        assert session.scalar(select(func.count()).select_from(DirectoryLocation)) == 200
        assert session.scalar(select(func.count()).select_from(Referral)) == 300
    engine.dispose()


def test_the_synthetic_directory_is_valid_hsds():
    bundle, problems = hsds.read_json(synthetic_directory(50, seed=3), "synthetic.json")
    assert problems == []
    assert hsds.check(bundle, lambda kind, rid: kind == "taxonomy_term") == []
    assert len(bundle.records["service_at_location"]) == 100
