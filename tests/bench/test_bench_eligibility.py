"""A smoke run of the eligibility benchmark at a tiny size: every figure is there and plausible.

A benchmark, not a timed test: nothing here asserts a speed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
KEYS = ("programme_cases", "determination_p50_ms", "determination_p95_ms", "evaluation_p95_ms", "commit_p95_ms",
        "diff_seconds", "diff_changed", "diff_cpu_seconds", "write_beside_diff_ok", "machine", "goals_met", "date")


def test_smoke_run_reports_every_figure(bench_url):
    completed = subprocess.run([sys.executable, "-m", "bench", "eligibility", "--cases", "300", "--samples", "10",
                                "--workers", "2", "--json"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                               env={**os.environ, "CROSSROADS_DATABASE_URL": bench_url})
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout)
    assert [k for k in KEYS if k not in result] == []
    assert result["programme_cases"] == 300 and result["added"] == 300
    # Narrowing the countries of return refuses some who were eligible, and nobody becomes eligible.
    assert 0 < result["diff_changed"] < 300
    assert all(not move.endswith(">eligible") for move in result["diff_transitions"])
    assert result["write_beside_diff_ok"] is True
    assert 0 < result["determination_p50_ms"] <= result["determination_p95_ms"]
    # The timed determinations are committed, as a request's are, and the commit is timed apart.
    assert result["commit_p95_ms"] > 0
    engine = create_engine(bench_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM determinations")).scalar_one() >= 10
    finally:
        engine.dispose()
