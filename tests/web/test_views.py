"""The HTML pages through a test client: login, CSRF, forms and scoping."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from crossroads.audit.models import AuditEvent
from crossroads.auth.models import LoginAttempt
from tests.factories import auth as af
from tests.factories import people as pf


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client, email: str) -> None:
    page = client.get("/login")
    response = client.post("/login", data={"email": email, "password": af.PASSWORD, "csrf_token": csrf(page.text)},
                           follow_redirects=False)
    assert response.status_code == 303, response.text


class TestLogin:
    def test_session_cookie_is_http_only_and_same_site(self, client, world):
        page = client.get("/login")
        response = client.post("/login", data={"email": world.users["caseworker_a"].email, "password": af.PASSWORD,
                                               "csrf_token": csrf(page.text)}, follow_redirects=False)
        cookie = response.headers["set-cookie"]
        assert "crossroads_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie

    @pytest.mark.parametrize(("user", "landing"), [
        ("caseworker_a", "/cases"), ("supervisor_a", "/cases"), ("partner", "/cases"), ("data_officer", "/disclosure"),
        ("dpo", "/disclosure"), ("admin", "/admin"),
    ])
    def test_lands_where_the_users_own_work_is(self, client, world, user, landing):
        page = client.get("/login")
        response = client.post("/login", data={"email": world.users[user].email, "password": af.PASSWORD,
                                               "csrf_token": csrf(page.text)}, follow_redirects=False)
        assert response.headers["location"] == landing

    def test_login_without_csrf_token_is_refused(self, client, world):
        client.get("/login")
        response = client.post("/login", data={"email": world.users["caseworker_a"].email, "password": af.PASSWORD},
                               follow_redirects=False)
        assert response.status_code == 403

    def test_wrong_password_shows_the_form_again(self, client, world):
        page = client.get("/login")
        response = client.post("/login", data={"email": world.users["dpo"].email, "password": "wrong",
                                               "csrf_token": csrf(page.text)})
        assert response.status_code == 401
        assert "wrong e-mail or password" in response.text

    def test_failed_login_is_kept_and_audited_although_it_is_refused(self, client, world, db):
        email = world.users["dpo"].email
        page = client.get("/login")
        client.post("/login", data={"email": email, "password": "wrong", "csrf_token": csrf(page.text)})
        assert db.scalar(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.email == email)) == 1
        assert db.scalar(select(AuditEvent).where(AuditEvent.action == "auth.login_failed")) is not None

    def test_pages_redirect_to_login_when_logged_out(self, client):
        assert client.get("/cases", follow_redirects=False).headers["location"] == "/login"

    def test_logout_ends_the_session_and_is_audited(self, client, world, db):
        login(client, world.users["caseworker_a"].email)
        page = client.get("/cases")
        client.post("/logout", data={"csrf_token": csrf(page.text)})
        assert client.get("/cases", follow_redirects=False).status_code == 303
        logout = db.scalar(select(AuditEvent).where(AuditEvent.action == "auth.logout"))
        assert logout is not None and logout.actor_id == world.users["caseworker_a"].id


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


class TestCasePages:
    def test_other_office_gets_404_page(self, client, world, db):
        principal = world.principal(db, "caseworker_a")
        case = pf.case(db, principal, pf.person(db, principal))
        db.commit()
        login(client, world.users["caseworker_b"].email)
        assert client.get(f"/cases/{case.id}").status_code == 404

    def test_refused_action_shows_the_case_again_and_audits_that_read_only(self, client, world, db):
        principal = world.principal(db, "caseworker_a")
        case = pf.case(db, principal, pf.person(db, principal))
        db.commit()
        login(client, world.users["caseworker_a"].email)
        page = client.get(f"/cases/{case.id}")

        def count(action: str) -> int:
            return db.scalar(select(func.count()).where(AuditEvent.action == action,
                                                        AuditEvent.entity_id == str(case.id)))

        reads = count("case.read")
        response = client.post(f"/cases/{case.id}/transitions",
                               data={"to_state": "no_such_state", "csrf_token": csrf(page.text)})
        assert response.status_code == 422
        assert count("case.read") == reads + 1 and count("case.transition") == 0

    def test_partner_cannot_open_the_case_list(self, client, world):
        login(client, world.users["partner"].email)
        assert client.get("/cases").status_code == 403

    def test_admin_page_is_for_admins_only(self, client, world):
        login(client, world.users["caseworker_a"].email)
        assert client.get("/admin").status_code == 403

    def test_security_headers(self, client):
        response = client.get("/login")
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
