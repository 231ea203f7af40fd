"""`crossroads rules diff` and `activate`, run as an operator would: a real process on a database."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import select

from crossroads.db.session import make_engine, unit_of_work
from crossroads.eligibility import rulesets
from crossroads.eligibility.models import RuleSetStatus, RuleSetVersion
from crossroads.schema import upgrade_database
from tests.factories import auth as af
from tests.factories import cases as cf
from tests.factories import eligibility as ef


def cli(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crossroads.cli", "rules", *args],
                          env={**os.environ, "CROSSROADS_DATABASE_URL": url}, capture_output=True, text=True,
                          timeout=180)


def registry(tmp_path):
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    engine = make_engine(url)
    upgrade_database(engine)
    with unit_of_work(engine) as session:
        world = af.world(session)
        cw = world.principal(session, "caseworker_a")
        ef.active(session, "avrr", version="2026.0")
        for country in ("IRQ", "SEN", None):
            case = cf.case_in_state(session, cw, "avrr", data={"country_of_return": country} if country else {})
            ef.eligible_case_inputs(session, cw, case.id)
    return url, engine


class TestRulesDiffAndActivate:
    def test_diff_stores_the_report_then_activate_makes_the_draft_active(self, tmp_path):
        url, engine = registry(tmp_path)
        stricter = (rulesets.shipped_ruleset_text("avrr") or "").replace(
            'when: "case.country_of_return is known"', 'when: "case.country_of_return == \\"SEN\\""').replace(
            'version: "2026.1"', 'version: "2027.1"')
        rule_file = tmp_path / "avrr.yaml"
        rule_file.write_text(stricter)
        early = cli(url, "activate", "avrr", "2027.1")
        assert early.returncode == 1 and "rules diff" in early.stderr
        result = cli(url, "diff", "avrr", str(rule_file), "--workers", "2")
        assert result.returncode == 0, result.stderr
        assert "3 cases, 2 would change" in result.stderr
        with unit_of_work(engine, read_only=True) as session:
            draft = session.scalar(select(RuleSetVersion).where(RuleSetVersion.version == "2027.1"))
            # The case without a country of return was refused for it; the new rule cannot tell yet.
            assert draft.status is RuleSetStatus.DRAFT and draft.diff_report["transitions"] == {
                "eligible>not_eligible": 1, "not_eligible>undetermined": 1}
        result = cli(url, "activate", "avrr", "2027.1")
        assert result.returncode == 0, result.stderr
        with unit_of_work(engine, read_only=True) as session:
            statuses = dict(session.execute(select(RuleSetVersion.version, RuleSetVersion.status)).all())
        assert statuses == {"2026.0": RuleSetStatus.RETIRED, "2027.1": RuleSetStatus.ACTIVE}
        engine.dispose()

    def test_malformed_file_exits_2_with_its_line(self, tmp_path):
        url, engine = registry(tmp_path)
        broken = tmp_path / "broken.yaml"
        broken.write_text("programme: avrr\nversion: '9'\ncriteria:\n  - code: x\n    when: 'person.agee > 1'\n")
        result = cli(url, "diff", "avrr", str(broken))
        assert result.returncode == 2 and "line 5" in result.stderr
        engine.dispose()
