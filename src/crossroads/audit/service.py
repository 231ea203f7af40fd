"""Record audit events inside the caller's transaction and verify the chain."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session, SessionTransaction

from crossroads.audit.chain import GENESIS, Break, ChainRecord, compute_hash, find_break
from crossroads.audit.models import AuditEvent
from crossroads.db.base import utcnow

_PENDING = "crossroads.audit.pending"
# Any constant works; it only has to be the same for every process writing the trail.
_PG_LOCK_KEY = 7_446_511_301


class Actor(Protocol):
    # Read-only, so frozen dataclasses such as the policy's Principal qualify; a Role is a str.
    @property
    def user_id(self) -> uuid.UUID | None: ...
    @property
    def role(self) -> str: ...


def record_event(
    session: Session,
    *,
    actor: Actor | None,
    action: str,
    entity_type: str,
    entity_id: object | None = None,
    office_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
    system_actor: str = "system",
) -> None:
    """Queue an audit event; it is chained and written when this transaction commits."""
    pending: list[AuditEvent] = session.info.setdefault(_PENDING, [])
    pending.append(
        AuditEvent(
            occurred_at=utcnow(),
            actor_id=actor.user_id if actor else None,
            actor_role=str(actor.role) if actor else system_actor,
            action=action,
            entity_type=entity_type,
            entity_id=str(entity_id) if entity_id is not None else None,
            office_id=office_id,
            details=details or {},
        )
    )


def _to_record(e: AuditEvent) -> ChainRecord:
    return ChainRecord(
        seq=e.seq,
        occurred_at=e.occurred_at,
        actor_id=str(e.actor_id) if e.actor_id else None,
        actor_role=e.actor_role,
        action=e.action,
        entity_type=e.entity_type,
        entity_id=e.entity_id,
        office_id=str(e.office_id) if e.office_id else None,
        details=e.details,
        prev_hash=e.prev_hash,
        hash=e.hash,
    )


def _chain_pending(session: Session) -> None:
    pending: list[AuditEvent] = session.info.pop(_PENDING, [])
    if not pending:
        return
    # Two transactions must never link to the same head. PostgreSQL serialises on an advisory lock
    # held to commit; SQLite transactions already hold the database write lock (BEGIN IMMEDIATE).
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    head = session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    seq, prev = (head.seq, head.hash) if head else (0, GENESIS)
    for ev in pending:
        seq += 1
        ev.seq = seq
        ev.prev_hash = prev
        ev.hash = prev = compute_hash(_to_record(ev))
    session.add_all(pending)
    session.flush()


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    _chain_pending(session)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous: SessionTransaction) -> None:
    session.info.pop(_PENDING, None)


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    head_seq: int
    head_hash: str
    broken: Break | None


def verify_chain(session: Session, *, anchor: tuple[int, str] | None = None) -> VerifyResult:
    """Recompute every link of the trail and report the first break."""
    # Streamed in batches: the trail grows without bound and must not be loaded whole.
    result = session.scalars(select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=2000))
    last: list[ChainRecord] = []

    def records() -> Iterator[ChainRecord]:
        for row in result:
            last[:] = [_to_record(row)]
            yield last[0]

    try:
        checked, broken = find_break(records(), anchor)
    finally:
        # The walk stops at the first break; the server-side cursor must be closed all the same.
        result.close()
    head = last[0] if last and broken is None else None
    return VerifyResult(
        checked=checked,
        head_seq=head.seq if head else 0,
        head_hash=head.hash if head else GENESIS,
        broken=broken,
    )


def count_events(session: Session, *, action: str | None = None) -> int:
    q = select(func.count()).select_from(AuditEvent)
    if action:
        q = q.where(AuditEvent.action == action)
    return session.scalar(q) or 0
