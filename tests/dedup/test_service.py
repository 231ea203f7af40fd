from __future__ import annotations

import json
from importlib import resources

import pytest
from sqlalchemy import select

from crossroads.dedup.engine.model import MatchModel, ModelError, default_model
from crossroads.dedup.index import record_from_data
from crossroads.dedup.models import CandidateSource, CandidateStatus, MatchCandidate, MatchModelVersion
from crossroads.dedup.service import (
    PER_KEY_LIMIT,
    activate_model,
    active_model,
    candidate_ids,
    check_duplicates,
    find_candidates,
    queue_duplicates_of,
    queue_pairs,
)
from crossroads.kit.errors import Forbidden
from crossroads.people.schemas import PersonCreate
from tests.factories import dedup as df


def check(db, principal, base, **overrides):
    return check_duplicates(db, principal=principal, data=PersonCreate(**df.payload(base, **overrides)))


class TestBlockingIndex:
    def test_registration_writes_the_keys_of_every_name_and_document(self, db, cw):
        p = df.person(db, cw, df.ORIGINAL, documents=[{"document_type": "passport", "number": "X1234567"}])
        bare = df.person(db, cw, df.ORIGINAL)
        assert df.keys_of(db, p.id) > df.keys_of(db, bare.id)

    def test_a_duplicate_shares_keys_with_its_original(self, db, cw):
        a, b = df.person(db, cw, df.ORIGINAL), df.person(db, cw, df.VARIANT)
        c = df.person(db, cw, df.STRANGER)
        assert df.keys_of(db, a.id) & df.keys_of(db, b.id)
        assert not df.keys_of(db, a.id) & df.keys_of(db, c.id)

    def test_lookup_ranks_people_by_shared_keys(self, db, cw):
        a, b = df.person(db, cw, df.ORIGINAL), df.person(db, cw, df.VARIANT)
        df.person(db, cw, df.ORIGINAL, date_of_birth="1950-01-01", given_name="Mahmoud")
        ids, retrieved = candidate_ids(db, df.keys_of(db, a.id), limit=2)
        assert set(ids) == {a.id, b.id} and retrieved == 3

    def test_one_broad_key_reads_at_most_its_limit(self, db, cw):
        from crossroads.dedup.models import PersonMatchKey

        # Names that match nothing, so registering them queues nothing; the shared key is added by hand.
        people = [df.person(db, cw, df.STRANGER, given_name=f"Zq{i:03d}x", family_name=f"Vk{i:03d}w",
                            date_of_birth=None) for i in range(PER_KEY_LIMIT + 5)]
        db.add_all(PersonMatchKey(person_id=p.id, key="N:broad") for p in people)
        db.flush()
        ids, retrieved = candidate_ids(db, {"N:broad"}, limit=1000)
        assert len(ids) == retrieved == PER_KEY_LIMIT


class TestCheckDuplicates:
    def test_finds_a_transliterated_swapped_duplicate_with_reasons(self, db, cw):
        original = df.person(db, cw, df.ORIGINAL)
        result = check(db, cw, df.VARIANT)
        [candidate] = result.candidates
        assert candidate.visible and candidate.person_id == original.id
        assert candidate.probability >= 0.5
        reasons = {r.field: r for r in candidate.reasons}
        assert reasons["given_name"].level == "swapped with family" and reasons["given_name"].agreed
        assert reasons["date_of_birth"].level == "day and month swapped"
        assert result.model_version == "test-model-1"

    def test_unrelated_person_has_no_candidates(self, db, cw):
        df.person(db, cw, df.ORIGINAL)
        assert check(db, cw, df.STRANGER).candidates == []

    def test_candidate_in_another_office_is_signalled_without_data(self, db, world, cw):
        df.person(db, world.principal(db, "caseworker_b"), df.ORIGINAL)
        result = check(db, cw, df.VARIANT)
        [candidate] = result.candidates
        assert not candidate.visible and result.hidden == 1
        assert (candidate.person_id, candidate.given_name, candidate.probability, candidate.reasons) == (
            None, None, None, [])

    def test_merged_records_are_not_candidates(self, db, cw, sup):
        from crossroads.dedup.merges import merge_people

        a, b = df.person(db, cw, df.ORIGINAL), df.person(db, cw, df.ORIGINAL, given_name="Mohamed")
        merge_people(db, principal=sup, survivor_id=a.id, merged_id=b.id)
        assert [c.person_id for c in check(db, cw, df.VARIANT).candidates] == [a.id]

    def test_is_audited_with_counts_only(self, db, world, cw):
        df.person(db, cw, df.ORIGINAL)
        df.person(db, world.principal(db, "caseworker_b"), df.ORIGINAL, given_name="Muhamad")
        check(db, cw, df.VARIANT)
        [event] = df.events(db, "dedup.check")
        assert event.actor_id == cw.user_id
        assert event.details["candidates"] == 2 and event.details["hidden"] == 1
        assert event.details["model"] == "test-model-1" and event.details["keys"] > 0
        assert "Hussain" not in str(event.details) and "1988" not in str(event.details)

    def test_roles_without_the_check_are_refused(self, db, world):
        with pytest.raises(Forbidden):
            check(db, world.principal(db, "data_officer"), df.VARIANT)

    def test_checking_for_another_office_is_refused(self, db, world, cw):
        with pytest.raises(Forbidden):
            check(db, cw, df.VARIANT, office_id=str(world.office_b.id))

    def test_record_excluded_from_its_own_check(self, db, cw):
        a = df.person(db, cw, df.ORIGINAL)
        record = record_from_data(PersonCreate(**df.ORIGINAL))
        assert find_candidates(db, principal=cw, record=record, exclude=a.id).candidates == []


class TestActivateModel:
    def test_recorded_model_becomes_the_one_checks_use(self, db, cw):
        activate_model(db, actor=None, model=df.match_model("test-model-2"))
        assert active_model(db).version == "test-model-2"
        rows = {r.version: r.active for r in db.scalars(select(MatchModelVersion))}
        assert rows["test-model-2"] is True and rows["test-model-1"] is False
        df.person(db, cw, df.ORIGINAL)
        assert check(db, cw, df.VARIANT).model_version == "test-model-2"

    def test_a_recorded_model_of_older_comparison_levels_gives_way_to_the_shipped_one(self, db, cw):
        shipped = default_model()
        data = resources.files("crossroads.dedup.engine").joinpath("data", "model-v1.json")
        older = json.loads(data.read_text("utf-8"))
        with pytest.raises(ModelError):
            MatchModel.from_json(older)
        db.add(MatchModelVersion(version=older["version"], parameters=older, active=True))
        db.flush()
        assert active_model(db) is shipped
        df.person(db, cw, df.ORIGINAL)
        assert check(db, cw, df.VARIANT).model_version == shipped.version


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
