"""The stored Merkle tree: its size, its perfect subtrees and heads, and proofs read from O(log n) rows."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from crossroads.audit import merkle
from crossroads.audit.heads import TreeHead
from crossroads.audit.models import AuditEvent, AuditTreeHead, AuditTreeNode


class TreeIncomplete(LookupError):
    """A perfect subtree the tree should hold is missing: removed, or never written."""

    def __init__(self, position: merkle.Position) -> None:
        level, index = position
        where = (f"the sealed event at position {index + 1}" if level == 0
                 else f"the tree node at level {level}, index {index}")
        super().__init__(f"{where} is missing")
        self.position = position


@dataclass(frozen=True)
class StoredHead:
    id: int
    head: TreeHead

    def describe(self) -> str:
        return f"signed head #{self.id} ({self.head.describe()})"


def _decode(digest: str, what: str) -> bytes:
    try:
        raw = bytes.fromhex(digest)
    except ValueError:
        raw = b""
    if len(raw) != merkle.HASH_SIZE:
        raise ValueError(f"{what} does not hold a SHA-256 hash")
    return raw


def to_head(row: AuditTreeHead) -> StoredHead:
    try:
        signature = base64.b64decode(row.signature, validate=True)
        root = _decode(row.root_hash, "its root")
    except (binascii.Error, ValueError):
        # Unreadable: it verifies as a head with a wrong signature, which is what it is.
        signature, root = b"", b"\0" * merkle.HASH_SIZE
    return StoredHead(row.id, TreeHead(row.tree_size, root, row.timestamp, row.key_id, signature))


def tree_size(session: Session) -> int:
    return session.scalar(select(func.max(AuditEvent.seq))) or 0


def latest_head(session: Session) -> StoredHead | None:
    row = session.scalar(select(AuditTreeHead).order_by(AuditTreeHead.tree_size.desc()).limit(1))
    return to_head(row) if row else None


def heads_above(session: Session, size: int) -> list[StoredHead]:
    """The signed heads of trees larger than `size`, smallest first (one per seal: thousands, not millions)."""
    rows = session.scalars(select(AuditTreeHead).where(AuditTreeHead.tree_size > size)
                           .order_by(AuditTreeHead.tree_size))
    return [to_head(row) for row in rows]


def subtrees(session: Session, positions: Iterable[merkle.Position]) -> dict[merkle.Position, bytes]:
    """The hashes of these perfect subtrees: leaves from the events, the rest from the stored nodes."""
    wanted = set(positions)
    found: dict[merkle.Position, bytes] = {}
    leaves = sorted(index + 1 for level, index in wanted if level == 0)
    if leaves:
        for seq, digest in session.execute(select(AuditEvent.seq, AuditEvent.leaf_hash)
                                           .where(AuditEvent.seq.in_(leaves))):
            assert seq is not None
            found[0, seq - 1] = _decode(digest, f"the sealed event at position {seq}")
    by_level: dict[int, list[int]] = {}
    for level, index in wanted:
        if level:
            by_level.setdefault(level, []).append(index)
    if by_level:
        condition = or_(*(and_(AuditTreeNode.level == level, AuditTreeNode.idx.in_(indexes))
                          for level, indexes in by_level.items()))
        for level, index, digest in session.execute(select(AuditTreeNode.level, AuditTreeNode.idx,
                                                           AuditTreeNode.hash).where(condition)):
            found[level, index] = _decode(digest, f"the tree node at level {level}, index {index}")
    for position in sorted(wanted):
        if position not in found:
            raise TreeIncomplete(position)
    return found


def frontier(session: Session, size: int) -> merkle.Frontier:
    """The tree of the first `size` events, ready to grow: its perfect subtrees, O(log n) rows."""
    positions = merkle.Frontier.positions(size)
    nodes = subtrees(session, positions)
    return merkle.Frontier(size, [nodes[p] for p in positions])


def inclusion_proof(session: Session, index: int, size: int) -> list[bytes]:
    """The audit path of leaf `index` (the event at position index + 1) in the tree of `size` events."""
    ranges = merkle.inclusion_ranges(index, size)
    return merkle.proof_hashes(ranges, subtrees(session, merkle.proof_positions(ranges)))


def consistency_proof(session: Session, old: int, new: int) -> list[bytes]:
    """The proof that the tree of `old` events is a prefix of the tree of `new`."""
    ranges = merkle.consistency_ranges(old, new)
    return merkle.proof_hashes(ranges, subtrees(session, merkle.proof_positions(ranges)))
