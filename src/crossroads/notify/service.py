"""Queue notifications in the caller's transaction; manage webhook subscriptions and the outbox.

`enqueue_email` and `enqueue_webhook` only add rows and flush: the caller's transaction commits them with the
change they tell about, or rolls them back with it, and the worker (notify/worker.py) sees them only once
committed. Nothing leaves the process here.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.orm import Session

from crossroads.audit.service import record_event
from crossroads.auth.models import Organisation, User
from crossroads.auth.policy import Principal, require
from crossroads.auth.roles import Action
from crossroads.db.base import utcnow
from crossroads.kit.errors import Invalid, NotFound
from crossroads.notify import messages, secretbox, signing
from crossroads.notify.models import Channel, DeliveryAttempt, OutboxMessage, OutboxState, WebhookSubscription
from crossroads.notify.schemas import WebhookCreate, WebhookUpdate
from crossroads.web.i18n import SUPPORTED

# Set after a commit that queued messages, so that an in-process worker delivers them at once instead of at
# its next round.
QUEUED = threading.Event()
_ENQUEUED = "crossroads.notify.enqueued"


def _message_id() -> str:
    return "msg_" + secrets.token_hex(16)


def _queued(session: Session) -> None:
    session.info[_ENQUEUED] = True


def enqueue_email(session: Session, *, message_code: str, params: Mapping[str, Any],
                  recipient_user_id: uuid.UUID | None = None, address: str | None = None,
                  locale: str | None = None) -> OutboxMessage:
    """Queue an e-mail to a user (in their language, to their address when sent) or to an address.

    `params` are those the message takes (notify/messages.py): references, counts and paths, never a person's
    data; anything else raises UnsafeParams, a mistake of the calling code.
    """
    if (recipient_user_id is None) == (address is None):
        raise ValueError("give either recipient_user_id or address")
    checked = messages.check_params(messages.message(message_code).params, params)
    if locale is not None and locale not in SUPPORTED:
        raise ValueError(f"no locale {locale!r}")
    row = OutboxMessage(message_id=_message_id(), channel=Channel.EMAIL, code=message_code, params=checked,
                        recipient_user_id=recipient_user_id, address=address, locale=locale)
    session.add(row)
    session.flush()
    _queued(session)
    return row


def enqueue_webhook(session: Session, *, organisation_id: uuid.UUID, event: str, reference: str,
                    path: str = "/") -> list[OutboxMessage]:
    """Queue the event for each active webhook of the organisation (none: nothing is queued)."""
    messages.check_event(event)
    checked = messages.check_params(frozenset({messages.Param.REFERENCE, messages.Param.PATH}),
                                    {"reference": reference, "path": path})
    subscriptions = session.scalars(select(WebhookSubscription.id).where(
        WebhookSubscription.organisation_id == organisation_id, WebhookSubscription.active.is_(True))).all()
    rows = [OutboxMessage(message_id=_message_id(), channel=Channel.WEBHOOK, code=event, params=checked,
                          subscription_id=sub_id) for sub_id in subscriptions]
    session.add_all(rows)
    session.flush()
    if rows:
        _queued(session)
    return rows


def woken(session: Session) -> bool:
    """Whether this session's transaction, now committed, queued messages (and forget that it did)."""
    return bool(session.info.pop(_ENQUEUED, False))


# Webhook subscriptions


def _require(principal: Principal | None) -> None:
    if principal is not None:
        require(principal, Action.NOTIFY_MANAGE)


def _check_scheme(url: str, allow_http: bool) -> None:
    if url.startswith("http://") and not allow_http:
        raise Invalid("webhooks are sent over HTTPS only", field="url")


def list_webhooks(session: Session, *, principal: Principal | None) -> list[WebhookSubscription]:
    _require(principal)
    return list(session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.created_at,
                                                                      WebhookSubscription.id)))


def get_webhook(session: Session, *, principal: Principal | None, subscription_id: uuid.UUID) -> WebhookSubscription:
    _require(principal)
    sub = session.get(WebhookSubscription, subscription_id)
    if sub is None:
        raise NotFound("no such webhook", field="subscription_id")
    return sub


def create_webhook(session: Session, *, principal: Principal | None, data: WebhookCreate, key: bytes,
                   allow_http: bool) -> tuple[WebhookSubscription, str]:
    """A new subscription and its secret, which is returned this once and stored only encrypted."""
    _require(principal)
    if session.get(Organisation, data.organisation_id) is None:
        raise Invalid("no such organisation", field="organisation_id")
    _check_scheme(data.url, allow_http)
    secret = signing.new_secret()
    sub = WebhookSubscription(id=uuid.uuid4(), organisation_id=data.organisation_id, url=data.url, active=True)
    sub.secret_sealed = secretbox.seal_secret(key, sub.id, secret)
    session.add(sub)
    session.flush()
    record_event(session, actor=principal, action="webhook.create", entity_type="webhook", entity_id=sub.id,
                 details={"organisation_id": str(sub.organisation_id)}, system_actor="cli")
    return sub, secret


