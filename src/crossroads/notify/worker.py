"""The worker: delivers due messages of the outbox, retries failures with backoff, gives up after a limit.

Claiming and sending are apart. A short transaction claims a batch of due messages: it takes them with
`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, so that several workers take different messages without
waiting on each other (SQLite lets one transaction write at a time, which serialises the claims the same
way), counts the attempt and pushes each message's due time past a lease. The sending happens outside any
transaction, so a slow receiver never holds a lock, let alone SQLite's one write lock; a second short
transaction records each outcome. A worker that dies mid-batch leaves its messages to come due again when the
lease ends: delivery is at least once, and the `webhook-id` and `Message-ID` stay the same on every attempt so
that a receiver can drop a duplicate. Only committed messages are visible to the claim, so nothing is sent for
a transaction that rolled back.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from crossroads.auth.models import User
from crossroads.config import Settings
from crossroads.db.base import utcnow
from crossroads.db.session import unit_of_work
from crossroads.notify import messages, secretbox, signing
from crossroads.notify.backoff import retry_delay
from crossroads.notify.models import Channel, DeliveryAttempt, OutboxMessage, OutboxState, WebhookSubscription
from crossroads.notify.service import QUEUED, recipient_locale, woken
from crossroads.notify.transports import Outcome, SmtpConfig, post_webhook, send_email
from crossroads.web.i18n import translations

log = logging.getLogger("crossroads.notify")

BATCH = 20


@dataclass(frozen=True)
class DeliveryConfig:
    smtp: SmtpConfig | None
    base_url: str
    default_locale: str
    # None without CROSSROADS_SECRET_KEY: webhook secrets cannot be opened, and webhooks fail.
    box_key: bytes | None
    webhook_timeout: float
    max_attempts: int
    backoff_base: float
    backoff_cap: float
    lease: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryConfig:
        smtp = SmtpConfig(host=settings.smtp_host, port=settings.smtp_port, user=settings.smtp_user,
                          password=settings.smtp_password, starttls=settings.smtp_starttls,
                          mail_from=settings.mail_from, timeout=settings.smtp_timeout_seconds) \
            if settings.email_enabled() else None
        # Long enough for a whole batch to time out message by message before another worker may take it.
        slowest = max(settings.smtp_timeout_seconds, settings.webhook_timeout_seconds)
        return cls(smtp=smtp, base_url=settings.base_url, default_locale=settings.default_locale,
                   box_key=secretbox.box_key(settings.secret_key) if settings.secret_key else None,
                   webhook_timeout=settings.webhook_timeout_seconds, max_attempts=settings.notify_max_attempts,
                   backoff_base=settings.notify_backoff_seconds, backoff_cap=settings.notify_backoff_max_seconds,
                   lease=timedelta(seconds=max(300.0, 2 * BATCH * slowest)))


@dataclass(frozen=True)
class Job:
    """A claimed message with what sending it needs, read in the claiming transaction."""

    id: int
    message_id: str
    channel: Channel
    code: str
    params: dict[str, Any]
    attempt: int
    created_at: datetime
    to: str | None = None
    locale: str = "en"
    url: str | None = None
    subscription_id: uuid.UUID | None = None
    secret_sealed: str | None = None
    # Known before sending: sending cannot succeed.
    problem: str | None = None


@dataclass
class Round:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    outcomes: list[Outcome] = field(default_factory=list)


def claim_due(engine: Engine, config: DeliveryConfig, *, now: datetime, limit: int = BATCH) -> tuple[str, list[Job]]:
    """Take up to `limit` due messages for this worker: the claim's token and the jobs."""
    token = secrets.token_hex(16)
    with unit_of_work(engine) as session:
        q = (select(OutboxMessage)
             .where(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.next_attempt_at <= now)
             .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit))
        if config.smtp is None:
            # Without an SMTP server e-mail waits in the outbox, where the administrators see it pending.
            q = q.where(OutboxMessage.channel == Channel.WEBHOOK)
        if session.get_bind().dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        rows = list(session.scalars(q))
        if not rows:
            return token, []
        for row in rows:
            row.claim, row.attempts, row.next_attempt_at = token, row.attempts + 1, now + config.lease
        jobs = _jobs(session, rows, config)
        session.flush()
    return token, jobs


