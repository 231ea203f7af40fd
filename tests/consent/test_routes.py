"""The consent API: record, list and revoke, scoped to the user's offices and audited."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from crossroads.audit.models import AuditEvent
from crossroads.consent.models import Consent
from tests.factories.consent import consent_payload
from tests.factories.people import person_payload


@pytest.fixture
def person_id(client, cw):
    return client.post("/api/v1/people", json=person_payload(), headers=cw).json()["id"]


def consents(db) -> int:
    return db.scalar(select(func.count()).select_from(Consent))


class TestRecordConsent:
    def test_records_and_audits_without_values(self, client, cw, db, world, person_id):
        response = client.post(f"/api/v1/people/{person_id}/consents", headers=cw,
                               json=consent_payload(world.partner_org.id, categories=["contact", "identity"]))
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["categories"] == ["contact", "identity"] and body["in_force"] is True
        assert body["given_on"] == date.today().isoformat()
        event = db.scalar(select(AuditEvent).where(AuditEvent.action == "consent.record"))
        assert event.entity_id == body["id"] and event.details["purpose"] == "legal_assistance"

    def test_guardian_consent_names_the_guardian(self, client, cw, world, person_id):
        response = client.post(f"/api/v1/people/{person_id}/consents", headers=cw, json=consent_payload(
            world.partner_org.id, method="guardian", guardian_name="Fatima Yusuf", guardian_relationship="mother"))
        assert response.status_code == 201
        assert response.json()["guardian_name"] == "Fatima Yusuf"

    @pytest.mark.parametrize(("overrides", "field"), [
        ({"method": "guardian"}, "guardian_name"),
        ({"method": "guardian", "guardian_name": "Fatima"}, "guardian_relationship"),
        ({"guardian_name": "Fatima"}, "guardian_name"),
        ({"expires_on": date.today().isoformat()}, "expires_on"),
        ({"expires_on": "2026-13-01"}, "expires_on"),
        ({"expires_on": (date.today() + timedelta(days=3700 * 2)).isoformat()}, "expires_on"),
        ({"given_on": (date.today() + timedelta(days=1)).isoformat()}, "given_on"),
        ({"categories": []}, "categories"),
        ({"categories": ["horoscope"]}, "categories"),
        ({"purpose": "marketing"}, "purpose"),
        ({"recipient_organisation_id": "00000000-0000-0000-0000-000000000001"}, "recipient_organisation_id"),
    ])
    def test_bad_input_names_the_field_and_writes_nothing(self, client, cw, db, world, person_id, overrides, field):
        before = consents(db)
        response = client.post(f"/api/v1/people/{person_id}/consents", headers=cw,
                               json=consent_payload(world.partner_org.id, **overrides))
        assert response.status_code == 422, response.text
        assert field in response.text
        assert consents(db) == before

    def test_person_of_another_office_is_not_found(self, client, headers, world, person_id):
        response = client.post(f"/api/v1/people/{person_id}/consents", headers=headers("caseworker_b"),
                               json=consent_payload(world.partner_org.id))
        assert response.status_code == 404

    def test_partner_may_not_record(self, client, headers, world, person_id):
        response = client.post(f"/api/v1/people/{person_id}/consents", headers=headers("partner"),
                               json=consent_payload(world.partner_org.id))
        assert response.status_code == 403


class TestRevokeConsent:
    def test_revokes_with_reason_and_lists_it(self, client, cw, db, world, person_id):
        cid = client.post(f"/api/v1/people/{person_id}/consents", headers=cw,
                          json=consent_payload(world.partner_org.id)).json()["id"]
        response = client.post(f"/api/v1/consents/{cid}/revoke", headers=cw, json={"reason": "Changed her mind"})
        assert response.status_code == 200
        assert response.json()["in_force"] is False and response.json()["revocation_reason"] == "Changed her mind"
        listed = client.get(f"/api/v1/people/{person_id}/consents", headers=cw).json()
        assert [c["revoked_at"] is not None for c in listed] == [True]
        event = db.scalar(select(AuditEvent).where(AuditEvent.action == "consent.revoke"))
        assert "Changed" not in str(event.details)

    def test_second_revocation_conflicts(self, client, cw, world, person_id):
        cid = client.post(f"/api/v1/people/{person_id}/consents", headers=cw,
                          json=consent_payload(world.partner_org.id)).json()["id"]
        client.post(f"/api/v1/consents/{cid}/revoke", headers=cw, json={"reason": "No"})
        assert client.post(f"/api/v1/consents/{cid}/revoke", headers=cw, json={"reason": "No"}).status_code == 409

    def test_reason_is_required(self, client, cw, world, person_id):
        cid = client.post(f"/api/v1/people/{person_id}/consents", headers=cw,
                          json=consent_payload(world.partner_org.id)).json()["id"]
        response = client.post(f"/api/v1/consents/{cid}/revoke", headers=cw, json={"reason": " "})
        assert response.status_code == 422 and "reason" in response.text

    def test_other_office_cannot_revoke(self, client, cw, headers, world, person_id):
        cid = client.post(f"/api/v1/people/{person_id}/consents", headers=cw,
                          json=consent_payload(world.partner_org.id)).json()["id"]
        response = client.post(f"/api/v1/consents/{cid}/revoke", headers=headers("caseworker_b"),
                               json={"reason": "No"})
        assert response.status_code == 404
