"""Delivery after commit, through a real SMTP server and a real webhook receiver, on committed data.

These tests commit for real (`scratch_engine`, the module's own database): the worker sees only committed
messages, as it does beside a server.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import Engine, delete, func, select, update

from crossroads.auth.roles import OrganisationKind, Role
from crossroads.db.base import utcnow
from crossroads.db.session import unit_of_work
from crossroads.notify import secretbox, service
from crossroads.notify.messages import UnsafeParams
from crossroads.notify.models import DeliveryAttempt, OutboxMessage, OutboxState, WebhookSubscription
from crossroads.notify.schemas import WebhookCreate, WebhookUpdate
from crossroads.notify.transports import SmtpConfig
from crossroads.notify.worker import BackgroundWorker, DeliveryConfig, claim_due, deliver_due, drain
from tests.conftest import TEST_SECRET
from tests.factories import auth as af
from tests.factories import people as pf

KEY = secretbox.box_key(TEST_SECRET)
BASE = "https://crossroads.example"
REF = "REF-2026-000123"
# Data of a registered person, which must never leave in a notification, its error or its log.
PERSON = {"given_name": "Amina", "family_name": "Osmanova", "date_of_birth": "1991-03-07", "nationality": "SOM"}


def config(mailbox=None, **overrides) -> DeliveryConfig:
    smtp = SmtpConfig(host="127.0.0.1", port=mailbox.port, user="", password="", starttls=False,
                      mail_from="crossroads@agency.example", timeout=5) if mailbox else None
    values = {"smtp": smtp, "base_url": BASE, "default_locale": "en", "box_key": KEY, "webhook_timeout": 5,
              "max_attempts": 3, "backoff_base": 30, "backoff_cap": 3600, "lease": timedelta(minutes=5)}
    return DeliveryConfig(**{**values, **overrides})


@pytest.fixture(scope="module")
def world(scratch_engine: Engine) -> af.World:
    with unit_of_work(scratch_engine) as session:
        w = af.world(session)
        w.users["partner"].locale = "fr"
        pf.person(session, w.principal(session, "caseworker_a"), **PERSON)
    return w


@pytest.fixture(autouse=True)
def empty_outbox(scratch_engine: Engine) -> None:
    with unit_of_work(scratch_engine) as session:
        for model in (DeliveryAttempt, OutboxMessage, WebhookSubscription):
            session.execute(delete(model))


def subscribe(engine: Engine, world: af.World, receiver) -> WebhookSubscription:
    with unit_of_work(engine) as session:
        sub, secret = service.create_webhook(session, principal=None, key=KEY, allow_http=True,
                                             data=WebhookCreate(organisation_id=world.partner_org.id, url=receiver.url))
    receiver.secret = secret
    return sub


def queue_webhooks(engine: Engine, world: af.World, n: int = 1) -> list[int]:
    with unit_of_work(engine) as session:
        rows = [r for i in range(n) for r in service.enqueue_webhook(
            session, organisation_id=world.partner_org.id, event="referral.received", reference=f"REF-2026-{i:06d}",
            path=f"/referrals/{i}")]
    return [r.id for r in rows]


def outbox(engine: Engine, outbox_id: int) -> OutboxMessage:
    with unit_of_work(engine, read_only=True) as session:
        row = session.get(OutboxMessage, outbox_id)
        assert row is not None
        return row


def attempts(engine: Engine, outbox_id: int) -> list[DeliveryAttempt]:
    with unit_of_work(engine, read_only=True) as session:
        return list(session.scalars(select(DeliveryAttempt).where(DeliveryAttempt.outbox_id == outbox_id)
                                    .order_by(DeliveryAttempt.number)))


def come_due(engine: Engine) -> None:
    """Time passes: every pending message is due now."""
    with unit_of_work(engine) as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.state == OutboxState.PENDING)
                        .values(next_attempt_at=utcnow() - timedelta(seconds=1)))


class TestEmail:
    def test_sent_over_smtp_in_the_recipients_language(self, scratch_engine, world, mailbox):
        partner = world.users["partner"]
        with unit_of_work(scratch_engine) as session:
            row = service.enqueue_email(session, recipient_user_id=partner.id, message_code="referral.received",
                                        params={"reference": REF, "path": "/referrals/7"})
        done = drain(scratch_engine, config(mailbox))
        assert (done.sent, done.retried, done.dead) == (1, 0, 0)
        assert mailbox.recipients == [[partner.email]]
        mail = mailbox.messages[0]
        assert mail["Subject"] == f"Nouvelle orientation {REF}"
        assert mail["From"] == "crossroads@agency.example"
        assert f"Une orientation {REF} vous attend : {BASE}/referrals/7" in mail.get_content()
        sent = outbox(scratch_engine, row.id)
        assert (sent.state, sent.attempts, sent.last_error) == (OutboxState.SENT, 1, None)
        assert [(a.number, a.delivered, a.status_code) for a in attempts(scratch_engine, row.id)] == [(1, True, 250)]

    def test_to_an_address_in_the_default_language(self, scratch_engine, world, mailbox):
        with unit_of_work(scratch_engine) as session:
            service.enqueue_email(session, address="desk@shelter.example", message_code="referrals.waiting",
                                  params={"count": 3, "path": "/referrals"})
        drain(scratch_engine, config(mailbox))
        assert mailbox.recipients == [["desk@shelter.example"]]
        assert f"3 referrals are waiting for you: {BASE}/referrals" in mailbox.messages[0].get_content()

    def test_without_an_smtp_server_email_waits_and_webhooks_go(self, scratch_engine, world, receiver):
        subscribe(scratch_engine, world, receiver)
        with unit_of_work(scratch_engine) as session:
            mail = service.enqueue_email(session, recipient_user_id=world.users["caseworker_a"].id,
                                         message_code="referral.accepted", params={"reference": REF, "path": "/"})
        [hook] = queue_webhooks(scratch_engine, world)
        drain(scratch_engine, config(None))
        assert outbox(scratch_engine, mail.id).state == OutboxState.PENDING
        assert outbox(scratch_engine, hook).state == OutboxState.SENT

    def test_a_deactivated_recipient_is_not_written_to(self, scratch_engine, world, mailbox):
        with unit_of_work(scratch_engine) as session:
            gone = af.user(session, world.agency, Role.CASEWORKER)
            gone.active = False
            row = service.enqueue_email(session, recipient_user_id=gone.id, message_code="referral.accepted",
                                        params={"reference": REF, "path": "/"})
        drain(scratch_engine, config(mailbox))
        assert mailbox.messages == []
        dead = outbox(scratch_engine, row.id)
        assert (dead.state, dead.attempts, dead.last_error) == (OutboxState.DEAD, 1, "recipient account inactive")


class TestWebhook:
    def test_signed_delivery_verified_by_the_receiver(self, scratch_engine, world, receiver):
        subscribe(scratch_engine, world, receiver)
        [row_id] = queue_webhooks(scratch_engine, world)
        assert drain(scratch_engine, config()).sent == 1
        [delivery] = receiver.deliveries
        assert delivery.verified
        row = outbox(scratch_engine, row_id)
        assert delivery.headers["webhook-id"] == row.message_id
        assert delivery.payload == {"type": "referral.received",
                                    "timestamp": row.created_at.isoformat().replace("+00:00", "Z"),
                                    "data": {"reference": "REF-2026-000000", "url": f"{BASE}/referrals/0"}}

    def test_every_active_subscription_of_the_organisation_gets_its_own(self, scratch_engine, world, receiver):
        subscribe(scratch_engine, world, receiver)
        other = subscribe(scratch_engine, world, receiver)
        with unit_of_work(scratch_engine) as session:
            service.update_webhook(session, principal=None, subscription_id=other.id,
                                   data=WebhookUpdate(active=False), allow_http=True)
            other_org = af.organisation(session, kind=OrganisationKind.PARTNER)
            assert service.enqueue_webhook(session, organisation_id=other_org.id, event="referral.received",
                                           reference=REF) == []
        assert len(queue_webhooks(scratch_engine, world)) == 1

    def test_a_subscription_switched_off_after_queueing_gets_nothing(self, scratch_engine, world, receiver):
        sub = subscribe(scratch_engine, world, receiver)
        [row_id] = queue_webhooks(scratch_engine, world)
        with unit_of_work(scratch_engine) as session:
            service.update_webhook(session, principal=None, subscription_id=sub.id,
                                   data=WebhookUpdate(active=False), allow_http=True)
        drain(scratch_engine, config())
        assert receiver.deliveries == []
        assert outbox(scratch_engine, row_id).last_error == "webhook subscription inactive"

    def test_a_rotated_secret_signs_what_is_still_queued(self, scratch_engine, world, receiver):
        sub = subscribe(scratch_engine, world, receiver)
        queue_webhooks(scratch_engine, world)
        with unit_of_work(scratch_engine) as session:
            _, receiver.secret = service.rotate_webhook_secret(session, principal=None, subscription_id=sub.id, key=KEY)
        drain(scratch_engine, config())
        assert [d.verified for d in receiver.deliveries] == [True]

    def test_the_secret_is_stored_encrypted(self, scratch_engine, world, receiver):
        sub = subscribe(scratch_engine, world, receiver)
        with unit_of_work(scratch_engine, read_only=True) as session:
            stored = session.scalar(select(WebhookSubscription.secret_sealed).where(WebhookSubscription.id == sub.id))
        assert receiver.secret.removeprefix("whsec_") not in stored
        assert secretbox.open_secret(KEY, sub.id, stored) == receiver.secret

    def test_another_secret_key_cannot_sign(self, scratch_engine, world, receiver):
        subscribe(scratch_engine, world, receiver)
        [row_id] = queue_webhooks(scratch_engine, world)
        drain(scratch_engine, config(box_key=secretbox.box_key("another-secret-key-" + "z" * 40)))
        assert receiver.deliveries == []
        row = outbox(scratch_engine, row_id)
        assert (row.state, row.last_error) == (OutboxState.DEAD, "webhook secret unreadable; rotate it")


class TestAfterCommit:
    def test_a_rolled_back_transaction_sends_nothing(self, scratch_engine, world, receiver, mailbox):
        subscribe(scratch_engine, world, receiver)
        with pytest.raises(RuntimeError), unit_of_work(scratch_engine) as session:
            service.enqueue_webhook(session, organisation_id=world.partner_org.id, event="referral.received",
                                    reference=REF)
            service.enqueue_email(session, address="desk@shelter.example", message_code="referral.received",
                                  params={"reference": REF, "path": "/"})
            raise RuntimeError("the referral was refused")
        assert drain(scratch_engine, config(mailbox)).claimed == 0
        assert receiver.deliveries == [] and mailbox.messages == []
        with unit_of_work(scratch_engine, read_only=True) as session:
            assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0

    def test_a_background_worker_delivers_right_after_the_commit(self, scratch_engine, world, receiver):
        subscribe(scratch_engine, world, receiver)
        worker = BackgroundWorker(scratch_engine, config(), every=300)
        worker.start()
        try:
            time.sleep(0.2)  # its first round, over an empty outbox
            queue_webhooks(scratch_engine, world)
            deadline = time.monotonic() + 20
            while not receiver.deliveries and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            worker.stop()
        assert [d.verified for d in receiver.deliveries] == [True]


class TestRetries:
    def test_a_failing_receiver_is_retried_with_backoff(self, scratch_engine, world, receiver):
        receiver.statuses = [500, 503, 200]
        subscribe(scratch_engine, world, receiver)
        [row_id] = queue_webhooks(scratch_engine, world)
        waits = []
        for _ in range(2):
            before = utcnow()
            assert deliver_due(scratch_engine, config()).retried == 1
            row = outbox(scratch_engine, row_id)
            assert row.state == OutboxState.PENDING
            waits.append((row.next_attempt_at - before).total_seconds())
            # Not due again before its time.
            assert deliver_due(scratch_engine, config()).claimed == 0
            come_due(scratch_engine)
        assert 15 <= waits[0] <= 31 and 30 <= waits[1] <= 61
        assert deliver_due(scratch_engine, config()).sent == 1
        assert [(a.number, a.delivered, a.status_code, a.error) for a in attempts(scratch_engine, row_id)] == [
            (1, False, 500, "HTTP 500"), (2, False, 503, "HTTP 503"), (3, True, 200, None)]
        assert len({d.headers["webhook-id"] for d in receiver.deliveries}) == 1
        assert all(d.verified for d in receiver.deliveries)

    def test_dead_after_the_limit_and_retried_by_hand(self, scratch_engine, world, receiver):
        receiver.statuses = [500]
        subscribe(scratch_engine, world, receiver)
        [row_id] = queue_webhooks(scratch_engine, world)
        for _ in range(3):
            deliver_due(scratch_engine, config(max_attempts=3))
            come_due(scratch_engine)
        row = outbox(scratch_engine, row_id)
        assert (row.state, row.attempts, row.last_error) == (OutboxState.DEAD, 3, "HTTP 500")
        assert deliver_due(scratch_engine, config()).claimed == 0
        receiver.statuses = [500, 500, 500, 200]
        with unit_of_work(scratch_engine) as session:
            service.retry_message(session, principal=None, outbox_id=row_id)
        assert drain(scratch_engine, config()).sent == 1
        assert len(attempts(scratch_engine, row_id)) == 4

    def test_an_unreachable_receiver_is_an_error_type(self, scratch_engine, world, receiver):
        sub = subscribe(scratch_engine, world, receiver)
        with unit_of_work(scratch_engine) as session:
            service.update_webhook(session, principal=None, subscription_id=sub.id, allow_http=True,
                                   data=WebhookUpdate(url="http://127.0.0.1:9/closed"))
        [row_id] = queue_webhooks(scratch_engine, world)
        drain(scratch_engine, config())
        assert outbox(scratch_engine, row_id).last_error == "HTTP: ConnectionRefusedError"


class TestClaims:
    def test_concurrent_workers_send_each_message_once(self, scratch_engine, world, receiver):
        subscribe(scratch_engine, world, receiver)
        queued = queue_webhooks(scratch_engine, world, 30)
        errors = []

        def work():
            try:
                while deliver_due(scratch_engine, config(), limit=4).claimed:
                    pass
            except Exception as exc:  # reported below: an exception in a thread would go unseen
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert errors == []
        ids = [d.headers["webhook-id"] for d in receiver.deliveries]
        assert len(ids) == len(set(ids)) == 30
        with unit_of_work(scratch_engine, read_only=True) as session:
            states = session.scalars(select(OutboxMessage.state).where(OutboxMessage.id.in_(queued))).all()
        assert set(states) == {OutboxState.SENT}

    def test_a_lapsed_claim_is_taken_over_and_the_first_outcome_ignored(self, scratch_engine, world, receiver):
        subscribe(scratch_engine, world, receiver)
        [row_id] = queue_webhooks(scratch_engine, world)
        first, [job] = claim_due(scratch_engine, config(), now=utcnow())
        assert claim_due(scratch_engine, config(), now=utcnow())[1] == []
        second, [again] = claim_due(scratch_engine, config(), now=utcnow() + timedelta(minutes=6))
        assert (again.id, again.attempt, again.message_id) == (job.id, 2, job.message_id)
        assert first != second
        with unit_of_work(scratch_engine, read_only=True) as session:
            assert session.get(OutboxMessage, row_id).claim == second


class TestNoPersonData:
    def test_bodies_errors_and_logs_carry_references_only(self, scratch_engine, world, receiver, mailbox, caplog):
        receiver.statuses = [500, 204]
        receiver.error_body = f"{PERSON['given_name']} {PERSON['family_name']} not known here".encode()
        subscribe(scratch_engine, world, receiver)
        with unit_of_work(scratch_engine) as session:
            service.enqueue_email(session, recipient_user_id=world.users["caseworker_a"].id,
                                  message_code="referral.accepted", params={"reference": REF, "path": "/cases"})
        queue_webhooks(scratch_engine, world)
        with caplog.at_level(logging.DEBUG, logger="crossroads"):
            drain(scratch_engine, config(mailbox))
            come_due(scratch_engine)
            drain(scratch_engine, config(mailbox))
        assert len(mailbox.messages) == 1 and len(receiver.deliveries) == 2
        with unit_of_work(scratch_engine, read_only=True) as session:
            stored = [str(v) for row in session.execute(select(OutboxMessage.params, OutboxMessage.last_error))
                      for v in row] + [str(e) for e in session.scalars(select(DeliveryAttempt.error))]
        texts = [mailbox.messages[0].as_string(), *(d.body.decode() for d in receiver.deliveries), caplog.text,
                 *stored]
        forbidden = [*PERSON.values(), world.users["caseworker_a"].full_name]
        assert [(value, text) for text in texts for value in forbidden if value in text] == []

    @pytest.mark.parametrize("params", [
        {"reference": REF, "path": "/referrals/1", "name": "Amina Osmanova"},
        {"reference": "Amina Osmanova", "path": "/referrals/1"},
        {"reference": REF, "path": "/people?q=Amina"},
    ])
    def test_person_data_cannot_be_queued(self, scratch_engine, world, params):
        with pytest.raises(UnsafeParams), unit_of_work(scratch_engine) as session:
            service.enqueue_email(session, address="desk@shelter.example", message_code="referral.received",
                                  params=params)