def _jobs(session: Session, rows: list[OutboxMessage], config: DeliveryConfig) -> list[Job]:
    user_ids = {r.recipient_user_id for r in rows if r.recipient_user_id}
    sub_ids = {r.subscription_id for r in rows if r.subscription_id}
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(user_ids)))} if user_ids else {}
    subs = {s.id: s for s in session.scalars(select(WebhookSubscription).where(
        WebhookSubscription.id.in_(sub_ids)))} if sub_ids else {}
    jobs = []
    for row in rows:
        base = Job(id=row.id, message_id=row.message_id, channel=row.channel, code=row.code, params=row.params,
                   attempt=row.attempts, created_at=row.created_at)
        if row.channel == Channel.EMAIL:
            user = users.get(row.recipient_user_id) if row.recipient_user_id else None
            problem = "recipient account inactive" if row.recipient_user_id and (user is None or not user.active) \
                else None
            jobs.append(replace(base, to=user.email if user else row.address, problem=problem,
                                locale=recipient_locale(user, row.locale, config.default_locale)))
        else:
            sub = subs.get(row.subscription_id) if row.subscription_id else None
            jobs.append(replace(base, url=sub.url if sub else None, subscription_id=row.subscription_id,
                                secret_sealed=sub.secret_sealed if sub else None,
                                problem=None if sub is not None and sub.active else "webhook subscription inactive"))
    return jobs


def webhook_body(job: Job, base_url: str) -> bytes:
    occurred = job.created_at.isoformat().replace("+00:00", "Z")
    payload = messages.webhook_payload(job.code, job.params, occurred_at=occurred, base_url=base_url)
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def send(job: Job, config: DeliveryConfig) -> Outcome:
    """Send one claimed message; the outcome, never an exception, for anything the receiver or data caused."""
    if job.problem:
        return Outcome(False, error=job.problem, permanent=True)
    if job.channel == Channel.EMAIL:
        assert config.smtp is not None and job.to is not None  # e-mail is claimed only with SMTP configured
        trans = translations(job.locale)
        email = messages.render_email(job.code, job.params, gettext=trans.gettext, ngettext=trans.ngettext,
                                      base_url=config.base_url)
        return send_email(config.smtp, to=job.to, subject=email.subject, body=email.body,
                          message_id=job.message_id)
    assert job.url is not None and job.secret_sealed is not None and job.subscription_id is not None
    if config.box_key is None:
        return Outcome(False, error="CROSSROADS_SECRET_KEY is not set", permanent=True)
    try:
        secret = secretbox.open_secret(config.box_key, job.subscription_id, job.secret_sealed)
    except secretbox.SecretUnreadable:
        return Outcome(False, error="webhook secret unreadable; rotate it", permanent=True)
    body = webhook_body(job, config.base_url)
    headers = signing.signed_headers(secret, message_id=job.message_id, timestamp=int(time.time()), body=body)
    return post_webhook(job.url, body=body, headers=headers, timeout=config.webhook_timeout)


@dataclass(frozen=True)
class _Done:
    job: Job
    outcome: Outcome
    started_at: datetime
    duration_ms: int


