from __future__ import annotations

from sqlalchemy import select

from crossroads.dedup.index import record_from_data
from crossroads.dedup.models import CandidateSource, CandidateStatus, MatchCandidate
from crossroads.dedup.service import queue_duplicates_of, queue_pairs
from crossroads.people.schemas import PersonCreate
from tests.factories import dedup as df


class TestQueueDuplicatesOf:
    def test_registration_queues_pairs_of_every_office_for_supervisors(self, db, world, cw):
        other = df.person(db, world.principal(db, "caseworker_b"), df.ORIGINAL)
        new = df.person(db, cw, df.VARIANT)
        [pair] = db.scalars(select(MatchCandidate)).all()
        assert {pair.person_a_id, pair.person_b_id} == {other.id, new.id}
        assert (pair.source, pair.status, pair.model_version) == (CandidateSource.ONLINE, CandidateStatus.OPEN,
                                                                  "test-model-1")
        assert {r["field"] for r in pair.reasons} >= {"given_name", "date_of_birth"}
        [event] = df.events(db, "dedup.queue")
        assert event.details == {"pairs": 1, "model": "test-model-1"}

    def test_queueing_again_changes_nothing(self, db, cw):
        df.person(db, cw, df.ORIGINAL)
        new = df.loaded(db, df.person(db, cw, df.VARIANT).id)
        assert queue_duplicates_of(db, actor=cw, person=new) == 0
        assert len(db.scalars(select(MatchCandidate)).all()) == 1

    def test_a_decided_pair_keeps_its_decision(self, db, cw, sup, model):
        from crossroads.dedup.review import decide_candidate

        a, b = df.person(db, cw, df.ORIGINAL), df.person(db, cw, df.VARIANT)
        pair = db.scalars(select(MatchCandidate)).one()
        decide_candidate(db, principal=sup, candidate_id=pair.id, status=CandidateStatus.REJECTED)
        score = model.score(record_from_data(PersonCreate(**df.ORIGINAL)), record_from_data(PersonCreate(**df.VARIANT)))
        assert queue_pairs(db, [(b.id, a.id, score)], model=model, source=CandidateSource.BATCH) == (0, 0)
        assert pair.status == CandidateStatus.REJECTED
