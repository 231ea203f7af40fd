"""`crossroads dedup learn | models | activate VERSION | rollback` on a real database file."""

from __future__ import annotations

from sqlalchemy import select

from crossroads.db.session import unit_of_work
from crossroads.dedup.models import MatchModelVersion
from crossroads.dedup.service import activate_model
from tests.dedup.test_learning import decided_pairs
from tests.dedup.test_registry_cli import cli, migrated
from tests.factories import auth as af
from tests.factories import dedup as df


def with_decisions(tmp_path):
    url, engine = migrated(tmp_path)
    with unit_of_work(engine) as session:
        w = af.world(session)
        activate_model(session, actor=None, model=df.match_model("cli-base"))
        decided_pairs(session, w.principal(session, "caseworker_a"), w.principal(session, "supervisor_a"), 6)
    return url, engine


def versions(engine) -> list[tuple[str, bool]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(MatchModelVersion.version, MatchModelVersion.active)
                                               .order_by(MatchModelVersion.id))]


class TestLearnCommand:
    def test_learns_a_candidate_prints_the_comparison_and_activates_it_by_version(self, tmp_path):
        url, engine = with_decisions(tmp_path)
        learnt = cli(url, "learn")
        assert learnt.returncode == 0, learnt.stderr
        assert "precision" in learnt.stdout and "log_loss" in learnt.stdout and "cli-base" in learnt.stdout
        [(version, active)] = [v for v in versions(engine) if v[0].startswith("reviewed-")]
        assert not active

        listed = cli(url, "models")
        assert listed.returncode == 0 and version in listed.stdout and "candidate" in listed.stdout

        activated = cli(url, "activate", version)
        assert activated.returncode == 0, activated.stderr
        assert dict(versions(engine))[version] is True

        rolled = cli(url, "rollback")
        assert rolled.returncode == 0, rolled.stderr
        assert [v for v, active in versions(engine) if active] == ["cli-base"]
        engine.dispose()

    def test_without_decisions_exits_1_saying_so(self, tmp_path):
        url, engine = migrated(tmp_path)
        result = cli(url, "learn")
        assert result.returncode == 1 and "no decided pairs" in result.stderr
        engine.dispose()

    def test_an_unknown_version_exits_1_naming_it(self, tmp_path):
        url, engine = migrated(tmp_path)
        result = cli(url, "activate", "no-such-version")
        assert result.returncode == 1
        assert "no-such-version" in result.stderr and "no such model version" in result.stderr
        engine.dispose()

    def test_version_and_model_file_together_exit_2(self, tmp_path):
        url, engine = migrated(tmp_path)
        result = cli(url, "activate", "v1", "--model", str(tmp_path / "m.json"))
        assert result.returncode == 2 and "VERSION" in result.stderr
        engine.dispose()
