"""The registration form through a test client."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from crossroads.audit.models import AuditEvent
from crossroads.auth.roles import Role
from crossroads.cases.workflow import transfers
from crossroads.people.models import Person, PersonChange
from crossroads.people.schemas import PersonUpdate
from crossroads.people.service import update_person
from tests.factories import auth as af
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


def _form(page: str, **fields: str) -> dict[str, str]:
    """The edit form as the page filled it in (its hidden fields and inputs), with `fields` typed over it."""
    import re

    values = dict(re.findall(r'<input (?:type="hidden" )?name="(\w+)"[^>]*? value="([^"]*)"', page))
    values |= dict(re.findall(r'<input type="(?:date|tel)" name="(\w+)"[^>]*? value="([^"]*)"', page))
    values |= {name: value for name, value in re.findall(
        r'<select name="(\w+)"[^>]*>(?:(?!</select>).)*?<option value="([^"]*)" selected', page, re.S)}
    values |= dict(re.findall(r'<textarea name="(\w+)"[^>]*>([^<]*)</textarea>', page))
    values["csrf_token"] = csrf(page)
    return values | fields


class TestEditPersonPage:
    def test_the_person_page_links_to_the_form_which_saves_and_shows_the_change(self, client, db, world):
        person = pf.person(db, world.principal(db, "caseworker_a"), phone="+216 20 123 456")
        login(client, world.users["caseworker_a"].email)
        assert f'href="/people/{person.id}/edit"' in client.get(f"/people/{person.id}").text
        page = client.get(f"/people/{person.id}/edit")
        assert page.status_code == 200 and 'value="Muñoz"' in page.text and 'value="+21620123456"' in page.text
        response = client.post(f"/people/{person.id}/edit", data=_form(page.text, family_name="Muñoz Díaz",
                                                                         phone=""))
        assert response.status_code == 200, response.text
        assert str(response.url).endswith(f"/people/{person.id}#changes")
        assert 'changed Family name from <bdi dir="auto">Muñoz</bdi> to <bdi dir="auto">Muñoz Díaz</bdi>' \
            in response.text
        assert "changed Phone from" in response.text
        saved = db.get(Person, person.id)
        assert (saved.family_name, saved.phone, saved.given_name, saved.nationality) == (
            "Muñoz Díaz", None, "José", "VEN")

    def test_a_stale_form_shows_the_conflict_and_keeps_the_input(self, client, db, world):
        person = pf.person(db, world.principal(db, "caseworker_a"))
        login(client, world.users["caseworker_a"].email)
        page = client.get(f"/people/{person.id}/edit")
        update_person(db, principal=world.principal(db, "supervisor_a"), person_id=person.id,
                      data=PersonUpdate(version=person.version, given_name="Josep"))
        response = client.post(f"/people/{person.id}/edit", data=_form(page.text, family_name="Quispe"))
        assert response.status_code == 409
        assert "Someone else changed this person" in response.text
        assert 'value="Quispe"' in response.text
        assert "changed Given name from" in response.text and "Josep" in response.text
        assert db.get(Person, person.id).family_name == "Muñoz"
        # The form now carries the current version, and the other change where the user left the field alone:
        # saving again applies the user's change and keeps the other one.
        assert 'value="Josep"' in response.text
        again = client.post(f"/people/{person.id}/edit", data=_form(response.text))
        assert again.status_code == 200
        saved = db.get(Person, person.id)
        assert (saved.given_name, saved.family_name) == ("Josep", "Quispe")

    def test_a_field_both_changed_keeps_the_users_input(self, client, db, world):
        person = pf.person(db, world.principal(db, "caseworker_a"))
        login(client, world.users["caseworker_a"].email)
        page = client.get(f"/people/{person.id}/edit")
        update_person(db, principal=world.principal(db, "supervisor_a"), person_id=person.id,
                      data=PersonUpdate(version=person.version, family_name="Muñoz Pérez"))
        response = client.post(f"/people/{person.id}/edit", data=_form(page.text, family_name="Muñoz Díaz"))
        assert response.status_code == 409
        assert 'value="Muñoz Díaz"' in response.text and "changed Family name from" in response.text

    def test_bad_input_comes_back_beside_the_field_and_nothing_is_saved(self, client, db, world):
        person = pf.person(db, world.principal(db, "caseworker_a"))
        login(client, world.users["caseworker_a"].email)
        page = client.get(f"/people/{person.id}/edit")
        response = client.post(f"/people/{person.id}/edit", data=_form(page.text, given_name="Pedro",
                                                                         phone="12"))
        assert response.status_code == 422
        assert 'id="phone-error"' in response.text and 'value="Pedro"' in response.text
        assert db.get(Person, person.id).given_name == "José"
        assert db.scalar(select(func.count()).select_from(PersonChange)) == 0

    def test_names_are_withheld_from_a_caseworker_of_another_office(self, client, db, world):
        cw_a, cw_b = world.principal(db, "caseworker_a"), world.principal(db, "caseworker_b")
        person = pf.person(db, cw_a, phone="+216 20 123 456")
        case = pf.case(db, cw_a, person)
        transfer = transfers.request_transfer(db, principal=cw_a, case_id=case.id, to_office_id=world.office_b.id)
        transfers.decide_transfer(db, principal=cw_b, transfer_id=transfer.transfer.id, accept=True)
        update_person(db, principal=cw_a, person_id=person.id,
                      data=PersonUpdate(version=person.version, family_name="Quispe", nationality="PER"))
        db.commit()
        login(client, world.users["caseworker_b"].email)
        page = client.get(f"/people/{person.id}")
        assert page.status_code == 200
        assert "changed Family name" in page.text and "values withheld" in page.text
        assert "Muñoz" not in page.text
        assert "changed Nationality from" in page.text
        # Nor may they edit: the person is another office's.
        assert f'href="/people/{person.id}/edit"' not in page.text
        assert client.get(f"/people/{person.id}/edit").status_code == 403

    def test_a_supervisor_sees_the_values(self, client, db, world):
        sup = af.user(db, world.agency, Role.SUPERVISOR, [world.office_a])
        person = pf.person(db, world.principal(db, "caseworker_a"))
        update_person(db, principal=world.principal(db, "caseworker_a"), person_id=person.id,
                      data=PersonUpdate(version=person.version, family_name="<b>Quispe</b>"))
        login(client, sup.email)
        page = client.get(f"/people/{person.id}")
        assert "changed Family name from" in page.text and "Muñoz" in page.text
        assert "&lt;b&gt;Quispe&lt;/b&gt;" in page.text and "<b>Quispe" not in page.text

    def test_the_form_is_refused_to_roles_that_do_not_edit_people(self, client, db, world):
        person = pf.person(db, world.principal(db, "caseworker_a"))
        login(client, world.users["data_officer"].email)
        assert client.get(f"/people/{person.id}/edit").status_code == 403

    def test_opening_the_form_is_an_audited_read(self, client, db, world):
        person = pf.person(db, world.principal(db, "caseworker_a"))
        login(client, world.users["caseworker_a"].email)
        client.get(f"/people/{person.id}/edit")
        assert db.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "person.read", AuditEvent.entity_id == str(person.id))) == 1
        assert uuid.UUID(str(person.id))


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