def _record(engine: Engine, config: DeliveryConfig, token: str, done: list[_Done], result: Round) -> None:
    with unit_of_work(engine) as session:
        q = select(OutboxMessage).where(OutboxMessage.id.in_([d.job.id for d in done]))
        if session.get_bind().dialect.name == "postgresql":
            q = q.with_for_update()
        rows = {r.id: r for r in session.scalars(q)}
        for d in done:
            session.add(DeliveryAttempt(outbox_id=d.job.id, number=d.job.attempt, started_at=d.started_at,
                                        duration_ms=d.duration_ms, delivered=d.outcome.delivered,
                                        status_code=d.outcome.status_code, error=d.outcome.error))
            row = rows.get(d.job.id)
            if row is None or row.claim != token:
                # The lease ran out and another worker took the message over; its outcome is the one kept.
                continue
            row.claim = None
            now = utcnow()
            if d.outcome.delivered:
                row.state, row.sent_at, row.last_error = OutboxState.SENT, now, None
                result.sent += 1
                log.info("notification %s sent (%s %s)", row.message_id, row.channel.value, row.code)
            elif d.outcome.permanent or row.attempts >= config.max_attempts:
                row.state, row.last_error = OutboxState.DEAD, d.outcome.error
                result.dead += 1
                log.warning("notification %s dead after %d attempts: %s", row.message_id, row.attempts,
                            d.outcome.error)
            else:
                row.last_error = d.outcome.error
                row.next_attempt_at = now + retry_delay(row.attempts, base=config.backoff_base,
                                                        cap=config.backoff_cap)
                result.retried += 1
                log.info("notification %s failed (attempt %d): %s", row.message_id, row.attempts,
                         d.outcome.error)
        session.flush()


def deliver_due(engine: Engine, config: DeliveryConfig, *, limit: int = BATCH) -> Round:
    """Claim a batch of due messages, send them, record the outcomes."""
    result = Round()
    token, jobs = claim_due(engine, config, now=utcnow(), limit=limit)
    result.claimed = len(jobs)
    if not jobs:
        return result
    done = []
    for job in jobs:
        started, clock = utcnow(), time.monotonic()
        try:
            outcome = send(job, config)
        except Exception as exc:
            # A fault of ours (a message code no longer known, a template that fails): recorded like a failed
            # attempt, so one bad message does not stop the others.
            outcome = Outcome(False, error=f"internal: {type(exc).__name__}")
        done.append(_Done(job, outcome, started, int((time.monotonic() - clock) * 1000)))
        result.outcomes.append(outcome)
    _record(engine, config, token, done, result)
    return result


def drain(engine: Engine, config: DeliveryConfig) -> Round:
    """Deliver until no message is due (retries that come due later are left for later)."""
    total = Round()
    while True:
        one = deliver_due(engine, config)
        total.claimed += one.claimed
        total.sent += one.sent
        total.retried += one.retried
        total.dead += one.dead
        total.outcomes += one.outcomes
        if one.claimed == 0:
            return total


@dataclass
class Periodic:
    """A job of a domain above notify that the worker runs between deliveries, at most every `every` seconds
    (the overdue referrals sweep): it queues messages in its own transaction, which the next round delivers."""

    job: Callable[[Engine], object]
    every: float
    last: float | None = None

    def run_if_due(self, engine: Engine) -> None:
        clock = time.monotonic()
        if self.last is not None and clock - self.last < self.every:
            return
        self.last = clock
        try:
            self.job(engine)
        except Exception as exc:
            # Like a failed delivery round: logged by type, retried at the next period, never ending the worker.
            log.error("periodic job %s failed: %s", getattr(self.job, "__qualname__", "?"), type(exc).__name__)


class BackgroundWorker:
    """Delivers in a daemon thread beside the server: every `every` seconds, and at once after a commit that
    queued messages in this process; runs the periodic jobs before each round."""

    def __init__(self, engine: Engine, config: DeliveryConfig, *, every: float,
                 periodic: Sequence[Periodic] = ()) -> None:
        self._engine, self._config, self._every = engine, config, every
        self._periodic = list(periodic)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="notify-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        QUEUED.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            # Cleared before draining: a commit during the round wakes the next one at once.
            QUEUED.clear()
            for job in self._periodic:
                job.run_if_due(self._engine)
            try:
                drain(self._engine, self._config)
            except Exception as exc:
                # A database briefly away must not end the thread; the next round delivers what this one missed.
                log.error("notification delivery failed: %s", type(exc).__name__)
            QUEUED.wait(self._every)


@event.listens_for(Session, "after_commit")
def _wake(session: Session) -> None:
    # after_commit fires on a savepoint's release too; only the outermost commit makes messages visible.
    if not session.in_nested_transaction() and woken(session):
        QUEUED.set()
