"""The outbox of notifications, their delivery attempts, and the organisations' webhook subscriptions."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from crossroads.db.base import Base, Timestamps, UUIDPrimaryKey, str_enum, utcnow


class Channel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class OutboxState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"


class WebhookSubscription(UUIDPrimaryKey, Timestamps, Base):
    """Where an organisation's system receives its events, and the secret they are signed with."""

    __tablename__ = "notify_webhooks"

    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    # Encrypted (notify/secretbox.py): the worker needs the secret itself to sign.
    secret_sealed: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)


class OutboxMessage(Base):
    """One notification to one destination, written in the transaction of the change it tells about.

    The worker only sees it once that transaction has committed. `next_attempt_at` is when it is next due;
    while a worker sends it, it is pushed past the worker's lease, so that a crashed worker's messages come
    due again and no other worker takes them meanwhile. `claim` names the worker run that holds it.
    """

    __tablename__ = "notify_outbox"
    __table_args__ = (
        Index("ix_notify_outbox_due", "state", "next_attempt_at"),
        CheckConstraint("(channel = 'email' AND (recipient_user_id IS NOT NULL OR address IS NOT NULL)) "
                        "OR (channel = 'webhook' AND subscription_id IS NOT NULL)", name="destination"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Sent as `webhook-id`: the same on every retry, so that a receiver can drop a duplicate.
    message_id: Mapped[str] = mapped_column(String(40), unique=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel))
    state: Mapped[OutboxState] = mapped_column(str_enum(OutboxState), default=OutboxState.PENDING)
    # The message (e-mail) or event (webhook), and its parameters: references, counts and paths only
    # (notify/messages.py).
    code: Mapped[str] = mapped_column(String(60))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    recipient_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    address: Mapped[str | None] = mapped_column(String(254))
    locale: Mapped[str | None] = mapped_column(String(10))
    subscription_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("notify_webhooks.id"), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claim: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    # Written by the worker from status codes and exception types, never from a server's reply text.
    last_error: Mapped[str | None] = mapped_column(String(200))


class DeliveryAttempt(Base):
    __tablename__ = "notify_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("notify_outbox.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    started_at: Mapped[datetime]
    duration_ms: Mapped[int]
    delivered: Mapped[bool]
    # The HTTP status or SMTP reply code, when the receiver answered.
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(String(200))