def update_webhook(session: Session, *, principal: Principal | None, subscription_id: uuid.UUID,
                   data: WebhookUpdate, allow_http: bool) -> WebhookSubscription:
    sub = get_webhook(session, principal=principal, subscription_id=subscription_id)
    if data.url is not None:
        _check_scheme(data.url, allow_http)
        sub.url = data.url
    if data.active is not None:
        sub.active = data.active
    session.flush()
    changes = data.model_dump(exclude_unset=True)
    details: dict[str, Any] = {"fields": sorted(changes)}
    if "active" in changes:
        details["active"] = sub.active
    record_event(session, actor=principal, action="webhook.update", entity_type="webhook", entity_id=sub.id,
                 details=details, system_actor="cli")
    return sub


def rotate_webhook_secret(session: Session, *, principal: Principal | None, subscription_id: uuid.UUID,
                          key: bytes) -> tuple[WebhookSubscription, str]:
    """A new secret for the subscription; messages not yet sent are signed with it."""
    sub = get_webhook(session, principal=principal, subscription_id=subscription_id)
    secret = signing.new_secret()
    sub.secret_sealed = secretbox.seal_secret(key, sub.id, secret)
    session.flush()
    record_event(session, actor=principal, action="webhook.rotate_secret", entity_type="webhook",
                 entity_id=sub.id, system_actor="cli")
    return sub, secret


# The outbox


def list_outbox(session: Session, *, principal: Principal | None, state: OutboxState | None = None,
                limit: int = 100, before: int | None = None) -> list[OutboxMessage]:
    """Messages newest first, of one state or all; `before` pages on from a message id."""
    _require(principal)
    q = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if state is not None:
        q = q.where(OutboxMessage.state == state)
    if before is not None:
        q = q.where(OutboxMessage.id < before)
    return list(session.scalars(q))


def count_outbox(session: Session, *, principal: Principal | None) -> dict[OutboxState, int]:
    _require(principal)
    counts = {state: n for state, n in session.execute(select(OutboxMessage.state, func.count())
                                                        .group_by(OutboxMessage.state))}
    return {state: counts.get(state, 0) for state in OutboxState}


def retry_message(session: Session, *, principal: Principal | None, outbox_id: int) -> OutboxMessage:
    """Send a dead message again, with a fresh allowance of attempts; its earlier attempts stay on record."""
    _require(principal)
    row = session.get(OutboxMessage, outbox_id)
    if row is None:
        raise NotFound("no such message", field="outbox_id")
    if row.state != OutboxState.DEAD:
        raise Invalid("only a dead message can be retried", field="outbox_id")
    row.state, row.attempts, row.next_attempt_at, row.claim = OutboxState.PENDING, 0, utcnow(), None
    session.flush()
    _queued(session)
    record_event(session, actor=principal, action="outbox.retry", entity_type="outbox_message", entity_id=row.id,
                 details={"channel": row.channel.value, "code": row.code}, system_actor="cli")
    return row


def purge_sent(session: Session, *, principal: Principal | None, before: datetime) -> int:
    """Delete messages sent before `before`, with their attempts; pending and dead messages stay."""
    _require(principal)
    sent_before = (OutboxMessage.state == OutboxState.SENT, OutboxMessage.sent_at < before)
    session.execute(delete(DeliveryAttempt).where(DeliveryAttempt.outbox_id.in_(
        select(OutboxMessage.id).where(*sent_before))))
    result = cast(CursorResult[Any], session.execute(delete(OutboxMessage).where(*sent_before)))
    purged = result.rowcount
    record_event(session, actor=principal, action="outbox.purge", entity_type="outbox_message",
                 details={"count": purged}, system_actor="cli")
    return purged


def recipient_locale(user: User | None, row_locale: str | None, default: str) -> str:
    for candidate in (user.locale if user else None, row_locale):
        if candidate in SUPPORTED:
            return candidate
    return default


def destinations(session: Session, rows: list[OutboxMessage]) -> dict[int, str]:
    """Where each message goes, as an administrator reads it: a staff e-mail, an address or a webhook's URL."""
    user_ids = {r.recipient_user_id for r in rows if r.recipient_user_id}
    sub_ids = {r.subscription_id for r in rows if r.subscription_id}
    emails = {i: e for i, e in session.execute(select(User.id, User.email).where(User.id.in_(user_ids)))}
    urls = {i: u for i, u in session.execute(select(WebhookSubscription.id, WebhookSubscription.url)
                                             .where(WebhookSubscription.id.in_(sub_ids)))}
    return {r.id: (emails.get(r.recipient_user_id) if r.recipient_user_id else None)
            or (urls.get(r.subscription_id) if r.subscription_id else None) or r.address or "" for r in rows}
