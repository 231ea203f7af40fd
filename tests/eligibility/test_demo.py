"""The demo ships eligibility at work: the shipped rule sets active, each after its diff report, and a few cases
screened and determined."""

from __future__ import annotations

from sqlalchemy import create_engine, func, select

from crossroads.eligibility import rulesets
from crossroads.eligibility.models import Determination, RuleSetStatus, RuleSetVersion, Screening


def test_demo_activates_the_shipped_rules_and_determines_cases(seeded):
    env, _ = seeded
    engine = create_engine(env["CROSSROADS_DATABASE_URL"])
    with engine.connect() as conn:
        active = dict(conn.execute(select(RuleSetVersion.programme, RuleSetVersion.diff_report)
                                   .where(RuleSetVersion.status == RuleSetStatus.ACTIVE)).all())
        assert sorted(active) == rulesets.shipped_programmes()
        assert all(report is not None and report["against"] is None for report in active.values())
        assert conn.scalar(select(func.count()).select_from(Screening)) > 0
        assert conn.scalar(select(func.count()).select_from(Determination)) > 0
    engine.dispose()
