"""The append-only audit trail: events, the Merkle tree the sealer orders them into, and its signed heads.

All three tables refuse UPDATE and DELETE, in the database (triggers, see the migration audit_merkle_tree) and
in the ORM (audit/service.py). The one update allowed is the sealer's: giving an unsealed event its `seq`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, SmallInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column

from crossroads.db.base import Base

_UNSEALED = text("seq IS NULL")


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_entity", "entity_type", "entity_id"),
        # The sealer's work list, kept as small as the backlog however long the trail grows.
        Index("ix_audit_events_unsealed", "id", sqlite_where=_UNSEALED, postgresql_where=_UNSEALED),
    )

    # Allocated at INSERT, which is not commit order: the trail's order is `seq`, given when sealed.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    # Position in the tree, from 1 (the RFC 9162 leaf index + 1); NULL until the sealer orders the event in.
    seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    occurred_at: Mapped[datetime]
    actor_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    actor_role: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(60), index=True)
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    office_id: Mapped[uuid.UUID | None]
    # Field names and counts only: values of sensitive fields never enter the trail.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # SHA-256(0x00 || the content's canonical encoding) in hex (audit/leaves.py), computed by the request.
    leaf_hash: Mapped[str] = mapped_column(String(64))


class AuditTreeNode(Base):
    """A perfect subtree of the tree above the leaves: 2**level events from position idx * 2**level + 1.

    Written once, when its last leaf is sealed. Every node is kept (one per event, on average) so that an
    inclusion or consistency proof reads O(log n) rows instead of hashing the whole trail.
    """

    __tablename__ = "audit_tree_nodes"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))


class AuditTreeHead(Base):
    """A signed tree head: the tree's size and root when a seal ended, signed with the audit key."""

    __tablename__ = "audit_tree_heads"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    tree_size: Mapped[int] = mapped_column(BigInteger, unique=True)
    root_hash: Mapped[str] = mapped_column(String(64))
    # Milliseconds since the epoch, the value signed.
    timestamp: Mapped[int] = mapped_column(BigInteger)
    key_id: Mapped[str] = mapped_column(String(64))
    # Ed25519, base64.
    signature: Mapped[str] = mapped_column(String(88))
