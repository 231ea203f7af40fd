"""Queueing inside the caller's transaction: flushed with it, undone with it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from crossroads.db.base import utcnow
from crossroads.db.session import attempt
from crossroads.kit.errors import Invalid
from crossroads.notify import service as notify
from crossroads.notify.messages import UnsafeParams
from crossroads.notify.models import Channel, DeliveryAttempt, OutboxMessage, OutboxState

PARAMS = {"reference": "REF-2026-000001", "path": "/referrals/1"}


def queued(db) -> int:
    return db.scalar(select(func.count()).select_from(OutboxMessage))


class TestEnqueueEmail:
    def test_flushed_in_the_callers_transaction_and_due_now(self, db, world):
        row = notify.enqueue_email(db, recipient_user_id=world.users["partner"].id,
                                   message_code="referral.received", params=PARAMS)
        assert queued(db) == 1
        assert (row.channel, row.state, row.attempts, row.params) == (Channel.EMAIL, OutboxState.PENDING, 0, PARAMS)
        assert row.message_id.startswith("msg_")

    def test_a_refusal_after_it_takes_the_message_back(self, db, world):
        with attempt(db) as tried:
            notify.enqueue_email(db, address="desk@shelter.example", message_code="referral.received",
                                 params=PARAMS)
            raise Invalid("no consent covers this referral", field="consent")
        assert tried.refusal is not None
        assert queued(db) == 0

    @pytest.mark.parametrize("destination", [{}, {"address": "a@b.example", "recipient_user_id": "user"}])
    def test_exactly_one_destination(self, db, world, destination):
        if destination.get("recipient_user_id"):
            destination["recipient_user_id"] = world.users["partner"].id
        with pytest.raises(ValueError, match="either"):
            notify.enqueue_email(db, message_code="referral.received", params=PARAMS, **destination)

    def test_unknown_message_or_locale(self, db):
        with pytest.raises(UnsafeParams):
            notify.enqueue_email(db, address="a@b.example", message_code="person.registered", params=PARAMS)
        with pytest.raises(ValueError, match="locale"):
            notify.enqueue_email(db, address="a@b.example", message_code="referral.received", params=PARAMS,
                                 locale="xx")
        assert queued(db) == 0


class TestEnqueueWebhook:
    def test_unknown_event_or_a_name_for_a_reference(self, db, world):
        with pytest.raises(UnsafeParams):
            notify.enqueue_webhook(db, organisation_id=world.partner_org.id, event="person.updated",
                                   reference="REF-2026-000001")
        with pytest.raises(UnsafeParams):
            notify.enqueue_webhook(db, organisation_id=world.partner_org.id, event="referral.received",
                                   reference="AMINA-OSMANOVA")


class TestWake:
    def test_marks_the_session_for_the_worker_to_wake(self, db, world):
        assert not notify.woken(db)
        notify.enqueue_email(db, address="a@b.example", message_code="referral.received", params=PARAMS)
        assert notify.woken(db) and not notify.woken(db)


class TestPurgeSent:
    def test_only_messages_sent_before_the_date_go(self, db, world):
        rows = [notify.enqueue_email(db, address="a@b.example", message_code="referral.received", params=PARAMS)
                for _ in range(3)]
        old, recent, dead = rows
        now = utcnow()
        old.state, old.sent_at = OutboxState.SENT, now - timedelta(days=40)
        recent.state, recent.sent_at = OutboxState.SENT, now - timedelta(days=1)
        dead.state = OutboxState.DEAD
        db.add(DeliveryAttempt(outbox_id=old.id, number=1, started_at=old.sent_at, duration_ms=5, delivered=True))
        db.flush()
        assert notify.purge_sent(db, principal=None, before=now - timedelta(days=30)) == 1
        db.expire_all()
        assert sorted(db.scalars(select(OutboxMessage.id))) == sorted([recent.id, dead.id])
        assert db.scalar(select(func.count()).select_from(DeliveryAttempt)) == 0
