"""The registration form through a test client."""

from __future__ import annotations

from sqlalchemy import func, select

from crossroads.audit.models import AuditEvent
from tests.factories import people as pf
from tests.helpers import csrf, login


class TestRegisterForm:
    def test_registers_and_shows_the_person(self, client, world):
        login(client, world.users["caseworker_a"].email)
        page = client.get("/people/new")
        response = client.post("/people/new", data={
            "csrf_token": csrf(page.text), "given_name": "ተስፋይ", "family_name": "ገብረ", "aliases": "Tesfay Gebre\n",
            "sex": "male", "estimated_age": "24", "nationality": "ERI", "languages": "ti, ar",
            "document_type_0": "refugee_id", "document_number_0": "ETH-123", "document_country_0": "ETH",
        })
        assert response.status_code == 200
        assert "ተስፋይ" in response.text and "Tesfay Gebre" in response.text and "ETH-123" in response.text

    def test_form_without_csrf_is_refused(self, client, world):
        login(client, world.users["caseworker_a"].email)
        response = client.post("/people/new", data={"given_name": "A"})
        assert response.status_code == 403

    def test_invalid_form_keeps_values_and_names_the_field(self, client, world):
        login(client, world.users["caseworker_a"].email)
        page = client.get("/people/new")
        response = client.post("/people/new", data={
            "csrf_token": csrf(page.text), "given_name": "Amina", "family_name": "Yusuf", "sex": "female",
            "date_of_birth": "2999-01-01", "nationality": "SOM"})
        assert response.status_code == 422
        assert 'id="date_of_birth-error"' in response.text and 'value="Amina"' in response.text


class TestPeopleSearchPage:
    def test_is_in_the_menu_and_finds_a_person_without_a_case_by_another_spelling(self, client, world, db):
        principal = world.principal(db, "caseworker_a")
        person = pf.person(db, principal, given_name="يوسف", family_name="الحداد", nationality="SYR",
                           date_of_birth="1990-03-02")
        db.commit()
        login(client, world.users["caseworker_a"].email)
        assert 'href="/people"' in client.get("/people").text
        page = client.get("/people", params={"q": "Yusef Hadad", "sex": "male", "born": "1991", "born_within": "1"})
        assert page.status_code == 200
        assert f'href="/people/{person.id}"' in page.text
        assert "<bdi>يوسف الحداد</bdi>" in page.text
        assert "1990" in page.text and "No case" in page.text and "Syria" in page.text

    def test_an_empty_query_shows_only_the_form_and_audits_nothing(self, client, world, db):
        login(client, world.users["caseworker_a"].email)
        before = db.scalar(select(func.count()).where(AuditEvent.action == "person.search"))
        page = client.get("/people")
        assert page.status_code == 200 and "people found" not in page.text
        assert db.scalar(select(func.count()).where(AuditEvent.action == "person.search")) == before

    def test_a_bad_filter_is_named_beside_its_field(self, client, world):
        login(client, world.users["caseworker_a"].email)
        page = client.get("/people", params={"q": "Hadad", "born": "19x0"})
        assert page.status_code == 422
        assert 'id="born-error"' in page.text

    def test_partners_are_refused(self, client, world):
        login(client, world.users["partner"].email)
        assert client.get("/people", params={"q": "Hadad"}).status_code == 403
