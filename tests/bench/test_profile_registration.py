"""The registration profile at a tiny size: it seeds what it needs, registers, and reports CPU and a profile."""

from __future__ import annotations

import os

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.profile_registration import run_profile
from crossroads.cases.models import Case
from crossroads.db.session import make_engine


def test_registrations_run_in_process_and_are_profiled(bench_url: str, tmp_path):
    before = dict(os.environ)
    out = tmp_path / "registrations.pstats"
    result = run_profile(database_url=bench_url, people=60, registrations=3, runs=2, profile=2, top=10, seed=4,
                         profile_output=str(out))
    assert result["people"] >= 60 and result["runs"] == 2 and len(result["cpu_ms_each_runs"]) == 2
    assert result["cpu_ms_each"] > 0 and result["wall_ms_each"] > 0
    # The endpoint shows in the profile of the worker threads, not only the event loop's.
    assert "register_with_case" in result["profile_by_cumulative_time"]
    assert out.stat().st_size > 0
    # The untimed run, the timed runs and the profiled ones were all real registrations.
    engine = make_engine(bench_url)
    try:
        with Session(engine) as session:
            assert session.scalar(select(func.count()).select_from(Case)) == 3 + 2 * 3 + 2
    finally:
        engine.dispose()
    assert dict(os.environ) == before
