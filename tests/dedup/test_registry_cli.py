"""`crossroads dedup run`, `activate` and `reindex`, run as a user would run them: a real process on a database."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from crossroads.db.base import utcnow
from crossroads.db.session import make_engine, new_session, unit_of_work
from crossroads.dedup.engine.model import default_model
from crossroads.dedup.models import BatchJob, MatchCandidate
from crossroads.schema import upgrade_database
from tests.dedup.test_registry_run import registered_before_detection
from tests.dedup.test_reindex import outdate
from tests.factories import auth as af
from tests.factories import dedup as df
from tests.helpers import lock_awaited


def migrated(tmp_path):
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

        # The shipped model it replaces is recorded too, as the version a rollback goes back to.
        shipped = default_model().version
        with engine.connect() as conn:
            assert conn.execute(select(MatchModelVersion.version, MatchModelVersion.active)
                                .order_by(MatchModelVersion.id)).all() == [(shipped, False), ("trained-v7", True)]
        engine.dispose()

    @pytest.mark.parametrize("job", ["run", "reindex"])
    def test_a_job_that_meets_another_starting_at_the_same_moment_says_so_in_one_line(self, scratch_engine, job):
        """`dedup run` and `dedup reindex` share the job table's rule: one unfinished job of a kind."""
        url = scratch_engine.url.render_as_string(hide_password=False)
        with unit_of_work(scratch_engine) as session:
            af.world(session)
        # Another start of the job, inserted and not yet committed when this run inserts its own.
        with new_session(scratch_engine) as other:
            other.begin()
            now = utcnow()
            other.add(BatchJob(kind=job, parameters={"model": "another"}, counts={}, started_at=now, updated_at=now))
            other.flush()
            command = subprocess.Popen([sys.executable, "-m", "crossroads.cli", "dedup", job], text=True,
                                       env={**os.environ, "CROSSROADS_DATABASE_URL": url},
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            if scratch_engine.dialect.name == "postgresql":
                lock_awaited(scratch_engine, seconds=30)
            else:
                time.sleep(1)
            other.commit()
        _, stderr = command.communicate(timeout=120)
        if scratch_engine.dialect.name == "postgresql":
            # Its insert waited for the other's commit, then met the other job, started with another model.
            assert command.returncode == 1, stderr
            assert "another run of this job started at the same moment" in stderr
            assert "Traceback" not in stderr
        else:
            # SQLite let it begin only after the other committed: it closed that job as abandoned and ran.
            assert command.returncode == 0, stderr
            with unit_of_work(scratch_engine, read_only=True) as session:
                other_job = session.scalar(select(BatchJob).where(
                    BatchJob.kind == job, BatchJob.parameters["model"].as_string() == "another"))
                assert other_job is not None and other_job.finished_at is not None
                assert other_job.counts["abandoned"] is True


class TestReindexCommand:
    def test_check_exits_1_while_keys_are_outdated_and_0_after_reindex(self, tmp_path):
        url, engine = migrated(tmp_path)
        with unit_of_work(engine) as session:
            cw = af.world(session).principal(session, "caseworker_a")
            outdate(session, df.person(session, cw, df.ORIGINAL), df.person(session, cw, df.VARIANT))
        check = cli(url, "reindex", "--check")
        assert check.returncode == 1 and "2 of 2 sampled have outdated keys" in check.stderr
        result = cli(url, "reindex")
        assert result.returncode == 0, result.stderr
        assert "2 people, 2 with new keys" in result.stderr
        assert cli(url, "reindex", "--check").returncode == 0
        engine.dispose()

    def test_a_registry_run_over_outdated_keys_warns(self, tmp_path):
        url, engine = migrated(tmp_path)
        with unit_of_work(engine) as session:
            cw = af.world(session).principal(session, "caseworker_a")
            outdate(session, df.person(session, cw, df.ORIGINAL), df.person(session, cw, df.VARIANT))
        model = tmp_path / "model.json"
        df.match_model("test-model-cli").save(model)
        stale = cli(url, "run", "--model", str(model))
        assert stale.returncode == 0, stale.stderr
        assert "2 of 2 sampled people have outdated blocking keys" in stale.stderr
        assert cli(url, "reindex").returncode == 0
        fresh = cli(url, "run", "--model", str(model))
        assert fresh.returncode == 0 and "outdated" not in fresh.stderr
        engine.dispose()
