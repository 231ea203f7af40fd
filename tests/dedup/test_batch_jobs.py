"""`dedup run` and `dedup reindex` on a real SQLite file: killed midway and run again they end as one
uninterrupted run, and web requests write while they run."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from crossroads.app import create_app
from crossroads.config import Settings
from crossroads.db.session import unit_of_work
from crossroads.dedup.models import BatchJob, MatchCandidate
from crossroads.dedup.registry_run import run_registry
from crossroads.dedup.service import activate_model
from tests.conftest import TEST_SECRET
from tests.dedup.test_registry_cli import cli, migrated
from tests.dedup.test_registry_run import registered_before_detection
from tests.factories import auth as af
from tests.factories import dedup as df
from tests.factories import people as pf
from tests.helpers import token_headers

GIVEN = ("Mohammed", "Muhammad", "Mohamed", "Ahmed", "Ahmad", "Youssef", "Yusuf", "Karim", "Kareem", "Omar",
         "Umar", "Ali", "Aly", "Hassan", "Hasan")
FAMILY = ("Hussein", "Hussain", "Haddad", "Hadad")

# Run in a process of its own, which kills itself as a power cut would once 20 people are committed.
KILLED_RUN = """
import os, signal, sys
import crossroads.schema
from crossroads.db.session import make_engine, unit_of_work
from crossroads.dedup.registry_run import run_registry

def progress(done, total):
    if done >= 20:
        os.kill(os.getpid(), signal.SIGKILL)

with unit_of_work(make_engine(sys.argv[1])) as session:
    run_registry(session, chunk=10, progress=progress)
"""


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    url, engine = migrated(tmp_path_factory.mktemp("registry"))
    with unit_of_work(engine) as session:
        world = af.world(session)
        activate_model(session, actor=None, model=df.match_model())
        cw = world.principal(session, "caseworker_a")
        for given in GIVEN:
            for family in FAMILY:
                pf.person(session, cw, given_name=given, family_name=family, date_of_birth="1988-03-07",
                          nationality="SDN")
        registered_before_detection(session)
    yield url, engine, world
    engine.dispose()


def queue_state(engine) -> dict[frozenset, tuple[float, str]]:
    with unit_of_work(engine, read_only=True) as session:
        return {frozenset((c.person_a_id, c.person_b_id)): (round(c.probability, 9), c.status.value)
                for c in session.scalars(select(MatchCandidate))}


def empty_queue(engine) -> None:
    with unit_of_work(engine) as session:
        session.execute(delete(MatchCandidate))


class TestKilledRun:
    def test_killed_then_run_again_ends_as_one_uninterrupted_run(self, registry):
        url, engine, _ = registry
        empty_queue(engine)
        killed = subprocess.run([sys.executable, "-c", KILLED_RUN, url], capture_output=True, text=True,
                                timeout=120)
        assert killed.returncode == -9, killed.stderr
        with unit_of_work(engine, read_only=True) as session:
            job = session.scalars(select(BatchJob).where(BatchJob.kind == "run",
                                                         BatchJob.finished_at.is_(None))).one()
            assert job.counts["people"] == 20
        partial = queue_state(engine)

        resumed = cli(url, "run", "--chunk", "10")
        assert resumed.returncode == 0, resumed.stderr
        assert "taken up after a stopped run" in resumed.stderr
        after_resume = queue_state(engine)
        assert len(after_resume) > len(partial)

        empty_queue(engine)
        whole = cli(url, "run", "--chunk", "10")
        assert whole.returncode == 0, whole.stderr
        assert "taken up" not in whole.stderr
        assert queue_state(engine) == after_resume
        # Both report the same totals: the resumed one counts the killed run's committed chunks too.
        assert resumed.stderr.splitlines()[-1] == whole.stderr.splitlines()[-1]


class TestWebWritesDuringARun:
    def test_a_registration_is_written_within_a_second_while_the_run_goes_on(self, registry):
        url, engine, world = registry
        settings = Settings(database_url=url, secret_key=TEST_SECRET, mode="test", cookie_secure=False,
                            argon2_fast=True)
        started, errors = threading.Event(), []

        def slow(done: int, total: int) -> None:
            started.set()
            # Between chunks, as a slower registry's chunk would take: the run lasts well over a second.
            time.sleep(0.05)

        def run() -> None:
            try:
                with unit_of_work(engine) as session:
                    run_registry(session, chunk=2, progress=slow)
            except Exception as exc:  # reported by the assertion below
                errors.append(exc)

        with TestClient(create_app(settings, engine)) as client:
            headers = token_headers(client, world.users["caseworker_a"].email)
            runner = threading.Thread(target=run)
            runner.start()
            assert started.wait(20)
            waits = []
            for given in GIVEN:
                if not runner.is_alive():
                    break
                clock = time.monotonic()
                response = client.post("/api/v1/people", headers=headers, json=pf.person_payload(
                    given_name=given, family_name="Writer", nationality="TUN"))
                waits.append(time.monotonic() - clock)
                assert response.status_code == 201, response.text
            still_running = runner.is_alive()
            runner.join(timeout=120)
        assert errors == []
        assert still_running and len(waits) >= 3
        assert max(waits) < 1.0, waits
