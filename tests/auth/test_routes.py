from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from crossroads.audit.models import AuditEvent
from crossroads.auth.models import AuthToken
from tests.factories import auth as af
from tests.helpers import token_headers


class TestToken:
    def test_valid_credentials_give_a_bearer_token(self, client, world):
        response = client.post("/api/v1/auth/token",
                               json={"email": world.users["caseworker_a"].email.upper(), "password": af.PASSWORD})
        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "bearer" and len(body["access_token"]) >= 40

    def test_only_a_hash_of_the_token_is_stored(self, client, world, db):
        token = token_headers(client, world.users["caseworker_a"].email)["Authorization"].split()[1]
        assert db.scalar(select(AuthToken.id).where(AuthToken.token_hash == token)) is None

    def test_wrong_password_is_401_and_audited(self, client, world, db):
        response = client.post("/api/v1/auth/token", json={"email": world.users["dpo"].email, "password": "nope"})
        assert response.status_code == 401
        event = db.scalar(select(AuditEvent).where(AuditEvent.action == "auth.login_failed"))
        assert event is not None and "nope" not in str(event.details)

    def test_attempts_are_rate_limited(self, client, world, settings):
        email = world.users["dpo"].email
        for _ in range(settings.login_max_failures):
            assert client.post("/api/v1/auth/token", json={"email": email, "password": "x"}).status_code == 401
        response = client.post("/api/v1/auth/token", json={"email": email, "password": af.PASSWORD})
        assert response.status_code == 429

    def test_an_attacker_is_answered_429_with_retry_after_and_the_owner_still_gets_in(self, app, db, world):
        victim = world.users["dpo"].email
        # A refused request rolls back all the test has not committed.
        db.commit()
        with TestClient(app, client=("198.51.100.66", 40000)) as attacker:
            answers = [attacker.post("/api/v1/auth/token", json={"email": victim, "password": f"guess {i}"})
                       for i in range(50)]
        assert [a.status_code for a in answers[:5]] == [401] * 5
        assert {a.status_code for a in answers[5:]} == {429}
        refused = answers[-1]
        waited = int(refused.headers["retry-after"])
        assert 14 * 60 < waited <= 15 * 60 and refused.json()["retry_after"] == waited
        assert refused.json()["detail"][0]["message"] == "too many failed logins; try again in 15 minutes"
        with TestClient(app, client=("203.0.113.7", 40000)) as owner:
            response = owner.post("/api/v1/auth/token", json={"email": victim, "password": af.PASSWORD})
        assert response.status_code == 200

    def test_deactivated_user_cannot_log_in_and_loses_tokens(self, client, world):
        headers = token_headers(client, world.users["caseworker_a"].email)
        admin = token_headers(client, world.users["admin"].email)
        uid = world.users["caseworker_a"].id
        assert client.patch(f"/api/v1/users/{uid}", json={"active": False}, headers=admin).status_code == 200
        assert client.get("/api/v1/cases", headers=headers).status_code == 401
        assert client.post("/api/v1/auth/token", json={"email": world.users["caseworker_a"].email,
                                                       "password": af.PASSWORD}).status_code == 401

    def test_garbage_token_is_401(self, client):
        assert client.get("/api/v1/cases", headers={"Authorization": "Bearer nonsense"}).status_code == 401


class TestAdministration:
    def test_admin_creates_office_and_user_who_can_work_there(self, client, world):
        admin = token_headers(client, world.users["admin"].email)
        office = client.post("/api/v1/offices", headers=admin, json={
            "organisation_id": str(world.agency.id), "code": "lbn1", "name": "Beirut", "country": "LBN"})
        assert office.status_code == 201 and office.json()["code"] == "LBN1"
        user = client.post("/api/v1/users", headers=admin, json={
            "email": "New.Worker@Example.org", "full_name": "New Worker", "role": "caseworker",
            "organisation_id": str(world.agency.id), "office_ids": [office.json()["id"]], "password": af.PASSWORD})
        assert user.status_code == 201, user.text
        assert user.json()["email"] == "new.worker@example.org"
        worker = token_headers(client, "new.worker@example.org")
        assert client.get("/api/v1/cases", headers=worker).status_code == 200

    @pytest.mark.parametrize(("body", "field"), [
        ({"role": "emperor"}, "role"),
        ({"password": "short"}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"office_ids": ["00000000-0000-0000-0000-000000000000"]}, "office_ids"),
    ])
    def test_bad_user_input_names_the_field(self, client, world, body, field):
        admin = token_headers(client, world.users["admin"].email)
        payload = {"email": "x@example.org", "full_name": "X", "role": "caseworker",
                   "organisation_id": str(world.agency.id), "password": af.PASSWORD, **body}
        response = client.post("/api/v1/users", headers=admin, json=payload)
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == field

    def test_duplicate_email_is_409(self, client, world):
        admin = token_headers(client, world.users["admin"].email)
        response = client.post("/api/v1/users", headers=admin, json={
            "email": world.users["dpo"].email, "full_name": "X", "role": "dpo",
            "organisation_id": str(world.agency.id), "password": af.PASSWORD})
        assert response.status_code == 409

    def test_admin_cannot_demote_themselves(self, client, world):
        admin = token_headers(client, world.users["admin"].email)
        response = client.patch(f"/api/v1/users/{world.users['admin'].id}", json={"role": "caseworker"},
                                headers=admin)
        assert response.status_code == 422

    def test_null_full_name_leaves_the_name_unchanged(self, client, world):
        admin = token_headers(client, world.users["admin"].email)
        user = world.users["caseworker_a"]
        response = client.patch(f"/api/v1/users/{user.id}", json={"full_name": None}, headers=admin)
        assert response.status_code == 200
        assert response.json()["full_name"] == user.full_name
