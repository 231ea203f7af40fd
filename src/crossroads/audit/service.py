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
_CHAINED = "crossroads.audit.chained"
# Any constant works; it only has to be the same for every process writing the trail.
_PG_LOCK_KEY = 7_446_511_301


class Actor(Protocol):
    # Read-only, so frozen dataclasses such as the policy's Principal qualify; a Role is a str.
    @property
    def user_id(self) -> uuid.UUID | None: ...
    @property
    def role(self) -> str: ...


@dataclass
class _Queued:
    # The row's content; the row itself is built at commit, so an event survives a failed commit and is
    # chained again from the head then current.
    fields: dict[str, Any]
    # The innermost savepoint open when the event was recorded (None: the transaction itself). Rolling back
    # a savepoint drops the events recorded inside it and only those.
    savepoint: SessionTransaction | None
    survives: bool


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
    survives_rollback: bool = False,
) -> None:
    """Queue an audit event; it is chained and written when this transaction commits.

    `survives_rollback` keeps the event through every rollback, for events about the refusal itself (a failed
    login): the transaction boundary commits it after rolling the rest back.
    """
    fields = {
        "occurred_at": utcnow(),
        "actor_id": actor.user_id if actor else None,
        "actor_role": str(actor.role) if actor else system_actor,
        "action": action,
        "entity_type": entity_type,
        "entity_id": str(entity_id) if entity_id is not None else None,
        "office_id": office_id,
        "details": details or {},
    }
    queue: list[_Queued] = session.info.setdefault(_PENDING, [])
    queue.append(_Queued(fields, session.get_nested_transaction(), survives_rollback))


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
    # before_commit fires when a savepoint is released too. Chaining waits for the outermost commit, so that
    # PostgreSQL takes the chain's lock only at the end of the transaction and a savepoint rolled back later
    # cannot take chained events with it.
    if session.in_nested_transaction():
        return
    queue: list[_Queued] = session.info.get(_PENDING, [])
    if not queue:
        return
    pending = [AuditEvent(**q.fields) for q in queue]
    # Leave the queue until the commit succeeds: a failed commit is rolled back and keeps its survivors.
    session.info[_CHAINED] = len(queue)
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


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    written = session.info.pop(_CHAINED, 0)
    queue: list[_Queued] = session.info.get(_PENDING, [])
    del queue[:written]
    if not queue:
        session.info.pop(_PENDING, None)


def _rolled_back(transaction: SessionTransaction) -> SessionTransaction:
    # What a rollback undid in the database: the transaction itself or a savepoint. A failed flush rolls
    # back its internal subtransaction, which undoes the enclosing savepoint or transaction (SQLAlchemy's
    # SessionTransaction.rollback walks up the same way).
    while not (transaction.nested or transaction.parent is None):
        transaction = transaction.parent
    return transaction


def _within(savepoint: SessionTransaction | None, undone: SessionTransaction) -> bool:
    while savepoint is not None:
        if savepoint is undone:
            return True
        savepoint = savepoint.parent
    return False


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous: SessionTransaction) -> None:
    undone = _rolled_back(previous)
    whole = undone.parent is None
    if whole:
        session.info.pop(_CHAINED, None)
    queue: list[_Queued] | None = session.info.get(_PENDING)
    if not queue:
        return
    session.info[_PENDING] = [q for q in queue if q.survives or not (whole or _within(q.savepoint, undone))]


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
