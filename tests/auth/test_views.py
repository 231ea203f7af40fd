"""The login, logout and administration pages through a test client."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crossroads.audit.models import AuditEvent
from crossroads.auth.models import LoginAttempt
from tests.factories import auth as af
from tests.helpers import csrf, login


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


class TestAdminPage:
    def test_admin_page_is_for_admins_only(self, client, world):
        login(client, world.users["caseworker_a"].email)
        assert client.get("/admin").status_code == 403
