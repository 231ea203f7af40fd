from __future__ import annotations

import pytest
from sqlalchemy import select

from crossroads.cases.models import Case
from crossroads.dedup.merges import merge_people, unmerge_people
from crossroads.dedup.models import CandidateStatus, PersonMerge
from crossroads.kit.errors import Conflict, Forbidden, Invalid, NotFound
from crossroads.people.models import IdentityDocument, Person, PersonName, PersonNameToken
from tests.factories import dedup as df
from tests.factories import people as pf


@pytest.fixture
def twins(db, cw):
    """The same man registered twice in office A: the second record has a case, a document, a phone and a child."""
    survivor = df.person(db, cw, df.ORIGINAL, aliases=["محمد حسين"])
    merged = df.person(db, cw, df.VARIANT, phone="+249912345678", aliases=["Abu Amal"],
                       documents=[{"document_type": "passport", "number": "P 0042-17", "issuing_country": "SDN"}])
    pf.case(db, cw, merged)
    kid = df.child(db, cw, merged)
    db.commit()
    return survivor, merged, kid


def snapshot(db, *people: Person) -> dict:
    """Everything a merge may touch, for comparing before and after an unmerge."""
    ids = [p.id for p in people]
    db.expire_all()
    return {
        "people": sorted((str(p.id), p.household_id, p.household_relationship, p.phone, p.search_key,
                          p.merged_into_id) for p in db.scalars(select(Person).where(Person.id.in_(ids)))),
        "cases": sorted((str(c.id), c.person_id) for c in db.scalars(select(Case).where(Case.person_id.in_(ids)))),
        "names": sorted((n.id, n.person_id, n.name, n.kind) for n in db.scalars(
            select(PersonName).where(PersonName.person_id.in_(ids)))),
        "documents": sorted((d.id, d.person_id) for d in db.scalars(
            select(IdentityDocument).where(IdentityDocument.person_id.in_(ids)))),
        "tokens": sorted((str(t.person_id), t.token) for t in db.scalars(
            select(PersonNameToken).where(PersonNameToken.person_id.in_(ids)))),
        "keys": {str(p.id): df.keys_of(db, p.id) for p in people},
    }


class TestMergePeople:
    def test_cases_names_documents_phone_and_household_follow_the_survivor(self, db, sup, twins):
        survivor, merged, kid = twins
        case_id = db.scalar(select(Case.id).where(Case.person_id == merged.id))
        merge = merge_people(db, principal=sup, survivor_id=survivor.id, merged_id=merged.id)
        db.expire_all()
        s, m = db.get(Person, survivor.id), db.get(Person, merged.id)
        assert db.get(Case, case_id).person_id == survivor.id
        names = set(db.scalars(select(PersonName.name).where(PersonName.person_id == survivor.id)))
        assert names == {"محمد حسين", "Abu Amal", "Hussain Muhammad"}
        assert db.scalar(select(IdentityDocument.person_id).where(IdentityDocument.number == "P 0042-17")) == s.id
        assert s.phone == "+249912345678"
        assert (s.household_id, s.household_relationship) == (db.get(Person, kid.id).household_id, "head")
        assert (m.household_id, m.merged_into_id) == (None, survivor.id)
        assert merge.moved["cases"] == [str(case_id)]

    def test_merged_record_leaves_the_blocking_index_and_the_survivor_gains_its_names(self, db, sup, twins):
        survivor, merged, _ = twins
        before = df.keys_of(db, survivor.id)
        merge_people(db, principal=sup, survivor_id=survivor.id, merged_id=merged.id)
        assert df.keys_of(db, merged.id) == set()
        assert df.keys_of(db, survivor.id) > before
        tokens = set(db.scalars(select(PersonNameToken.token).where(PersonNameToken.person_id == survivor.id)))
        assert {"hussain", "muhammad", "abu", "amal"} <= tokens

    def test_is_audited_with_ids_and_counts_only(self, db, sup, twins):
        survivor, merged, _ = twins
        merge = merge_people(db, principal=sup, survivor_id=survivor.id, merged_id=merged.id)
        [event] = df.events(db, "person.merge")
        assert event.entity_id == str(survivor.id) and event.office_id == survivor.office_id
        assert event.details == {
            "merge": merge.id, "survivor": str(survivor.id), "merged": str(merged.id),
            "merged_office": str(merged.office_id), "candidate": None, "cases": 1, "names": 1, "documents": 1,
            "consents": 0, "referrals": 0,
            "names_added": 1, "phone_copied": True, "household_moved": True}
        assert "Hussain" not in str(event.details) and "+249" not in str(event.details)

    def test_confirms_the_open_candidate_it_resolves(self, db, sup, twins):
        survivor, merged, _ = twins
        candidate = df.pair(db, survivor, merged)
        merge_people(db, principal=sup, survivor_id=survivor.id, merged_id=merged.id, candidate_id=candidate.id)
        assert candidate.status == CandidateStatus.CONFIRMED and candidate.decided_by == sup.user_id

    def test_candidate_of_another_pair_is_refused(self, db, sup, cw, twins):
        survivor, merged, _ = twins
        other = df.person(db, cw, df.STRANGER)
        candidate = df.pair(db, survivor, other)
        with pytest.raises(Invalid) as exc:
            merge_people(db, principal=sup, survivor_id=survivor.id, merged_id=merged.id, candidate_id=candidate.id)
        assert exc.value.field == "candidate_id"

    def test_person_cannot_be_merged_into_themselves(self, db, sup, twins):
        survivor, _, _ = twins
        with pytest.raises(Invalid) as exc:
            merge_people(db, principal=sup, survivor_id=survivor.id, merged_id=survivor.id)
        assert exc.value.field == "merged_id"

    def test_already_merged_record_cannot_be_merged_again(self, db, sup, twins):
        survivor, merged, kid = twins
        merge_people(db, principal=sup, survivor_id=survivor.id, merged_id=merged.id)
        with pytest.raises(Conflict) as exc:
            merge_people(db, principal=sup, survivor_id=kid.id, merged_id=merged.id)
        assert exc.value.field == "merged_id"

    def test_people_in_two_different_households_are_refused(self, db, sup, cw, twins):
        survivor, merged, _ = twins
        df.child(db, cw, survivor, given_name="Sara")
        with pytest.raises(Conflict):
            merge_people(db, principal=sup, survivor_id=survivor.id, merged_id=merged.id)

    def test_caseworker_may_not_merge(self, db, cw, twins):
        survivor, merged, _ = twins
        with pytest.raises(Forbidden):
            merge_people(db, principal=cw, survivor_id=survivor.id, merged_id=merged.id)

    def test_person_out_of_scope_is_not_found(self, db, world, sup, twins):
        survivor, _, _ = twins
        elsewhere = df.person(db, world.principal(db, "caseworker_b"), df.VARIANT)
        with pytest.raises(NotFound) as exc:
            merge_people(db, principal=sup, survivor_id=survivor.id, merged_id=elsewhere.id)
        assert exc.value.field == "merged_id"


