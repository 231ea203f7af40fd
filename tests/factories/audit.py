"""The test run's audit key, seals, and the rights of an attacker who administers the database."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from crossroads.audit.heads import key_id
from crossroads.audit.leaves import EventContent, event_leaf_hash
from crossroads.audit.models import AuditEvent
from crossroads.audit.seal import SealResult, seal_events
from crossroads.audit.service import record_event
from crossroads.audit.verify import TrustedHead, Verification, verify_trail
from crossroads.db.base import utcnow

KEY = ed25519.Ed25519PrivateKey.generate()
TRUSTED = {key_id(KEY.public_key()): KEY.public_key()}
TABLES = ("audit_events", "audit_tree_nodes", "audit_tree_heads")


def record(db: Session, n: int, action: str = "test.event") -> list[AuditEvent]:
    """n events, flushed, in the order recorded."""
    for i in range(n):
        record_event(db, actor=None, action=action, entity_type="test", entity_id=i, details={"n": i})
    db.flush()
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def insert_event(db: Session, *, action: str, seq: int | None = None, event_id: int | None = None) -> int:
    """An event inserted with plain SQL, as a database administrator could, with a correct leaf hash."""
    content = EventContent(occurred_at=utcnow(), actor_id=None, actor_role="system", action=action,
                           entity_type="test", entity_id=None, office_id=None, details={"forged": True})
    values = {"occurred_at": content.occurred_at, "actor_role": "system", "action": action, "entity_type": "test",
              "details": content.details, "leaf_hash": event_leaf_hash(content), "seq": seq}
    if event_id is not None:
        values["id"] = event_id
    db.execute(AuditEvent.__table__.insert().values(**values))
    return db.scalar(select(AuditEvent.id).where(AuditEvent.action == action).order_by(AuditEvent.id.desc()))


def seal(db: Session, *, key: ed25519.Ed25519PrivateKey = KEY, limit: int = 1_000) -> SealResult:
    return seal_events(db, key=key, trusted=TRUSTED, limit=limit)


def verify(db: Session, *, since: TrustedHead | None = None, anchors: list[TrustedHead] | None = None
           ) -> Verification:
    db.expire_all()
    return verify_trail(db, keys=TRUSTED, since=since, anchors=anchors or [])


def as_database_admin(db: Session) -> None:
    """Switch off the trail's append-only triggers for the rest of the test's transaction, which rolls back."""
    if db.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            db.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
    else:
        for (name,) in db.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN "
                                       "('audit_events', 'audit_tree_nodes', 'audit_tree_heads')")).all():
            db.execute(text(f'DROP TRIGGER "{name}"'))
