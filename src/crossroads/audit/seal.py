"""The sealer: orders committed events into the Merkle tree and signs the tree's new head.

Requests only insert events; sealing is the one step that must happen one at a time, so only the sealer takes
a lock (an advisory lock on PostgreSQL; on SQLite its transaction holds the write lock, as every writer's
does). Events are sealed in the order the sealer finds them committed, by id. An event whose transaction was
still open at a seal — its id allocated, its row not yet visible — is sealed by a later seal, after events
with higher ids: the tree's order is the order of sealing, and `seq` records it.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import Engine, Table, bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from crossroads.audit import tree
from crossroads.audit.heads import TreeHead, sign_head, signature_problem
from crossroads.audit.merkle import HASH_SIZE
from crossroads.audit.models import AuditEvent, AuditTreeHead, AuditTreeNode
from crossroads.audit.service import SEALING, forget_written
from crossroads.db.session import unit_of_work

log = logging.getLogger("crossroads.audit")

# Any constant works; it only has to be the same for every process that seals.
_PG_SEAL_LOCK = 7_446_511_301
# Events per seal (one transaction, one head): a backlog is sealed in steps that each hold SQLite's write lock
# for a fraction of a second.
SEAL_BATCH = 5_000

_EVENTS = cast(Table, AuditEvent.__table__)
_SET_SEQ = (update(_EVENTS).where(_EVENTS.c.id == bindparam("event_id"), _EVENTS.c.seq.is_(None))
            .values(seq=bindparam("position")))
# On PostgreSQL one statement for the whole batch: one statement per event made sealing four times slower.
_PG_SET_SEQ = text("UPDATE audit_events SET seq = p.position FROM unnest(CAST(:ids AS bigint[]), "
                   "CAST(:positions AS bigint[])) AS p(event_id, position) "
                   "WHERE audit_events.id = p.event_id AND audit_events.seq IS NULL")


class SealRefused(RuntimeError):
    """The stored tree does not match its latest signed head: sealing on would sign over the damage."""


@dataclass(frozen=True)
class SealResult:
    sealed: int
    tree_size: int
    head: TreeHead | None


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def seal_events(session: Session, *, key: ed25519.Ed25519PrivateKey,
                trusted: Mapping[str, ed25519.Ed25519PublicKey], limit: int = SEAL_BATCH) -> SealResult:
    """Give up to `limit` unsealed events their positions, store the tree's new nodes and sign its head."""
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_SEAL_LOCK})
    size = tree.tree_size(session)
    latest = tree.latest_head(session)
    try:
        grown = tree.frontier(session, size)
    except (tree.TreeIncomplete, ValueError) as exc:
        raise SealRefused(f"the stored tree is damaged ({exc}); run `crossroads audit verify`") from None
    if latest is not None:
        # Extending a trail cut back or rewritten since its last head would sign the damage: stop and say so.
        if latest.head.tree_size != size or grown.root() != latest.head.root_hash:
            raise SealRefused(f"the trail ({size} sealed events) does not match its latest {latest.describe()}; "
                              "run `crossroads audit verify`")
        problem = signature_problem(latest.head, trusted)
        if problem:
            raise SealRefused(f"{latest.describe()} does not verify: {problem}")
    rows = session.execute(select(AuditEvent.id, AuditEvent.leaf_hash).where(AuditEvent.seq.is_(None))
                           .order_by(AuditEvent.id).limit(limit)).all()
    if not rows and (latest is not None or size == 0):
        return SealResult(0, size, None)
    positions, nodes = [], []
    for event_id, digest in rows:
        leaf = _leaf(event_id, digest)
        positions.append({"event_id": event_id, "position": grown.size + 1})
        nodes += [{"level": n.level, "idx": n.index, "hash": n.hash.hex()} for n in grown.append(leaf)]
    if positions and postgres:
        session.execute(_PG_SET_SEQ, {"ids": [p["event_id"] for p in positions],
                                      "positions": [p["position"] for p in positions]})
    elif positions:
        session.execute(_SET_SEQ, positions, execution_options={SEALING: True})
    if nodes:
        session.execute(insert(AuditTreeNode), nodes)
    head = sign_head(key, grown.size, grown.root(), _now_ms())
    session.add(AuditTreeHead(tree_size=head.tree_size, root_hash=head.root_hash.hex(), timestamp=head.timestamp,
                              key_id=head.key_id, signature=_b64(head.signature)))
    session.flush()
    return SealResult(len(rows), grown.size, head)


def _leaf(event_id: int, digest: str) -> bytes:
    try:
        leaf = bytes.fromhex(digest)
    except ValueError:
        leaf = b""
    if len(leaf) != HASH_SIZE:
        # Only a hand-made row lacks a hash; sealing it would put garbage in the tree for good.
        raise SealRefused(f"event #{event_id} has no valid leaf hash; run `crossroads audit verify`")
    return leaf


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


@dataclass(frozen=True)
class SealTotals:
    sealed: int
    tree_size: int
    heads: int
    head: TreeHead | None


def seal_pending(engine: Engine, *, key: ed25519.Ed25519PrivateKey,
                 trusted: Mapping[str, ed25519.Ed25519PublicKey], limit: int = SEAL_BATCH) -> SealTotals:
    """Seal every event committed so far, `limit` per transaction and head."""
    sealed = heads = 0
    last: TreeHead | None = None
    forget_written(engine)
    while True:
        with unit_of_work(engine) as session:
            result = seal_events(session, key=key, trusted=trusted, limit=limit)
        sealed += result.sealed
        if result.head is not None:
            heads += 1
            last = result.head
        if result.sealed < limit:
            return SealTotals(sealed, result.tree_size, heads, last)


class BackgroundSealer:
    """Seals every `every` seconds in a daemon thread, beside the server; stops when asked, sealing once more."""

    def __init__(self, engine: Engine, *, key: ed25519.Ed25519PrivateKey,
                 trusted: Mapping[str, ed25519.Ed25519PublicKey], every: float) -> None:
        self._engine, self._key, self._trusted, self._every = engine, key, trusted, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="audit-sealer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._seal()

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            self._seal()

    def _seal(self) -> None:
        try:
            seal_pending(self._engine, key=self._key, trusted=self._trusted)
        except SealRefused as exc:
            log.error("audit trail not sealed: %s", exc)
        except Exception as exc:
            # A database briefly away must not end the thread; the next round seals what this one missed.
            log.error("audit seal failed: %s", type(exc).__name__)
