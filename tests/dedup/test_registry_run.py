from __future__ import annotations

from sqlalchemy import delete, select

from crossroads.dedup.models import CandidateSource, CandidateStatus, MatchCandidate
from crossroads.dedup.registry_run import run_registry
from crossroads.dedup.review import decide_candidate
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
