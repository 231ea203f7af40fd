"""The login, logout and administration pages through a test client."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from crossroads.audit.models import AuditEvent
from crossroads.auth.models import LoginAttempt
from crossroads.db.base import utcnow
from crossroads.web.i18n import LANG_COOKIE
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
        ("caseworker_a", "/cases"), ("supervisor_a", "/cases"), ("partner", "/referrals/inbox"),
        ("data_officer", "/disclosure"),
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

    @pytest.mark.parametrize(("lang", "message"), [
        ("en", "too many failed logins; try again in 15 minutes"),
        ("fr", "trop de tentatives de connexion échouées ; réessayez dans 15 minutes"),
        ("ar", "محاولات دخول فاشلة كثيرة؛ حاول مرة أخرى بعد 15 دقيقة"),
    ])
    def test_too_many_failures_are_answered_429_with_retry_after_in_the_users_language(self, app, world, settings,
                                                                                       lang, message):
        victim = world.users["dpo"].email
        with TestClient(app, client=("198.51.100.66", 40000), cookies={LANG_COOKIE: lang}) as attacker:
            page = attacker.get("/login")
            answers = [attacker.post("/login", data={"email": victim, "password": "guess",
                                                     "csrf_token": csrf(page.text)})
                       for _ in range(settings.login_max_failures + 1)]
        assert [a.status_code for a in answers] == [401] * settings.login_max_failures + [429]
        assert 14 * 60 < int(answers[-1].headers["retry-after"]) <= 15 * 60
        assert message in answers[-1].text
        with TestClient(app, client=("203.0.113.7", 40000)) as owner:
            page = owner.get("/login")
            response = owner.post("/login", data={"email": victim, "password": af.PASSWORD,
                                                  "csrf_token": csrf(page.text)}, follow_redirects=False)
        assert response.status_code == 303

    def test_a_short_wait_is_given_in_seconds(self, app, world, db):
        victim = world.users["dpo"].email
        now = utcnow()
        db.add_all([LoginAttempt(email=victim, ip=f"198.51.100.{i}", attempted_at=now) for i in range(1, 16)])
        db.commit()
        with TestClient(app, client=("198.51.100.1", 40000), cookies={LANG_COOKIE: "fr"}) as client:
            page = client.get("/login")
            response = client.post("/login", data={"email": victim, "password": "guess",
                                                   "csrf_token": csrf(page.text)})
        assert response.status_code == 429
        waited = int(response.headers["retry-after"])
        assert 25 < waited <= 32
        assert f"réessayez dans {waited} secondes" in response.text

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
