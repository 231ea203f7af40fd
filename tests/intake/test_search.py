"""Finding people through GET /api/v1/people: spellings, parts, filters, scope, audit and bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crossroads.audit.models import AuditEvent
from tests.factories import people as pf


@pytest.fixture
def registry(db, world):
    cw = world.principal(db, "caseworker_a")
    cw_b = world.principal(db, "caseworker_b")
    people = {
        "youssef": pf.person(db, cw, given_name="Youssef", family_name="Al-Haddad", sex="male",
                             date_of_birth="1990-03-02", nationality="SYR", aliases=["يوسف الحداد"],
                             phone="+963 944 123 456",
                             documents=[{"document_type": "passport", "number": "N 0123-456",
                                         "issuing_country": "SYR"}]),
        "jamal": pf.person(db, cw, given_name="جمال", family_name="يوسف", sex="male", date_of_birth="1985-01-01",
                           nationality="SYR"),
        "sofia": pf.person(db, cw, given_name="Sofia", family_name="Hadid", sex="female",
                           date_of_birth="1992-06-01", nationality="LBN"),
        "amina": pf.person(db, cw, given_name="Amina", family_name="Haddad", sex="female",
                           date_of_birth="2001-05-05", nationality="LBN", aliases=["Mina Hadad"]),
        # In office B: caseworker A must never see her.
        "other_office": pf.person(db, cw_b, given_name="Youssef", family_name="Haddad", sex="male",
                                  date_of_birth="1990-01-01", nationality="SYR"),
    }
    pf.case(db, cw, people["youssef"])
    return people


def search(client, headers, **params):
    response = client.get("/api/v1/people", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def ids(data) -> list[str]:
    return [item["id"] for item in data["items"]]


class TestSearchPeople:
    @pytest.mark.parametrize("q", ["Yusef Hadad", "Hadad", "Yousef", "Youssef Al-Haddad", "Hadad Yusef",
                                   "يوسف الحداد", "youssef haddad", "Yousef Hadda", "Youssef Hsddad"])
    def test_finds_spellings_parts_swaps_scripts_and_a_typo(self, client, cw, registry, q):
        found = ids(search(client, cw, q=q))
        assert str(registry["youssef"].id) in found[:2]

    def test_the_closest_spelling_comes_first(self, client, cw, registry):
        data = search(client, cw, q="Yusef Hadad")
        assert data["items"][0]["id"] == str(registry["youssef"].id)
        assert data["items"][0]["matched"] == "name"
        assert data["items"][0]["cases"] == 1

    def test_latin_finds_a_name_written_in_arabic_as_the_duplicate_check_does(self, client, cw, registry):
        data = search(client, cw, q="Jamal Yousef")
        assert data["items"][0]["id"] == str(registry["jamal"].id)
        assert data["items"][0]["cases"] == 0

    def test_finds_an_alias(self, client, cw, registry):
        assert ids(search(client, cw, q="Mina Hadad"))[0] == str(registry["amina"].id)

    def test_finds_a_document_or_phone_number(self, client, cw, registry):
        for q, how in (("n0123456", "document"), ("+963944123456", "phone"), ("963 944 123 456", "phone")):
            data = search(client, cw, q=q)
            assert data["items"][0]["id"] == str(registry["youssef"].id)
            assert data["items"][0]["matched"] == how

    def test_filters_by_sex_birth_year_nationality_and_office(self, client, cw, registry, world):
        assert str(registry["sofia"].id) not in ids(search(client, cw, q="Hadad", sex="male"))
        assert set(ids(search(client, cw, q="Hadad", born=1991, born_within=1))) == {
            str(registry["youssef"].id), str(registry["sofia"].id)}
        assert str(registry["youssef"].id) not in ids(search(client, cw, q="Hadad", born=1991))
        assert set(ids(search(client, cw, q="Hadad", nationality="lbn"))) <= {
            str(registry["sofia"].id), str(registry["amina"].id)}
        assert ids(search(client, cw, q="Hadad", office_id=str(world.office_b.id))) == []

    def test_pages_through_the_ranking(self, client, cw, registry):
        first = search(client, cw, q="Hadad", page_size=1)
        second = search(client, cw, q="Hadad", page_size=1, page=2)
        assert first["total"] == second["total"] >= 2
        assert ids(first) != ids(second)

    def test_sees_only_people_of_the_users_offices(self, client, cw, headers, registry):
        assert str(registry["other_office"].id) not in ids(search(client, cw, q="Youssef Haddad"))
        found_by_b = ids(search(client, headers("caseworker_b"), q="Youssef Haddad"))
        assert found_by_b == [str(registry["other_office"].id)]

    def test_partners_find_nothing(self, client, headers, registry):
        response = client.get("/api/v1/people", params={"q": "Hadad"}, headers=headers("partner"))
        assert response.status_code == 403

    def test_every_search_is_audited_without_the_query(self, client, cw, db, registry):
        search(client, cw, q="Yusef Hadad", sex="male")
        event = db.scalars(select(AuditEvent).where(AuditEvent.action == "person.search")
                           .order_by(AuditEvent.id.desc())).first()
        assert event is not None
        assert event.details["filters"] == ["sex"]
        assert str(registry["youssef"].id) in event.details["shown"]
        assert "yusef" not in str(event.details).lower() and "hadad" not in str(event.details).lower()

    @pytest.mark.parametrize(("params", "field"), [
        ({}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"q": "Hadad", "sex": "yes"}, "sex"),
        ({"q": "Hadad", "born": "nineteen"}, "born"),
        ({"q": "Hadad", "born": 1800}, "born"),
        ({"q": "Hadad", "born_within": 2}, "born_within"),
        ({"q": "Hadad", "born": 1990, "born_within": 11}, "born_within"),
        ({"q": "Hadad", "nationality": "ZZZ"}, "nationality"),
        ({"q": "Hadad", "office_id": "7"}, "office_id"),
        ({"q": "Hadad", "page": 0}, "page"),
        ({"q": "Hadad", "page_size": 101}, "page_size"),
    ])
    def test_bad_parameters_are_422_naming_the_field(self, client, cw, registry, params, field):
        response = client.get("/api/v1/people", params=params, headers=cw)
        assert response.status_code == 422, response.text
        assert field in [e["field"] for e in response.json()["detail"]]
