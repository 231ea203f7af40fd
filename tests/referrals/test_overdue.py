"""The overdue notice: queued once per referral by the worker's sweep, to the referring caseworker, delivered
after commit over real SMTP, and never twice when two workers sweep at once."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import Engine, delete, func, select, update

from crossroads.audit.models import AuditEvent
from crossroads.db.base import utcnow
from crossroads.db.session import new_session, unit_of_work
from crossroads.notify import secretbox
from crossroads.notify import service as notify
from crossroads.notify.models import Channel, DeliveryAttempt, OutboxMessage
from crossroads.notify.schemas import WebhookCreate
from crossroads.notify.transports import SmtpConfig
from crossroads.notify.worker import BackgroundWorker, DeliveryConfig, Periodic, drain
from crossroads.referrals import overdue
from crossroads.referrals.models import Referral
from crossroads.referrals.overdue import sweep, sweep_overdue
from crossroads.referrals.service import respond
from tests.conftest import TEST_SECRET
from tests.factories import auth as af
from tests.factories import referrals as rf
from tests.helpers import run_cli
from tests.notify.conftest import mailbox  # noqa: F401  (the real SMTP server of the delivery tests)

PERSON = {"given_name": "Samira", "family_name": "Benali"}


def notices(db, referral: Referral) -> list[OutboxMessage]:
    return list(db.scalars(select(OutboxMessage).where(OutboxMessage.code == "referral.overdue",
                                                       OutboxMessage.params["reference"].as_string()
                                                       == referral.reference)))


def past_due(db, referral: Referral) -> None:
    referral.due_at = utcnow() - timedelta(minutes=5)
    db.flush()


@pytest.fixture
def scene(db, world):
    rf.link_directory(db, world)
    return rf.scene(db, world, **PERSON)


class TestSweepOverdue:
    def test_queues_one_notice_to_the_referring_caseworker(self, db, world, scene):
        referral = rf.referral(db, scene)
        past_due(db, referral)
        assert sweep_overdue(db) == 1
        [notice] = notices(db, referral)
        assert notice.recipient_user_id == world.users["caseworker_a"].id
        assert notice.params == {"reference": referral.reference, "path": f"/cases/{referral.case_id}"}
        db.refresh(referral)
        assert referral.overdue_notified_at is not None

    def test_a_second_sweep_queues_nothing(self, db, scene):
        referral = rf.referral(db, scene)
        past_due(db, referral)
        sweep_overdue(db)
        assert sweep_overdue(db) == 0
        assert len(notices(db, referral)) == 1

    def test_not_yet_due_and_acknowledged_referrals_are_left_alone(self, db, world, scene):
        waiting = rf.referral(db, scene)
        answered = rf.referral(db, scene)
        past_due(db, answered)
        respond(db, principal=world.principal(db, "partner"), referral_id=answered.id, step="accept")
        assert sweep_overdue(db) == 0
        assert notices(db, waiting) == [] and notices(db, answered) == []

    def test_drafts_have_no_time_limit_to_miss(self, db, scene):
        draft = rf.referral(db, scene, send=False)
        assert draft.due_at is None
        assert sweep_overdue(db) == 0

    def test_when_the_referrer_has_left_the_office_caseworkers_are_told(self, db, world, scene):
        referral = rf.referral(db, scene)
        past_due(db, referral)
        world.users["caseworker_a"].active = False
        db.flush()
        sweep_overdue(db)
        told = {n.recipient_user_id for n in notices(db, referral)}
        assert told and world.users["caseworker_a"].id not in told
        assert told <= {u.id for u in world.users.values() if u.active}

    def test_the_partners_system_hears_it_through_its_webhook(self, db, world, scene):
        subscription, _ = notify.create_webhook(db, principal=None, data=WebhookCreate(
            organisation_id=world.partner_org.id, url="https://partner.example/hooks"),
            key=secretbox.box_key(TEST_SECRET), allow_http=False)
        referral = rf.referral(db, scene)
        past_due(db, referral)
        sweep_overdue(db)
        [hook] = [n for n in notices(db, referral) if n.channel == Channel.WEBHOOK]
        assert hook.subscription_id == subscription.id
        assert hook.params == {"reference": referral.reference, "path": f"/referrals/{referral.id}"}
        [event] = db.scalars(select(AuditEvent).where(AuditEvent.action == "referral.overdue_notified",
                                                      AuditEvent.entity_id == str(referral.id)))
        assert event.details == {"recipients": 1, "webhooks": 1}
        sweep_overdue(db)
        assert len(notices(db, referral)) == 2

    def test_is_audited_without_the_persons_data(self, db, scene):
        referral = rf.referral(db, scene)
        past_due(db, referral)
        sweep_overdue(db)
        [event] = db.scalars(select(AuditEvent).where(AuditEvent.action == "referral.overdue_notified",
                                                      AuditEvent.entity_id == str(referral.id)))
        assert event.actor_role == "worker" and event.details == {"recipients": 1, "webhooks": 0}
        assert PERSON["family_name"] not in str(event.details)


# Below, committed data on the module's own database: the worker and a second sweeper see only what committed.

@pytest.fixture(scope="module")
def committed(scratch_engine: Engine):
    with unit_of_work(scratch_engine) as session:
        world = af.world(session)
        rf.link_directory(session, world)
        s = rf.scene(session, world, **PERSON)
    return world, s


@pytest.fixture
def due_referral(scratch_engine: Engine, committed) -> Referral:
    _, s = committed
    with unit_of_work(scratch_engine) as session:
        r = rf.referral(session, s)
        r.due_at = utcnow() - timedelta(minutes=5)
        session.flush()
        # The partner's "new referral" message is not what these tests watch for.
        session.execute(delete(DeliveryAttempt))
        session.execute(delete(OutboxMessage))
    return r


def count_notices(engine: Engine, referral: Referral) -> int:
    with unit_of_work(engine, read_only=True) as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.code == "referral.overdue",
            OutboxMessage.params["reference"].as_string() == referral.reference)) or 0


def delivery(port: int) -> DeliveryConfig:
    smtp = SmtpConfig(host="127.0.0.1", port=port, user="", password="", starttls=False,
                      mail_from="crossroads@agency.example", timeout=5)
    from crossroads.notify import secretbox

    return DeliveryConfig(smtp=smtp, base_url="https://crossroads.example", default_locale="en",
                          box_key=secretbox.box_key(TEST_SECRET), webhook_timeout=5, max_attempts=3,
                          backoff_base=30, backoff_cap=3600, lease=timedelta(minutes=5))


class TestConcurrentSweeps:
    def test_two_workers_sweeping_at_once_announce_a_referral_once(self, scratch_engine, due_referral):
        results: list[int] = []
        with new_session(scratch_engine) as first:
            # The first sweeper has claimed the referral but not committed when the second one starts.
            assert sweep_overdue(first) == 1
            second = threading.Thread(target=lambda: results.append(sweep(scratch_engine)))
            second.start()
            time.sleep(0.5)
            assert second.is_alive()  # waiting for the first one's lock, not announcing on its own
            first.commit()
        second.join(timeout=20)
        assert results == [0]
        assert count_notices(scratch_engine, due_referral) == 1


class TestDelivery:
    def test_the_worker_sweeps_and_delivers_over_smtp_without_personal_data(
            self, scratch_engine, committed, due_referral, mailbox):  # noqa: F811
        world, _ = committed
        worker = BackgroundWorker(scratch_engine, delivery(mailbox.port), every=0.2,
                                  periodic=[Periodic(sweep, every=overdue.SWEEP_SECONDS)])
        worker.start()
        try:
            deadline = time.monotonic() + 20
            while not mailbox.messages and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.5)  # more rounds: none may send it again
        finally:
            worker.stop()
        assert mailbox.recipients == [[world.users["caseworker_a"].email]]
        mail = mailbox.messages[0]
        assert mail["Subject"] == f"Referral {due_referral.reference} is overdue"
        body = mail.get_content()
        assert f"https://crossroads.example/cases/{due_referral.case_id}" in body
        assert PERSON["given_name"] not in body and PERSON["family_name"] not in body
        assert drain(scratch_engine, delivery(mailbox.port)).claimed == 0

    def test_the_command_sweeps_once(self, scratch_engine, due_referral):
        env = {"CROSSROADS_DATABASE_URL": scratch_engine.url.render_as_string(hide_password=False)}
        first = run_cli(["referrals", "sweep-overdue"], env)
        assert first.returncode == 0, first.stderr
        assert "1 overdue referrals announced" in first.stderr
        again = run_cli(["referrals", "sweep-overdue"], env)
        assert again.returncode == 0 and "0 overdue referrals announced" in again.stderr
        assert count_notices(scratch_engine, due_referral) == 1

    def test_a_referral_accepted_before_the_sweep_is_not_announced(self, scratch_engine, committed, due_referral):
        with unit_of_work(scratch_engine) as session:
            session.execute(update(Referral).where(Referral.id == due_referral.id).values(state="accepted"))
        assert sweep(scratch_engine) == 0
