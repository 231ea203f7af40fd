"""Forms refused for a bad field: the field named beside its input and in a summary, what was typed kept, and a
GET on the URL the form posted to leading back to the form."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crossroads.auth.models import Office, User
from crossroads.people.models import Person
from tests.helpers import csrf, login


def attributes(html: str, name: str) -> str:
    """The opening tag of the form control named `name`."""
    match = re.search(rf'<(?:input|select|textarea)[^>]*\bname="{re.escape(name)}"[^>]*>', html)
    assert match, name
    return match.group(0)


class TestRegistrationError:
    def test_the_error_is_beside_its_field_linked_for_screen_readers_and_summarised(self, client: TestClient,
                                                                                      world, db: Session) -> None:
        login(client, world.users["caseworker_a"].email)
        before = db.scalar(select(func.count()).select_from(Person))
        page = client.get("/people/new")
        response = client.post("/people/new", data={
            "csrf_token": csrf(page.text), "given_name": "Amina", "family_name": "Yusuf", "sex": "female",
            "date_of_birth": "2999-01-01", "nationality": "SOM", "phone": "+252 61 234 5678",
            "aliases": "Aamina Yuusuf", "document_type_0": "passport", "document_number_0": "P1234567"})

        assert response.status_code == 422
        html = response.text
        tag = attributes(html, "date_of_birth")
        assert 'aria-invalid="true"' in tag and 'aria-describedby="date_of_birth-error"' in tag
        assert 'id="date_of_birth"' in tag
        assert re.search(r'<span class="field-error" id="date_of_birth-error">must be between 1900-01-01 and today',
                         html)
        summary = html[html.index('class="error-summary"'):]
        assert '<a href="#date_of_birth">Date of birth: must be between 1900-01-01 and today</a>' in summary
        assert 'aria-invalid' not in attributes(html, "given_name")
        # Everything typed comes back: text, the choices made and the document row.
        for name, value in (("given_name", "Amina"), ("family_name", "Yusuf"), ("phone", "+252 61 234 5678"),
                            ("document_number_0", "P1234567")):
            assert f'value="{value}"' in attributes(html, name)
        assert "Aamina Yuusuf</textarea>" in html
        assert re.search(r'<option value="female" selected>Female</option>', html)
        assert re.search(r'<option value="SOM" selected>Somalia</option>', html)
        assert re.search(r'<option value="passport" selected>Passport</option>', html)
        assert db.scalar(select(func.count()).select_from(Person)) == before

    @pytest.mark.parametrize(("lang", "message"), [
        ("fr", "doit comporter au plus 200 caractères"),
        ("ar", "يجب ألا يتجاوز 200 حرف"),
        ("es", "debe tener como máximo 200 caracteres"),
    ])
    def test_a_limit_is_said_in_the_users_language_with_its_number(self, client: TestClient, world, lang: str,
                                                                   message: str) -> None:
        login(client, world.users["caseworker_a"].email)
        page = client.get(f"/people/new?lang={lang}")
        response = client.post("/people/new", data={
            "csrf_token": csrf(page.text), "given_name": "A" * 201, "family_name": "Yusuf", "sex": "female",
            "nationality": "SOM"})

        assert response.status_code == 422
        assert message in response.text
        assert "String should" not in response.text and "at most 200 characters" not in response.text


class TestAdministrationErrors:
    def test_a_refused_user_keeps_its_form_and_not_the_password(self, client: TestClient, world,
                                                                 db: Session) -> None:
        login(client, world.users["admin"].email)
        page = client.get("/admin")
        office = db.scalar(select(Office).order_by(Office.code))
        response = client.post("/admin/users", data={
            "csrf_token": csrf(page.text), "email": "not-an-address", "full_name": "Nadia Haddad",
            "role": "supervisor", "organisation_id": str(world.agency.id), "office_ids": str(office.id),
            "password": "a long enough password"})

        assert response.status_code == 422
        html = response.text
        assert 'aria-describedby="user-email-error"' in attributes(html, "email")
        assert 'value="Nadia Haddad"' in attributes(html, "full_name")
        assert '<option value="supervisor" selected>Supervisor</option>' in html
        assert f'value="{office.id}" checked' in html[html.index('id="new-user"'):]
        assert "a long enough password" not in html
        # The office form on the same page does not take the user's name.
        new_office = html[html.index('id="new-office"'):]
        assert 'value="Nadia Haddad"' not in new_office
        assert db.scalar(select(User).where(User.full_name == "Nadia Haddad")) is None


class TestPostOnlyUrls:
    def test_reloading_a_refused_form_shows_the_form_again(self, client: TestClient, world) -> None:
        login(client, world.users["admin"].email)
        page = client.get("/admin")
        client.post("/admin/offices", data={"csrf_token": csrf(page.text), "code": "", "name": ""})

        response = client.get("/admin/offices", follow_redirects=False)

        assert (response.status_code, response.headers["location"]) == (303, "/admin")
        assert client.get("/admin/offices").status_code == 200

    def test_the_household_form_url_leads_back_to_the_person(self, client: TestClient, world) -> None:
        login(client, world.users["caseworker_a"].email)
        response = client.get("/people/3f0c0a52-5c1e-4c57-9d2a-0d1e7f4f8b11/household", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/people/3f0c0a52-5c1e-4c57-9d2a-0d1e7f4f8b11#household"

    def test_a_parameter_cannot_take_the_redirect_elsewhere(self, client: TestClient) -> None:
        response = client.get("/cases/%2F%2Fevil.example/notes", follow_redirects=False)
        assert response.status_code in (303, 404)
        if response.status_code == 303:
            assert response.headers["location"].startswith("/cases/%2F")

    def test_every_html_url_that_takes_a_post_answers_a_get(self, app) -> None:
        gets = {r.path for r in app.routes if isinstance(r, APIRoute) and "GET" in r.methods}
        posts = {r.path for r in app.routes if isinstance(r, APIRoute) and "POST" in r.methods
                 and not r.path.startswith("/api/")}
        assert posts - gets == set()

    def test_no_such_get_is_a_405(self, client: TestClient, world, app) -> None:
        login(client, world.users["caseworker_a"].email)
        posts = [r.path for r in app.routes if isinstance(r, APIRoute) and "POST" in r.methods
                 and not r.path.startswith("/api/")]
        for path in posts:
            url = re.sub(r"\{[a-z_]+\}", "3f0c0a52-5c1e-4c57-9d2a-0d1e7f4f8b11", path)
            response = client.get(url, follow_redirects=False)
            assert response.status_code in (200, 303), (path, response.status_code)
