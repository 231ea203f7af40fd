from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import delete, select

from crossroads.db.session import make_engine, unit_of_work
from crossroads.dedup.models import CandidateSource, CandidateStatus, MatchCandidate
from crossroads.dedup.registry_run import run_registry
from crossroads.dedup.review import decide_candidate
from crossroads.schema import upgrade_database
from tests.factories import auth as af
from tests.factories import dedup as df


def registered_before_detection(db) -> None:
    """Empty the queue registration filled, as for a registry imported before duplicate detection existed."""
    db.execute(delete(MatchCandidate))
    db.flush()


def pairs(db) -> set[frozenset]:
    return {frozenset((c.person_a_id, c.person_b_id)) for c in db.scalars(select(MatchCandidate))}


class TestRunRegistry:
    def test_queues_the_duplicates_of_every_office_once(self, db, world, cw):
        a = df.person(db, cw, df.ORIGINAL)
        b = df.person(db, world.principal(db, "caseworker_b"), df.VARIANT)
        df.person(db, cw, df.STRANGER)
        registered_before_detection(db)
        result = run_registry(db, chunk=10)
        assert pairs(db) == {frozenset((a.id, b.id))}
        assert (result.added, result.pairs_kept, result.model_version) == (1, 1, "test-model-1")
        assert db.scalars(select(MatchCandidate)).one().source == CandidateSource.BATCH

    def test_a_second_run_adds_nothing_and_keeps_decisions(self, db, cw, sup):
        df.person(db, cw, df.ORIGINAL), df.person(db, cw, df.VARIANT)
        registered_before_detection(db)
        run_registry(db)
        pair = db.scalars(select(MatchCandidate)).one()
        decide_candidate(db, principal=sup, candidate_id=pair.id, status=CandidateStatus.REJECTED)
        again = run_registry(db, chunk=1)
        assert (again.added, again.updated) == (0, 0)
        assert db.get(MatchCandidate, pair.id).status == CandidateStatus.REJECTED

    def test_small_chunks_find_the_same_pairs(self, db, cw):
        for given in ("Mohammed", "Muhammad", "Mohamed"):
            df.person(db, cw, df.ORIGINAL, given_name=given)
        registered_before_detection(db)
        run_registry(db, chunk=1)
        assert len(pairs(db)) == 3

    def test_is_audited_by_counts(self, db, cw):
        df.person(db, cw, df.ORIGINAL), df.person(db, cw, df.VARIANT)
        registered_before_detection(db)
        run_registry(db)
        [event] = df.events(db, "dedup.run")
        assert event.details["added"] == 1 and event.details["people"] >= 2 and event.actor_role == "cli"


def migrated(tmp_path):  # noqa: ANN001, ANN201
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    engine = make_engine(url)
    upgrade_database(engine)
    return url, engine


def cli(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crossroads.cli", "dedup", *args],
                          env={**os.environ, "CROSSROADS_DATABASE_URL": url}, capture_output=True, text=True,
                          timeout=120)


class TestDedupRunCommand:
    def test_fills_the_queue_of_a_database_and_says_how_many(self, tmp_path):
        url, engine = migrated(tmp_path)
        with unit_of_work(engine) as session:
            w = af.world(session)
            cw = w.principal(session, "caseworker_a")
            df.person(session, cw, df.ORIGINAL), df.person(session, cw, df.VARIANT)
            registered_before_detection(session)
        model = tmp_path / "model.json"
        df.match_model("test-model-cli").save(model)
        result = cli(url, "run", "--model", str(model))
        assert result.returncode == 0, result.stderr
        assert "1 new on the review queue" in result.stderr and "test-model-cli" in result.stderr
        with engine.connect() as conn:
            assert conn.scalar(select(MatchCandidate.model_version)) == "test-model-cli"
        engine.dispose()

    def test_unreadable_model_exits_2_naming_the_option(self, tmp_path):
        bad = tmp_path / "model.json"
        bad.write_text("{}")
        result = cli(f"sqlite:///{tmp_path / 'x.db'}", "run", "--model", str(bad))
        assert result.returncode == 2 and "--model" in result.stderr

    def test_activate_records_the_model(self, tmp_path):
        url, engine = migrated(tmp_path)
        model = tmp_path / "model.json"
        df.match_model("trained-v7").save(model)
        result = cli(url, "activate", "--model", str(model))
        assert result.returncode == 0, result.stderr
        from crossroads.dedup.models import MatchModelVersion

        with engine.connect() as conn:
            assert conn.execute(select(MatchModelVersion.version, MatchModelVersion.active)).all() == [
                ("trained-v7", True)]
        engine.dispose()
