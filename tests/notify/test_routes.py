"""The notification API: administrators manage webhook subscriptions and retry dead messages."""

from __future__ import annotations

from sqlalchemy import func, select

from crossroads.audit.models import AuditEvent
from crossroads.notify import secretbox
from crossroads.notify import service as notify
from crossroads.notify.models import OutboxState, WebhookSubscription
from tests.conftest import TEST_SECRET

API = "/api/v1"


def webhook_count(db) -> int:
    return db.scalar(select(func.count()).select_from(WebhookSubscription))


def dead_message(db, world):
    row = notify.enqueue_email(db, recipient_user_id=world.users["partner"].id, message_code="referral.received",
                               params={"reference": "REF-2026-000001", "path": "/referrals/1"})
    row.state, row.attempts, row.last_error = OutboxState.DEAD, 8, "HTTP 500"
    db.flush()
    return row


class TestCreateWebhook:
    def test_the_secret_is_shown_once_and_stored_encrypted(self, client, db, world, headers):
        response = client.post(f"{API}/webhooks", headers=headers("admin"),
                               json={"organisation_id": str(world.partner_org.id), "url": "https://p.example/hook"})
        assert response.status_code == 201, response.text
        created = response.json()
        assert created["secret"].startswith("whsec_") and created["active"] is True
        listed = client.get(f"{API}/webhooks", headers=headers("admin")).json()
        assert [w["id"] for w in listed] == [created["id"]] and "secret" not in listed[0]
        sub = db.scalar(select(WebhookSubscription))
        assert created["secret"] not in sub.secret_sealed
        assert secretbox.open_secret(secretbox.box_key(TEST_SECRET), sub.id, sub.secret_sealed) == created["secret"]
        assert db.scalar(select(AuditEvent.action).where(AuditEvent.entity_id == created["id"])) == "webhook.create"

    def test_bad_addresses_are_refused_naming_the_field(self, client, db, world, headers):
        for url in ["ftp://p.example/hook", "https://user:pw@p.example/hook", "not a url", "https://p.example/h#x",
                    "https://p.example:0/hook", "https://[::1/hook"]:
            response = client.post(f"{API}/webhooks", headers=headers("admin"),
                                   json={"organisation_id": str(world.partner_org.id), "url": url})
            assert response.status_code == 422, url
            assert response.json()["detail"][0]["field"] == "url", response.text
        assert webhook_count(db) == 0

    def test_production_sends_over_https_only(self, client, db, world, headers, settings):
        settings.mode = "production"
        response = client.post(f"{API}/webhooks", headers=headers("admin"),
                               json={"organisation_id": str(world.partner_org.id), "url": "http://p.example/hook"})
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "url"
        assert webhook_count(db) == 0

    def test_an_unknown_organisation_is_refused(self, client, db, headers):
        response = client.post(f"{API}/webhooks", headers=headers("admin"),
                               json={"organisation_id": "00000000-0000-4000-8000-000000000000",
                                     "url": "https://p.example/hook"})
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "organisation_id"


class TestUpdateWebhook:
    def test_switch_off_and_rotate(self, client, world, headers):
        created = client.post(f"{API}/webhooks", headers=headers("admin"),
                              json={"organisation_id": str(world.partner_org.id), "url": "https://p.example/h"}).json()
        off = client.patch(f"{API}/webhooks/{created['id']}", headers=headers("admin"), json={"active": False})
        assert off.status_code == 200 and off.json()["active"] is False
        rotated = client.post(f"{API}/webhooks/{created['id']}/rotate-secret", headers=headers("admin"))
        assert rotated.status_code == 200
        assert rotated.json()["secret"].startswith("whsec_") and rotated.json()["secret"] != created["secret"]

    def test_an_unknown_webhook_is_not_found(self, client, headers):
        response = client.patch(f"{API}/webhooks/00000000-0000-4000-8000-000000000000", headers=headers("admin"),
                                json={"active": False})
        assert response.status_code == 404


class TestOutbox:
    def test_list_by_state_and_retry_a_dead_message(self, client, db, world, headers):
        dead = dead_message(db, world)
        listed = client.get(f"{API}/outbox", headers=headers("admin"), params={"state": "dead"}).json()
        assert [(m["id"], m["state"], m["last_error"]) for m in listed] == [(dead.id, "dead", "HTTP 500")]
        assert client.get(f"{API}/outbox", headers=headers("admin"), params={"state": "sent"}).json() == []
        response = client.post(f"{API}/outbox/{dead.id}/retry", headers=headers("admin"))
        assert response.status_code == 200
        assert (response.json()["state"], response.json()["attempts"]) == ("pending", 0)
        assert db.scalar(select(AuditEvent.action).where(AuditEvent.entity_id == str(dead.id))) == "outbox.retry"

    def test_only_a_dead_message_is_retried(self, client, db, world, headers):
        dead = dead_message(db, world)
        assert client.post(f"{API}/outbox/{dead.id}/retry", headers=headers("admin")).status_code == 200
        again = client.post(f"{API}/outbox/{dead.id}/retry", headers=headers("admin"))
        assert again.status_code == 422 and again.json()["detail"][0]["field"] == "outbox_id"
        assert client.post(f"{API}/outbox/2147483647/retry", headers=headers("admin")).status_code == 404

    def test_bad_state_is_refused_naming_the_parameter(self, client, headers):
        response = client.get(f"{API}/outbox", headers=headers("admin"), params={"state": "lost"})
        assert response.status_code == 422 and response.json()["detail"][0]["field"] == "state"
