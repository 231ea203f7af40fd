from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from crossroads.dedup.models import BatchJob, CandidateSource, CandidateStatus, MatchCandidate
from crossroads.dedup.registry_run import run_registry
from crossroads.dedup.review import decide_candidate
from crossroads.people.models import Person
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


class Stop(Exception):
    """Stands for a kill between two chunks: everything up to the last commit stays, nothing after it."""


def stop_after(chunks: int):
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        if len(seen) > chunks:  # the first call reports the start, before any chunk
            raise Stop

    return progress


def queue_state(db) -> dict[frozenset, tuple[float, str, str]]:
    return {frozenset((c.person_a_id, c.person_b_id)): (round(c.probability, 9), c.status.value, c.source.value)
            for c in db.scalars(select(MatchCandidate).execution_options(populate_existing=True))}


def look_alikes(db, cw) -> None:
    for given in ("Mohammed", "Muhammad", "Mohamed", "Mohamad"):
        df.person(db, cw, df.ORIGINAL, given_name=given)
    df.person(db, cw, df.VARIANT), df.person(db, cw, df.STRANGER)
    df.person(db, cw, df.STRANGER, given_name="Lucia")
    registered_before_detection(db)


class TestChunksAndResume:
    def test_a_stopped_run_resumes_to_the_state_of_one_uninterrupted_run(self, db, cw):
        look_alikes(db, cw)
        with pytest.raises(Stop):
            run_registry(db, chunk=2, progress=stop_after(2))
        job = db.scalars(select(BatchJob).where(BatchJob.kind == "run")).one()
        assert job.finished_at is None and job.counts["people"] == 4 and job.high_water is not None
        resumed = run_registry(db, chunk=2)
        assert resumed.resumed and resumed.people == db.scalar(select(func.count()).select_from(Person))
        after_resume = queue_state(db)
        assert len(after_resume) >= 6

        db.execute(delete(MatchCandidate))
        db.flush()
        whole = run_registry(db, chunk=2)
        assert not whole.resumed
        assert queue_state(db) == after_resume
        assert (whole.added, whole.pairs_kept, whole.pairs_scored) == (
            resumed.added, resumed.pairs_kept, resumed.pairs_scored)

    def test_a_finished_run_is_not_resumed_and_a_second_run_changes_nothing(self, db, cw):
        look_alikes(db, cw)
        run_registry(db, chunk=3)
        first = queue_state(db)
        again = run_registry(db, chunk=5)
        assert not again.resumed and (again.added, again.updated) == (0, 0)
        assert queue_state(db) == first
        assert [j.finished_at is not None for j in db.scalars(select(BatchJob))] == [True, True]

    def test_a_run_with_another_model_starts_afresh(self, db, cw):
        look_alikes(db, cw)
        with pytest.raises(Stop):
            run_registry(db, chunk=2, progress=stop_after(1))
        other = df.match_model(version="test-model-2")
        result = run_registry(db, model=other, chunk=2)
        assert not result.resumed and result.model_version == "test-model-2"
        abandoned = db.scalars(select(BatchJob).where(BatchJob.parameters["model"].as_string() == "test-model-1")).one()
        assert abandoned.finished_at is not None and abandoned.counts["abandoned"] is True
