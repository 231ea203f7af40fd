"""The people search's keys follow who may see a person: registration office, case offices, transfers, merges."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crossroads.auth.roles import Role
from crossroads.cases.schemas import CaseCreate
from crossroads.cases.service import open_case
from crossroads.cases.workflow.transfers import decide_transfer, request_transfer
from crossroads.dedup.merges import merge_people, unmerge_people
from crossroads.intake import search
from crossroads.intake.search import PeopleFilters, search_people
from crossroads.people.models import PersonSearchKey
from tests.factories import auth as af
from tests.factories import people as pf


def offices_keyed(db, person) -> set:
    return set(db.scalars(select(PersonSearchKey.office_id).where(PersonSearchKey.person_id == person.id)))


def found(db, principal, q: str) -> list:
    return [hit.person.id for hit in search_people(db, principal=principal, filters=PeopleFilters(q=q)).items]


@pytest.fixture
def both(db, world):
    """A caseworker of offices A and B."""
    return af.principal(db, af.user(db, world.agency, Role.CASEWORKER, [world.office_a, world.office_b]))


class TestKeysFollowTheOffices:
    def test_a_new_person_is_keyed_for_their_office_only(self, db, world):
        amina = pf.person(db, world.principal(db, "caseworker_a"), given_name="Amina", family_name="Haddad")
        assert offices_keyed(db, amina) == {world.office_a.id}

    def test_a_case_in_another_office_makes_the_person_findable_there(self, db, world, both):
        cw_b = world.principal(db, "caseworker_b")
        amina = pf.person(db, both, given_name="Amina", family_name="Haddad", office_id=str(world.office_a.id))
        assert amina.id not in found(db, cw_b, "Amina Hadad")
        open_case(db, principal=both, data=CaseCreate(person_id=amina.id, programme="avrr",
                                                      office_id=world.office_b.id))
        assert offices_keyed(db, amina) == {world.office_a.id, world.office_b.id}
        assert found(db, cw_b, "Amina Hadad") == [amina.id]
        # Seen from two of the user's offices, the person is still one result with each key counted once.
        assert found(db, both, "Amina Hadad") == [amina.id]

    def test_a_transferred_case_takes_the_person_out_of_the_office_it_left(self, db, world, both):
        cw_a, cw_b = world.principal(db, "caseworker_a"), world.principal(db, "caseworker_b")
        amina = pf.person(db, both, given_name="Amina", family_name="Haddad", office_id=str(world.office_a.id))
        case = open_case(db, principal=both, data=CaseCreate(person_id=amina.id, programme="avrr",
                                                             office_id=world.office_b.id))
        sent = request_transfer(db, principal=cw_b, case_id=case.id, to_office_id=world.office_a.id)
        decide_transfer(db, principal=cw_a, transfer_id=sent.transfer.id, accept=True)
        assert offices_keyed(db, amina) == {world.office_a.id}
        assert found(db, cw_b, "Amina Hadad") == []
        assert found(db, cw_a, "Amina Hadad") == [amina.id]

    def test_a_transfer_keeps_the_office_the_person_was_registered_in(self, db, world, both):
        cw_a, cw_b = world.principal(db, "caseworker_a"), world.principal(db, "caseworker_b")
        amina = pf.person(db, cw_a, given_name="Amina", family_name="Haddad")
        case = pf.case(db, cw_a, amina)
        sent = request_transfer(db, principal=cw_a, case_id=case.id, to_office_id=world.office_b.id)
        decide_transfer(db, principal=cw_b, transfer_id=sent.transfer.id, accept=True)
        assert offices_keyed(db, amina) == {world.office_a.id, world.office_b.id}
        assert found(db, cw_a, "Amina Hadad") == found(db, cw_b, "Amina Hadad") == [amina.id]

    def test_a_merged_record_has_no_keys_until_the_merge_is_undone(self, db, world):
        cw, sup = world.principal(db, "caseworker_a"), world.principal(db, "supervisor_a")
        survivor = pf.person(db, cw, given_name="Amina", family_name="Haddad")
        merged = pf.person(db, cw, given_name="Amina", family_name="Hadad")
        merge = merge_people(db, principal=sup, survivor_id=survivor.id, merged_id=merged.id)
        assert offices_keyed(db, merged) == set()
        assert found(db, cw, "Amina Hadad") == [survivor.id]
        unmerge_people(db, principal=sup, merge_id=merge.id)
        assert offices_keyed(db, merged) == {world.office_a.id}


class TestTheCapCountsVisiblePeopleOnly:
    def test_namesakes_of_other_offices_never_take_the_users_places(self, db, world, monkeypatch):
        monkeypatch.setattr(search, "PER_KEY_LIMIT", 3)
        cw_a, cw_b = world.principal(db, "caseworker_a"), world.principal(db, "caseworker_b")
        for day in range(1, 7):
            pf.person(db, cw_b, given_name="Youssef", family_name="Haddad", date_of_birth=f"1990-01-0{day}")
        mine = pf.person(db, cw_a, given_name="Youssef", family_name="Haddad")
        page = search_people(db, principal=cw_a, filters=PeopleFilters(q="Yusef Hadad"))
        assert [hit.person.id for hit in page.items] == [mine.id] and not page.total_is_capped
        seen_by_b = search_people(db, principal=cw_b, filters=PeopleFilters(q="Yusef Hadad"))
        assert mine.id not in [hit.person.id for hit in seen_by_b.items] and seen_by_b.total_is_capped


class TestCandidatesShareTheMostKeys:
    def test_when_more_people_match_than_are_ranked_those_sharing_more_keys_are_kept(self, db, world, monkeypatch):
        monkeypatch.setattr(search, "MAX_RANKED", 2)
        cw = world.principal(db, "caseworker_a")
        for given in ("Karim", "Omar", "Samir", "Walid"):
            pf.person(db, cw, given_name=given, family_name="Haddad")
        youssef = pf.person(db, cw, given_name="Youssef", family_name="Haddad")
        page = search_people(db, principal=cw, filters=PeopleFilters(q="Yusef Hadad"))
        # Five people share the family name's keys; only Youssef shares the given name's too.
        assert page.items[0].person.id == youssef.id
        assert page.total == 2 and page.total_is_capped

    def test_filters_narrow_the_lookup_itself(self, db, world, monkeypatch):
        monkeypatch.setattr(search, "PER_KEY_LIMIT", 3)
        cw = world.principal(db, "caseworker_a")
        for day in range(1, 7):
            pf.person(db, cw, given_name="Youssef", family_name="Haddad", date_of_birth=f"1990-01-0{day}")
        older = pf.person(db, cw, given_name="Youssef", family_name="Haddad", date_of_birth="1960-05-05")
        page = search_people(db, principal=cw, filters=PeopleFilters(q="Yusef Hadad", born=1960))
        assert [hit.person.id for hit in page.items] == [older.id] and not page.total_is_capped
