"""The referrals API: sent only with covering consent, read by the partner only as consent allows, answered,
and flowing back to the referring office."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from crossroads.audit.models import AuditEvent
from crossroads.consent.models import Consent
from crossroads.db.base import utcnow
from crossroads.notify.models import OutboxMessage
from crossroads.referrals.models import Referral
from tests.factories import referrals as rf
from tests.helpers import token_headers

API = "/api/v1/referrals"


@pytest.fixture
def linked(db, world):
    rf.link_directory(db, world)


@pytest.fixture
def scene(db, world, linked):
    return rf.scene(db, world)


def _create(client, cw, scene, **overrides):
    body = {"case_id": str(scene.case.id), "service_id": rf.LEGAL_SERVICE, "purpose": "legal_assistance",
            "categories": rf.CATEGORIES, **overrides}
    return client.post(API, json=body, headers=cw)


def _outbox(db, code: str) -> int:
    return db.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.code == code))


class TestCreateAndSend:
    def test_draft_then_sent_with_a_due_time_and_notifications(self, client, cw, db, scene, world):
        created = _create(client, cw, scene)
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["state"] == "draft" and body["kind"] == "external"
        assert body["to_organisation_id"] == str(world.partner_org.id) and body["reference"].startswith("REF-")
        sent = client.post(f"{API}/{body['id']}/send", headers=cw)
        assert sent.status_code == 200, sent.text
        sent = sent.json()
        assert sent["state"] == "sent" and sent["sent_at"] and sent["due_at"]
        assert _outbox(db, "referral.received") == 1  # the partner's one user
        message = db.scalar(select(OutboxMessage).where(OutboxMessage.code == "referral.received"))
        assert set(message.params) == {"reference", "path"}

    def test_sending_without_consent_names_what_is_missing(self, client, cw, db, world, linked):
        s = rf.scene(db, world, with_consent=False, given_name="Omar")
        rid = _create(client, cw, s).json()["id"]
        response = client.post(f"{API}/{rid}/send", headers=cw)
        assert response.status_code == 422
        detail = response.json()["detail"][0]
        assert detail["field"] == "consent"
        assert response.json()["missing_categories"] == ["identity", "contact"]
        assert db.get(Referral, uuid.UUID(rid)).state.value == "draft"

    def test_consent_to_fewer_categories_is_not_enough(self, client, cw, scene):
        rid = _create(client, cw, scene, categories=["identity", "health"]).json()["id"]
        response = client.post(f"{API}/{rid}/send", headers=cw)
        assert response.status_code == 422 and response.json()["missing_categories"] == ["health"]

    def test_consent_for_another_purpose_is_not_enough(self, client, cw, scene):
        rid = _create(client, cw, scene, purpose="shelter").json()["id"]
        assert client.post(f"{API}/{rid}/send", headers=cw).status_code == 422

    @pytest.mark.parametrize(("overrides", "field"), [
        ({"service_id": "svc-nowhere"}, "service_id"),
        ({"service_id": "svc-health-agadez"}, "service_id"),  # its organisation is no partner of the agency
        ({"service_id": None}, "service_id"),
        ({"categories": []}, "categories"),
        ({"purpose": "sales"}, "purpose"),
        ({"to_programme": "avrr"}, "to_programme"),
    ])
    def test_bad_input_names_the_field(self, client, cw, db, scene, overrides, field):
        before = db.scalar(select(func.count()).select_from(Referral))
        response = _create(client, cw, scene, **overrides)
        assert response.status_code == 422, response.text
        assert field in str(response.json()["detail"])
        assert db.scalar(select(func.count()).select_from(Referral)) == before

    def test_case_of_another_office_is_not_found(self, client, headers, scene):
        assert _create(client, headers("caseworker_b"), scene).status_code == 404


class TestPartner:
    def test_inbox_and_exactly_the_consented_fields(self, client, db, headers, scene):
        referral = rf.referral(db, scene)
        partner = headers("partner")
        inbox = client.get(f"{API}/inbox", headers=partner).json()
        assert [i["reference"] for i in inbox["items"]] == [referral.reference]
        assert inbox["items"][0]["case_id"] is None and inbox["items"][0]["person_id"] is None
        shared = client.get(f"{API}/{referral.id}/shared", headers=partner)
        assert shared.status_code == 200
        assert set(shared.json()["fields"]) == {"person.given_name", "person.family_name", "person.aliases",
                                                "person.sex", "person.date_of_birth", "person.phone",
                                                "person.languages"}
        assert "person.nationality" not in shared.text and scene.case.case_number not in shared.text
        event = db.scalar(select(AuditEvent).where(AuditEvent.action == "referral.read_shared"))
        assert "Muñoz" not in str(event.details)

    def test_draft_is_not_in_the_inbox(self, client, db, headers, scene):
        draft = rf.referral(db, scene, send=False)
        assert client.get(f"{API}/inbox", headers=headers("partner")).json()["items"] == []
        assert client.get(f"{API}/{draft.id}", headers=headers("partner")).status_code == 404

    def test_revocation_cuts_access_at_once_and_is_shown(self, client, db, cw, headers, scene):
        referral = rf.referral(db, scene)
        partner = headers("partner")
        consent_id = db.scalar(select(Consent.id).where(Consent.person_id == scene.person.id))
        revoked = client.post(f"/api/v1/consents/{consent_id}/revoke", headers=cw, json={"reason": "Withdrawn"})
        assert revoked.status_code == 200
        response = client.get(f"{API}/{referral.id}/shared", headers=partner)
        assert response.status_code == 403 and response.json()["detail"][0]["field"] == "consent"
        assert db.scalar(select(func.count()).where(AuditEvent.action == "referral.shared_refused")) == 1
        assert client.get(f"{API}/{referral.id}", headers=partner).json()["consent_in_force"] is False
        assert client.get(f"{API}/inbox", headers=partner).json()["items"][0]["consent_in_force"] is False
        assert _outbox(db, "consent.revoked") == 1

    def test_accept_start_complete_flows_back(self, client, db, cw, headers, scene):
        referral = rf.referral(db, scene)
        partner = headers("partner")
        assert client.post(f"{API}/{referral.id}/accept", headers=partner).json()["state"] == "accepted"
        assert client.post(f"{API}/{referral.id}/start", headers=partner).json()["state"] == "in_progress"
        done = client.post(f"{API}/{referral.id}/complete", headers=partner,
                           json={"outcome": "service_provided", "note": "Residence permit filed"})
        assert done.json()["state"] == "completed"
        seen = client.get(f"{API}/{referral.id}", headers=cw).json()
        assert seen["outcome"] == "service_provided" and seen["outcome_note"] == "Residence permit filed"
        assert seen["accepted_at"] and seen["started_at"] and seen["completed_at"]
        assert _outbox(db, "referral.accepted") == 1 and _outbox(db, "referral.completed") == 1
        timeline = client.get(f"/api/v1/cases/{scene.case.id}/timeline", headers=cw).json()
        told = [e["description"] for day in timeline["days"] for e in day["items"]
                if e["action"].startswith("case.referral_")]
        ref = referral.reference
        assert told == [f"Referral {ref} completed: service provided", f"Referral {ref} started",
                        f"Referral {ref} accepted", f"Referral {ref} sent"]

    def test_decline_needs_a_reason(self, client, db, headers, scene):
        referral = rf.referral(db, scene)
        partner = headers("partner")
        assert client.post(f"{API}/{referral.id}/decline", headers=partner, json={}).status_code == 422
        declined = client.post(f"{API}/{referral.id}/decline", headers=partner, json={"reason": "no_capacity"})
        assert declined.json()["decline_reason"] == "no_capacity" and declined.json()["declined_at"]
        assert client.post(f"{API}/{referral.id}/accept", headers=partner).status_code == 409

    def test_referrer_cannot_answer_for_the_partner(self, client, db, cw, scene):
        referral = rf.referral(db, scene)
        assert client.post(f"{API}/{referral.id}/accept", headers=cw).status_code == 403


class TestOtherPartnerSeesNothing:
    """A partner of another organisation: every referral, person and case route is refused."""

    def test_every_route(self, client, db, cw, world, scene):
        referral = rf.referral(db, scene)
        stranger = token_headers(client, rf.other_partner(db).email)
        rid = referral.id
        assert client.get(f"{API}/inbox", headers=stranger).json()["items"] == []
        for method, path, body in [
            ("GET", f"{API}/{rid}", None), ("GET", f"{API}/{rid}/shared", None),
            ("POST", f"{API}/{rid}/accept", None), ("POST", f"{API}/{rid}/decline", {"reason": "other"}),
            ("POST", f"{API}/{rid}/start", None), ("POST", f"{API}/{rid}/no-show", None),
            ("POST", f"{API}/{rid}/close", None),
            ("POST", f"{API}/{rid}/complete", {"outcome": "service_provided"}),
        ]:
            assert client.request(method, path, headers=stranger, json=body).status_code == 404, path
        for method, path, body in [
            ("POST", f"{API}/{rid}/send", None), ("GET", API, None), ("GET", f"{API}/analytics", None),
            ("POST", API, {"case_id": str(scene.case.id), "service_id": rf.LEGAL_SERVICE,
                           "purpose": "legal_assistance", "categories": ["identity"]}),
            ("GET", f"/api/v1/people/{scene.person.id}", None), ("GET", f"/api/v1/cases/{scene.case.id}", None),
            ("GET", f"/api/v1/people/{scene.person.id}/consents", None),
            ("GET", f"/api/v1/people/{scene.person.id}/household", None),
        ]:
            assert client.request(method, path, headers=stranger, json=body).status_code == 403, path
        assert referral.reference not in str(client.get(f"{API}/inbox", headers=stranger).json())

    def test_partner_reads_no_registry_route(self, client, db, headers, scene):
        partner = headers("partner")
        for path in (f"/api/v1/people/{scene.person.id}", f"/api/v1/cases/{scene.case.id}", "/api/v1/cases",
                     f"/api/v1/people/{scene.person.id}/consents"):
            assert client.get(path, headers=partner).status_code == 403, path


class TestOverdueAndLists:
    def test_unacknowledged_after_the_time_limit_is_overdue(self, client, db, cw, scene):
        referral = rf.referral(db, scene)
        assert client.get(API, headers=cw, params={"overdue": True}).json() == []
        referral.due_at = utcnow() - timedelta(minutes=1)
        db.flush()
        overdue = client.get(API, headers=cw, params={"overdue": True}).json()
        assert [r["reference"] for r in overdue] == [referral.reference] and overdue[0]["overdue"] is True

    def test_other_office_does_not_see_the_referral(self, client, db, headers, scene):
        referral = rf.referral(db, scene)
        assert client.get(f"{API}/{referral.id}", headers=headers("caseworker_b")).status_code == 404
        assert client.get(API, headers=headers("caseworker_b")).json() == []


class TestInternal:
    def test_referral_to_another_office_is_answered_there(self, client, db, cw, headers, world, scene):
        created = _create(client, cw, scene, service_id=None, to_office_id=str(world.office_b.id),
                          to_programme="avrr", categories=["case_summary"])
        assert created.status_code == 201, created.text
        rid = created.json()["id"]
        assert client.post(f"{API}/{rid}/send", headers=cw).status_code == 200
        other = headers("caseworker_b")
        assert [i["id"] for i in client.get(f"{API}/inbox", headers=other).json()["items"]] == [rid]
        shared = client.get(f"{API}/{rid}/shared", headers=other).json()["fields"]
        assert set(shared) == {"case.case_number", "case.programme", "case.state", "case.opened_at"}
        assert client.post(f"{API}/{rid}/accept", headers=other).json()["state"] == "accepted"


class TestAnalytics:
    def test_figures_per_partner_and_service(self, client, db, headers, world, scene):
        partner = headers("partner")
        first, second = rf.referral(db, scene), rf.referral(db, scene)
        client.post(f"{API}/{first.id}/accept", headers=partner)
        client.post(f"{API}/{first.id}/complete", headers=partner, json={"outcome": "service_provided"})
        client.post(f"{API}/{second.id}/decline", headers=partner, json={"reason": "no_capacity"})
        response = client.get(f"{API}/analytics", headers=headers("supervisor_a"))
        assert response.status_code == 200
        row = response.json()["rows"][0]
        assert row["service_id"] == rf.LEGAL_SERVICE and row["to_organisation_id"] == str(world.partner_org.id)
        assert (row["sent"], row["accepted"], row["declined"], row["completed"]) == (2, 1, 1, 1)
        assert row["completion_rate"] == 1.0 and row["declines_by_reason"] == {"no_capacity": 1}
        assert row["median_hours_to_accept"] is not None

    def test_caseworker_may_not(self, client, cw):
        assert client.get(f"{API}/analytics", headers=cw).status_code == 403