class TestUnmergePeople:
    def test_restores_exactly_what_moved(self, db, sup, twins):
        survivor, merged, kid = twins
        before = snapshot(db, survivor, merged, kid)
        merge = merge_people(db, principal=sup, survivor_id=survivor.id, merged_id=merged.id)
        assert snapshot(db, survivor, merged, kid) != before
        unmerge_people(db, principal=sup, merge_id=merge.id)
        assert snapshot(db, survivor, merged, kid) == before

    def test_cases_opened_for_the_survivor_after_the_merge_stay_with_it(self, db, sup, cw, twins):
        survivor, merged, _ = twins
        merge = merge_people(db, principal=sup, survivor_id=survivor.id, merged_id=merged.id)
        later = pf.case(db, cw, db.get(Person, survivor.id), programme="legal_counselling")
        unmerge_people(db, principal=sup, merge_id=merge.id)
        assert db.get(Case, later.id).person_id == survivor.id

    def test_is_audited_and_reopens_the_candidate(self, db, sup, twins):
        survivor, merged, _ = twins
        candidate = df.pair(db, survivor, merged)
        merge = merge_people(db, principal=sup, survivor_id=survivor.id, merged_id=merged.id, candidate_id=candidate.id)
        unmerge_people(db, principal=sup, merge_id=merge.id, comment="different fathers' names")
        [event] = df.events(db, "person.unmerge")
        assert event.details["merge"] == merge.id and event.details["cases"] == 1
        assert db.get(PersonMerge, merge.id).unmerged_by == sup.user_id
        assert candidate.status == CandidateStatus.OPEN and candidate.decided_by is None

    def test_twice_is_a_conflict(self, db, sup, twins):
        survivor, merged, _ = twins
        merge = merge_people(db, principal=sup, survivor_id=survivor.id, merged_id=merged.id)
        unmerge_people(db, principal=sup, merge_id=merge.id)
        with pytest.raises(Conflict):
            unmerge_people(db, principal=sup, merge_id=merge.id)

    def test_survivor_merged_again_must_be_unmerged_first(self, db, sup, cw, twins):
        survivor, merged, _ = twins
        first = merge_people(db, principal=sup, survivor_id=survivor.id, merged_id=merged.id)
        third = df.person(db, cw, df.ORIGINAL, given_name="Mohamed")
        merge_people(db, principal=sup, survivor_id=third.id, merged_id=survivor.id)
        with pytest.raises(Conflict):
            unmerge_people(db, principal=sup, merge_id=first.id)

    def test_supervisor_of_another_office_does_not_find_it(self, db, world, sup, twins):
        from crossroads.auth.roles import Role
        from tests.factories import auth as af

        survivor, merged, _ = twins
        merge = merge_people(db, principal=sup, survivor_id=survivor.id, merged_id=merged.id)
        other = af.principal(db, af.user(db, world.agency, Role.SUPERVISOR, [world.office_b]))
        with pytest.raises(NotFound):
            unmerge_people(db, principal=other, merge_id=merge.id)
