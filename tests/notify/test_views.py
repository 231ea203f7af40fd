"""The administrators' outbox page: messages by state, and retrying dead ones."""

from __future__ import annotations

from crossroads.notify import service as notify
from crossroads.notify.models import OutboxMessage, OutboxState
from tests.helpers import csrf, login


def dead_message(db, world) -> OutboxMessage:
    row = notify.enqueue_email(db, recipient_user_id=world.users["partner"].id, message_code="referral.received",
                               params={"reference": "REF-2026-000042", "path": "/referrals/42"})
    row.state, row.attempts, row.last_error = OutboxState.DEAD, 8, "HTTP 500"
    db.flush()
    return row


class TestOutboxPage:
    def test_lists_dead_messages_with_their_error_and_retries_them(self, client, db, world):
        dead = dead_message(db, world)
        login(client, world.users["admin"].email)
        page = client.get("/admin/notifications?state=dead")
        assert page.status_code == 200
        assert "REF-2026-000042" in page.text and "HTTP 500" in page.text
        assert world.users["partner"].email in page.text
        assert f'action="/admin/notifications/{dead.id}/retry"' in page.text
        response = client.post(f"/admin/notifications/{dead.id}/retry", data={"csrf_token": csrf(page.text)},
                               follow_redirects=False)
        assert response.status_code == 303
        db.refresh(dead)
        assert (dead.state, dead.attempts) == (OutboxState.PENDING, 0)
        pending = client.get("/admin/notifications?state=pending")
        assert "REF-2026-000042" in pending.text and "/retry" not in pending.text

    def test_retrying_a_message_that_is_not_dead_says_why(self, client, db, world):
        row = notify.enqueue_email(db, address="desk@shelter.example", message_code="referral.received",
                                   params={"reference": "REF-2026-000043", "path": "/referrals/43"})
        login(client, world.users["admin"].email)
        page = client.get("/admin/notifications")
        response = client.post(f"/admin/notifications/{row.id}/retry", data={"csrf_token": csrf(page.text)})
        assert response.status_code == 422
        assert "only a dead message can be retried" in response.text

    def test_in_arabic(self, client, db, world):
        dead_message(db, world)
        login(client, world.users["admin"].email)
        page = client.get("/admin/notifications?state=dead&lang=ar")
        assert 'dir="rtl"' in page.text and "الإشعارات" in page.text and "إعادة المحاولة" in page.text

    def test_only_administrators(self, client, world):
        login(client, world.users["supervisor_a"].email)
        assert client.get("/admin/notifications").status_code == 403
        assert client.post("/admin/notifications/1/retry", data={}).status_code in (403, 422)

    def test_the_admin_page_links_to_it(self, client, world):
        login(client, world.users["admin"].email)
        assert 'href="/admin/notifications"' in client.get("/admin").text
