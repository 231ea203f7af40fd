from __future__ import annotations

import pytest

from crossroads.cases.models import Case
from crossroads.cases.work.models import CaseLink
from crossroads.cases.work.schemas import LinkKind
from crossroads.intake.service import add_household_member
from crossroads.people.models import Person, Relationship
from crossroads.people.schemas import HouseholdMemberCreate
from tests.factories import people as pf
from tests.factories import work
from tests.helpers import token_headers


@pytest.fixture
def pair(db, cw_a):
    return work.case(db, cw_a), work.case(db, cw_a, given_name="Ana")


def link(client, headers, case_id, other_id, kind="family"):
    return client.post(f"/api/v1/cases/{case_id}/links", json={"linked_case_id": str(other_id), "kind": kind},
                       headers=headers)


def in_household(db, principal, head, relationship=Relationship.CHILD, **person):
    member = pf.person(db, principal, **person)
    add_household_member(db, principal=principal, person_id=head.id,
                         data=HouseholdMemberCreate(relationship=relationship, person_id=member.id))
    db.commit()
    return member


class TestLinkCases:
    def test_links_both_ways(self, client, cw, db, pair):
        a, b = pair
        response = link(client, cw, a.id, b.id)
        assert response.status_code == 201
        assert response.json()["kind"] == "family"
        assert {(x.case_id, x.linked_case_id) for x in db.query(CaseLink)} == {(a.id, b.id), (b.id, a.id)}

    def test_linking_again_changes_nothing(self, client, cw, db, pair):
        a, b = pair
        link(client, cw, a.id, b.id)
        assert link(client, cw, b.id, a.id).status_code == 200
        assert work.count(db, CaseLink) == 2
        assert len(work.events(db, "case.link", a.id)) == 1

    def test_another_kind_for_a_linked_pair_is_409(self, client, cw, pair):
        a, b = pair
        link(client, cw, a.id, b.id)
        response = link(client, cw, a.id, b.id, kind="household")
        assert response.status_code == 409
        assert response.json()["detail"][0]["field"] == "kind"

    def test_self_link_is_422_naming_linked_case_id(self, client, cw, db, pair):
        a, _ = pair
        response = link(client, cw, a.id, a.id)
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "linked_case_id"
        assert work.count(db, CaseLink) == 0

    def test_unknown_kind_is_422_naming_kind(self, client, cw, pair):
        a, b = pair
        response = link(client, cw, a.id, b.id, kind="neighbour")
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "kind"

    def test_case_of_another_office_is_404_naming_linked_case_id_and_nothing_is_written(self, client, cw, db,
                                                                                        world, pair):
        a, _ = pair
        theirs = work.case(db, world.principal(db, "caseworker_b"))
        response = link(client, cw, a.id, theirs.id)
        assert response.status_code == 404
        assert response.json()["detail"][0]["field"] == "linked_case_id"
        assert work.count(db, CaseLink) == 0
        assert work.events(db, "case.link", a.id) == []

    def test_caseworker_of_another_office_gets_404(self, client, world, pair):
        a, b = pair
        other = token_headers(client, world.users["caseworker_b"].email)
        assert link(client, other, a.id, b.id).status_code == 404

    def test_same_person_kind_needs_one_person_in_two_programmes(self, client, cw, db, cw_a, pair):
        a, b = pair
        response = link(client, cw, a.id, b.id, kind="same_person_other_programme")
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "kind"
        again = pf.case(db, cw_a, db.get(Person, a.person_id), "legal_counselling")
        db.commit()
        created = link(client, cw, a.id, again.id, kind="same_person_other_programme")
        assert created.status_code == 201
        assert created.json()["kind"] == "same_person_other_programme"
        listed = client.get(f"/api/v1/cases/{a.id}/links", headers=cw).json()["linked"]
        assert [x["kind"] for x in listed] == ["same_person_other_programme"]

    def test_both_cases_record_the_link(self, client, cw, db, pair):
        a, b = pair
        link(client, cw, a.id, b.id)
        [on_a] = work.events(db, "case.link", a.id)
        [on_b] = work.events(db, "case.link", b.id)
        assert on_a.details == {"linked_case": str(b.id), "kind": "family", "version": db.get(Case, a.id).version}
        assert on_b.details["linked_case"] == str(a.id)


class TestUnlinkCases:
    def test_removes_both_directions(self, client, cw, db, cw_a, pair):
        a, b = pair
        work.link(db, cw_a, a, b)
        assert client.delete(f"/api/v1/cases/{b.id}/links/{a.id}", headers=cw).status_code == 204
        assert work.count(db, CaseLink) == 0
        assert len(work.events(db, "case.unlink", a.id)) == 1

    def test_cases_not_linked_is_404(self, client, cw, pair):
        a, b = pair
        assert client.delete(f"/api/v1/cases/{a.id}/links/{b.id}", headers=cw).status_code == 404


class TestCaseLinks:
    def test_lists_linked_cases_and_the_household_cases(self, client, cw, db, cw_a):
        head = pf.person(db, cw_a, given_name="Head")
        child = in_household(db, cw_a, head, given_name="Child")
        mine = pf.case(db, cw_a, head)
        childs = pf.case(db, cw_a, child, "uasc")
        cousin = work.case(db, cw_a, given_name="Cousin")
        work.link(db, cw_a, mine, cousin, LinkKind.FAMILY)
        body = client.get(f"/api/v1/cases/{mine.id}/links", headers=cw).json()
        assert [(x["kind"], x["case"]["id"]) for x in body["linked"]] == [("family", str(cousin.id))]
        assert [(x["relationship"], x["case"]["id"]) for x in body["household"]] == [("child", str(childs.id))]
        assert body["household"][0]["case"]["person"]["given_name"] == "Child"

    def test_hides_cases_the_user_may_not_see(self, client, cw, db, world, cw_a, pair):
        a, b = pair
        work.link(db, cw_a, a, b)
        db.get(Case, b.id).office_id = world.office_b.id
        db.commit()
        assert client.get(f"/api/v1/cases/{a.id}/links", headers=cw).json()["linked"] == []

    def test_reading_is_audited_with_the_cases_shown(self, client, cw, db, cw_a, pair):
        a, b = pair
        work.link(db, cw_a, a, b)
        client.get(f"/api/v1/cases/{a.id}/links", headers=cw)
        [event] = work.events(db, "case.links_read", a.id)
        assert event.details["shown"] == [str(b.id)]

    def test_caseworker_of_another_office_gets_404(self, client, world, pair):
        a, _ = pair
        other = token_headers(client, world.users["caseworker_b"].email)
        assert client.get(f"/api/v1/cases/{a.id}/links", headers=other).status_code == 404

    def test_statements_do_not_grow_with_the_number_of_linked_cases(self, client, cw, db, engine, cw_a):
        def family(size: int) -> Case:
            head = pf.person(db, cw_a)
            main = pf.case(db, cw_a, head)
            member = in_household(db, cw_a, head)
            for _ in range(size):
                pf.case(db, cw_a, member, "uasc")
                work.link(db, cw_a, main, work.case(db, cw_a))
            return main

        small_family, large_family = family(1), family(20)
        small, few = work.measured_get(client, engine, db, f"/api/v1/cases/{small_family.id}/links", cw)
        large, many = work.measured_get(client, engine, db, f"/api/v1/cases/{large_family.id}/links", cw)
        assert (len(small.json()["linked"]), len(small.json()["household"])) == (1, 1)
        assert (len(large.json()["linked"]), len(large.json()["household"])) == (20, 20)
        assert few == many
