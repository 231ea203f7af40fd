"""Reading people through the API."""

from __future__ import annotations

from sqlalchemy import func, select

from crossroads.audit.models import AuditEvent
from tests.factories.people import person_payload
from tests.helpers import token_headers


class TestGetPerson:
    def test_read_is_audited(self, client, cw, db):
        pid = client.post("/api/v1/people", json=person_payload(), headers=cw).json()["id"]
        assert client.get(f"/api/v1/people/{pid}", headers=cw).status_code == 200
        reads = db.scalar(select(func.count()).where(AuditEvent.action == "person.read", AuditEvent.entity_id == pid))
        assert reads == 1

    def test_other_office_gets_404(self, client, cw, world):
        pid = client.post("/api/v1/people", json=person_payload(), headers=cw).json()["id"]
        other = token_headers(client, world.users["caseworker_b"].email)
        assert client.get(f"/api/v1/people/{pid}", headers=other).status_code == 404
