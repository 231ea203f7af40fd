"""Record audit events inside the caller's transaction; refuse every change to the trail through the ORM.

Recording is a plain INSERT of the event and its leaf hash: no lock, no read of the trail's head, so requests
never wait on each other for the audit trail. The sealer (audit/seal.py) orders committed events into the
Merkle tree afterwards and signs its head.
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from sqlalchemy import Delete, Engine, Update, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from crossroads.audit.leaves import EventContent, event_leaf_hash
from crossroads.audit.models import AuditEvent, AuditTreeHead, AuditTreeNode
from crossroads.db.base import utcnow
from crossroads.db.session import keep_on_rollback

# An execution option: the statement is the sealer's (the one update of the trail there is).
SEALING = "crossroads_audit_sealing"
_APPEND_ONLY = (AuditEvent, AuditTreeNode, AuditTreeHead)
_APPEND_ONLY_TABLES = frozenset(model.__tablename__ for model in _APPEND_ONLY)
_WROTE = "crossroads.audit.wrote"
# Databases (URLs without password) to which this process committed events: `crossroads` seals them when a
# command that wrote some ends.
_written_to: set[str] = set()


class AppendOnlyError(RuntimeError):
    """An attempt to update or delete audit events, tree nodes or heads."""


class Actor(Protocol):
    # Read-only, so frozen dataclasses such as the policy's Principal qualify; a Role is a str.
    @property
    def user_id(self) -> uuid.UUID | None: ...
    @property
    def role(self) -> str: ...


def event_content(e: AuditEvent | Any) -> EventContent:
    """The hashed content of an event: a mapped AuditEvent, or a row selected with the same columns."""
    return EventContent(
        occurred_at=e.occurred_at,
        actor_id=str(e.actor_id) if e.actor_id else None,
        actor_role=e.actor_role,
        action=e.action,
        entity_type=e.entity_type,
        entity_id=e.entity_id,
        office_id=str(e.office_id) if e.office_id else None,
        details=e.details,
    )


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
    """Add an audit event to this transaction; it commits or rolls back with the change it records.

    `survives_rollback` keeps the event through every rollback, for events about the refusal itself (a failed
    login): the transaction boundary commits it after rolling the rest back.
    """
    row = AuditEvent(
        occurred_at=utcnow(),
        actor_id=actor.user_id if actor else None,
        actor_role=str(actor.role) if actor else system_actor,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id) if entity_id is not None else None,
        office_id=office_id,
        details=details or {},
    )
    row.leaf_hash = event_leaf_hash(event_content(row))
    # An ordinary pending row: a savepoint rolled back takes exactly the events flushed or added inside it.
    if survives_rollback:
        keep_on_rollback(session, row)
    else:
        session.add(row)


def count_events(session: Session, *, action: str | None = None) -> int:
    q = select(func.count()).select_from(AuditEvent)
    if action:
        q = q.where(AuditEvent.action == action)
    return session.scalar(q) or 0


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, _context: UOWTransaction, _instances: object) -> None:
    # The database's triggers refuse these too; refusing here names the mistake in the code that made it.
    for obj in session.deleted:
        if isinstance(obj, _APPEND_ONLY):
            raise AppendOnlyError(f"the audit trail is append-only: {type(obj).__name__} cannot be deleted")
    for obj in session.dirty:
        if isinstance(obj, _APPEND_ONLY) and session.is_modified(obj):
            raise AppendOnlyError(f"the audit trail is append-only: {type(obj).__name__} cannot be changed")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: ORMExecuteState) -> None:
    statement = state.statement
    if not isinstance(statement, Update | Delete) or state.execution_options.get(SEALING):
        return
    table = getattr(statement.table, "name", None)
    if table in _APPEND_ONLY_TABLES:
        verb = "UPDATE" if isinstance(statement, Update) else "DELETE"
        raise AppendOnlyError(f"the audit trail is append-only: {verb} of {table} refused")


def _url_key(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@event.listens_for(Session, "after_flush")
def _note_events(session: Session, _context: UOWTransaction) -> None:
    if any(isinstance(obj, AuditEvent) for obj in session.new):
        session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
def _note_commit(session: Session) -> None:
    # after_commit fires on a savepoint's release too; only the outermost commit writes anything.
    if session.in_nested_transaction() or not session.info.pop(_WROTE, False):
        return
    _written_to.add(_url_key(str(session.get_bind().engine.url)))


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous: object) -> None:
    # A rolled-back transaction wrote nothing; a false mark would only cost a seal with nothing to seal.
    if not session.in_transaction():
        session.info.pop(_WROTE, None)


def events_written(url: str) -> bool:
    """Whether this process committed audit events to the database at `url` since it last sealed it."""
    return _url_key(url) in _written_to


def forget_written(engine: Engine) -> None:
    _written_to.discard(_url_key(str(engine.url)))
