"""Check the audit trail against its signed heads; prove one event's inclusion, and one head's consistency.

`verify_trail` walks the sealed events in tree order from a head it already trusts (the last one verified, or
the empty tree), recomputing each leaf from the event's content and growing the tree as it goes. Every signed
head on the way must carry a valid signature of a trusted key and equal the tree at its size; every stored
node must equal the one recomputed. What breaks is named: the event, the head, or the node.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from crossroads.audit import tree
from crossroads.audit.heads import TreeHead, signature_problem
from crossroads.audit.leaves import event_leaf_hash
from crossroads.audit.merkle import Frontier, Node, verify_consistency, verify_inclusion
from crossroads.audit.models import AuditEvent, AuditTreeNode
from crossroads.audit.service import event_content
from crossroads.audit.tree import StoredHead

Keys = Mapping[str, ed25519.Ed25519PublicKey]
_BATCH = 2_000
_CONTENT = (AuditEvent.id, AuditEvent.seq, AuditEvent.leaf_hash, AuditEvent.occurred_at, AuditEvent.actor_id,
            AuditEvent.actor_role, AuditEvent.action, AuditEvent.entity_type, AuditEvent.entity_id,
            AuditEvent.office_id, AuditEvent.details)


@dataclass(frozen=True)
class TrustedHead:
    """A head kept outside the database (an exported head, the last one verified), and what to call it."""

    label: str
    head: TreeHead

    def describe(self) -> str:
        return f"{self.label} ({self.head.describe()})"


@dataclass(frozen=True)
class Problem:
    message: str
    event_id: int | None = None
    head_id: int | None = None


@dataclass(frozen=True)
class Verification:
    tree_size: int
    # The tree size the walk started from: 0, or the size of a trusted head whose subtrees still match it.
    start: int
    walked: int
    heads_checked: int
    unsealed: int
    latest: StoredHead | None
    problem: Problem | None = None


def _check_nodes(session: Session, nodes: list[Node]) -> Problem | None:
    """Compare nodes recomputed from the events with the stored ones: one range of each level per batch."""
    ranges: dict[int, tuple[int, int]] = {}
    for n in nodes:
        low, high = ranges.get(n.level, (n.index, n.index))
        ranges[n.level] = (min(low, n.index), max(high, n.index))
    condition = or_(*(and_(AuditTreeNode.level == level, AuditTreeNode.idx.between(low, high))
                      for level, (low, high) in ranges.items()))
    stored = {(level, index): digest for level, index, digest in session.execute(
        select(AuditTreeNode.level, AuditTreeNode.idx, AuditTreeNode.hash).where(condition))}
    for n in nodes:
        digest = stored.get((n.level, n.index))
        if digest != n.hash.hex():
            state = "is missing" if digest is None else "differs from the events"
            return Problem(f"the stored tree node at level {n.level}, index {n.index} {state} (proofs through it "
                           "would fail): it was altered or removed")
    return None


@dataclass
class _Walk:
    session: Session
    keys: Keys
    frontier: Frontier
    anchors: list[TrustedHead]
    walked: int = 0
    unsealed: int = 0
    heads: list[StoredHead] = field(default_factory=list)
    # Found during the walk, reported after the problems that say more (a head, a removed event).
    node_problem: Problem | None = None

    def run(self) -> Verification:
        start = self.frontier.size
        self.heads = tree.heads_above(self.session, start)
        problem = self._signatures() or self._events() or self._ends() or self._unsealed()
        latest = self.heads[-1] if self.heads else tree.latest_head(self.session)
        return Verification(tree_size=self.frontier.size, start=start, walked=self.walked,
                            heads_checked=len(self.heads), unsealed=self.unsealed, latest=latest,
                            problem=problem)

    def _signatures(self) -> Problem | None:
        for stored in self.heads:
            problem = signature_problem(stored.head, self.keys)
            if problem:
                return Problem(f"{stored.describe()} does not verify: {problem}", head_id=stored.id)
        return None

    def _events(self) -> Problem | None:
        checkpoints: dict[int, list[tuple[str, bytes, int | None]]] = {}
        for stored in self.heads:
            checkpoints.setdefault(stored.head.tree_size, []).append(
                (stored.describe(), stored.head.root_hash, stored.id))
        for anchor in self.anchors:
            checkpoints.setdefault(anchor.head.tree_size, []).append((anchor.describe(), anchor.head.root_hash, None))
        frontier, matched = self.frontier, self.frontier.size
        pending: list[Node] = []
        # Streamed in batches: the trail grows without bound and must not be loaded whole.
        result = self.session.execute(select(*_CONTENT).where(AuditEvent.seq > frontier.size)
                                      .order_by(AuditEvent.seq).execution_options(yield_per=_BATCH))
        try:
            for row in result:
                expected = frontier.size + 1
                if row.seq != expected:
                    return Problem(f"the event at position {expected} is missing (the next sealed event, "
                                   f"#{row.id}, is at position {row.seq}): it was removed", event_id=row.id)
                leaf = event_leaf_hash(event_content(row))
                if leaf != row.leaf_hash:
                    return Problem(f"event #{row.id} at position {row.seq} was altered: its content no longer "
                                   "matches its leaf hash", event_id=row.id)
                pending += frontier.append(bytes.fromhex(leaf))
                self.walked += 1
                for label, root, head_id in checkpoints.get(frontier.size, ()):
                    if frontier.root() != root:
                        return Problem(f"{label} does not match the events: positions {matched + 1} to "
                                       f"{frontier.size} were altered, inserted or removed after it was signed",
                                       head_id=head_id)
                if frontier.size in checkpoints:
                    matched = frontier.size
                if len(pending) >= _BATCH:
                    self.node_problem = self.node_problem or _check_nodes(self.session, pending)
                    pending = []
        finally:
            # The walk may stop early; the server-side cursor must be closed all the same.
            result.close()
        if pending:
            self.node_problem = self.node_problem or _check_nodes(self.session, pending)
        return None

    def _ends(self) -> Problem | None:
        size = self.frontier.size
        for stored in self.heads:
            if stored.head.tree_size > size:
                return Problem(f"{stored.describe()} covers {stored.head.tree_size} events but the trail holds "
                               f"{size}: sealed events were removed from its end", head_id=stored.id)
        for anchor in self.anchors:
            if anchor.head.tree_size > size:
                return Problem(f"{anchor.describe()} covers {anchor.head.tree_size} events but the trail holds "
                               f"{size}: sealed events were removed from its end")
        latest = self.heads[-1] if self.heads else tree.latest_head(self.session)
        if latest is None and size:
            return Problem(f"the trail's {size} sealed events have no signed head: run `crossroads audit seal`, "
                           "or the heads were removed")
        covered = latest.head.tree_size if latest else 0
        if size > covered:
            first = self.session.scalar(select(AuditEvent.id).where(AuditEvent.seq == covered + 1))
            return Problem(f"the events at positions {covered + 1} to {size} are in the tree but no signed head "
                           f"covers them (event #{first} first): they were put there by hand", event_id=first)
        return self.node_problem

    def _unsealed(self) -> Problem | None:
        # Not yet covered by a head, so not tamper-evident: a check for slips, not for a careful forger.
        result = self.session.execute(select(*_CONTENT).where(AuditEvent.seq.is_(None)).order_by(AuditEvent.id)
                                      .execution_options(yield_per=_BATCH))
        try:
            for row in result:
                self.unsealed += 1
                if event_leaf_hash(event_content(row)) != row.leaf_hash:
                    return Problem(f"event #{row.id} (not sealed yet) was altered: its content no longer matches "
                                   "its leaf hash", event_id=row.id)
        finally:
            result.close()
        return None


def _trusted_start(session: Session, since: TrustedHead | None, anchors: Sequence[TrustedHead]) -> Frontier | None:
    """The tree at the last verified head, if its stored subtrees still hash to that head's root and every
    exported head at or below it is consistent with it; None sends the walk back to the first event."""
    if since is None:
        return None
    try:
        start = tree.frontier(session, since.head.tree_size)
        if start.root() != since.head.root_hash:
            return None
        for anchor in anchors:
            old = anchor.head
            if old.tree_size <= start.size and not verify_consistency(
                    old.tree_size, start.size, old.root_hash, start.root(),
                    tree.consistency_proof(session, old.tree_size, start.size)):
                return None
    except (tree.TreeIncomplete, ValueError):
        return None
    return start


def verify_trail(session: Session, *, keys: Keys, since: TrustedHead | None = None,
                 anchors: Sequence[TrustedHead] = ()) -> Verification:
    """Verify the trail from `since` (the last head verified; None: from the first event) against every signed
    head and every head in `anchors` (exported earlier and kept elsewhere)."""
    for trusted in [*([since] if since else []), *anchors]:
        problem = signature_problem(trusted.head, keys)
        if problem:
            return Verification(0, 0, 0, 0, 0, None, Problem(f"{trusted.describe()} does not verify: {problem}"))
    start = _trusted_start(session, since, anchors)
    walk_anchors = [a for a in anchors if start is None or a.head.tree_size > start.size]
    if start is None and since is not None:
        # The stored tree no longer hashes to the head verified last time: walk it all to name what changed.
        walk_anchors.append(since)
    return _Walk(session, keys, start or Frontier(), walk_anchors).run()


class ProofError(LookupError):
    pass


@dataclass(frozen=True)
class InclusionProof:
    event_id: int
    leaf_index: int
    leaf_hash: bytes
    path: list[bytes]
    head: TreeHead
    verified: bool


def _checked_head(session: Session, keys: Keys, head: TreeHead | None) -> TreeHead:
    if head is None:
        latest = tree.latest_head(session)
        if latest is None:
            raise ProofError("the trail has no signed head yet: run `crossroads audit seal`")
        head = latest.head
    problem = signature_problem(head, keys)
    if problem:
        raise ProofError(f"the head ({head.describe()}) does not verify: {problem}")
    return head


def prove_event(session: Session, *, event_id: int, keys: Keys, head: TreeHead | None = None) -> InclusionProof:
    """The audit path of one event to a signed head (the latest by default), verified: O(log n) rows read."""
    row = session.get(AuditEvent, event_id)
    if row is None:
        raise ProofError(f"there is no audit event #{event_id}")
    if row.seq is None:
        raise ProofError(f"event #{event_id} is not sealed yet: run `crossroads audit seal`")
    head = _checked_head(session, keys, head)
    if row.seq > head.tree_size:
        raise ProofError(f"event #{event_id} (position {row.seq}) was sealed after the head ({head.describe()})")
    # From the content, not the stored leaf hash: the proof is about the event as it reads now.
    leaf = bytes.fromhex(event_leaf_hash(event_content(row)))
    try:
        path = tree.inclusion_proof(session, row.seq - 1, head.tree_size)
    except (tree.TreeIncomplete, ValueError) as exc:
        raise ProofError(f"the stored tree is damaged: {exc}") from None
    return InclusionProof(event_id, row.seq - 1, leaf, path, head,
                          verify_inclusion(row.seq - 1, head.tree_size, leaf, path, head.root_hash))


@dataclass(frozen=True)
class ConsistencyProof:
    old: TreeHead
    new: TreeHead
    path: list[bytes]
    verified: bool


def prove_consistency(session: Session, *, old: TreeHead, keys: Keys, new: TreeHead | None = None) -> ConsistencyProof:
    """The proof that `old` is a prefix of `new` (the latest head by default), from the stored tree, verified."""
    old = _checked_head(session, keys, old)
    new = _checked_head(session, keys, new)
    if old.tree_size > new.tree_size:
        raise ProofError(f"the earlier head ({old.describe()}) is larger than the later one ({new.describe()}): "
                         "events were removed, or the heads are given the wrong way round")
    try:
        path = tree.consistency_proof(session, old.tree_size, new.tree_size)
    except (tree.TreeIncomplete, ValueError) as exc:
        raise ProofError(f"the stored tree is damaged: {exc}") from None
    return ConsistencyProof(old, new, path,
                            verify_consistency(old.tree_size, new.tree_size, old.root_hash, new.root_hash, path))
