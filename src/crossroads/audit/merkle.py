"""Merkle trees as Certificate Transparency builds them (RFC 9162, section 2.1): pure, no session, no I/O.

Leaves and nodes are SHA-256 hashes with domain separation (0x00 before a leaf's data, 0x01 before two
children), so that a leaf can never pass for a node. A tree of n leaves splits at the largest power of two
below n; its complete subtrees ("perfect" here: 2**level leaves starting at a multiple of 2**level) never
change once filled, which is what lets the trail store them once and answer proofs from O(log n) of them.

Written by hand rather than taken from a library: pymerkle, the maintained Python package for such trees,
keeps the tree in storage of its own (memory, or its own SQLite file), while the trail keeps its tree in the
application's database, PostgreSQL or SQLite, in the same transactions as the sealing; what is needed here is
only the hashing and proof arithmetic, which fits in this module and is tested against the RFC's definitions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

HASH_SIZE = 32
# MTH({}) = SHA-256() (RFC 9162, 2.1.1).
EMPTY_ROOT = hashlib.sha256(b"").digest()

# (level, index): the perfect subtree of the 2**level leaves starting at index * 2**level.
Position = tuple[int, int]
Range = tuple[int, int]


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2): where the tree of n leaves splits (RFC 9162, 2.1.1)."""
    if n < 2:
        raise ValueError(f"a tree of {n} leaves does not split")
    return 1 << ((n - 1).bit_length() - 1)


def cover(start: int, end: int) -> list[Position]:
    """The perfect subtrees that make up the range [start, end) of a tree, left to right.

    For every range the tree's own splits produce (a whole tree, a proof's subtree), `start` is a multiple of the
    largest power of two in the range's size, so the pieces follow the binary digits of end - start.
    """
    pieces: list[Position] = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start % (1 << level):
            raise ValueError(f"[{start}, {end}) is not a range of the tree")
        pieces.append((level, start >> level))
        start += 1 << level
    return pieces


def range_hash(start: int, end: int, node: Callable[[int, int], bytes]) -> bytes:
    """MTH(D[start:end]) from the hashes of its perfect subtrees, `node(level, index)`."""
    if start >= end:
        raise ValueError("an empty range has no hash in a proof")
    pieces = [node(level, index) for level, index in cover(start, end)]
    # The right-hand pieces are the smaller ones: the tree joins them first (the split puts the largest power
    # of two on the left each time).
    digest = pieces[-1]
    for piece in reversed(pieces[:-1]):
        digest = node_hash(piece, digest)
    return digest


def root(leaves: Iterable[bytes]) -> bytes:
    """MTH of the leaf hashes, in O(n) time and O(log n) memory."""
    frontier = Frontier()
    for leaf in leaves:
        frontier.append(leaf)
    return frontier.root()


@dataclass(frozen=True)
class Node:
    level: int
    index: int
    hash: bytes


@dataclass
class Frontier:
    """The perfect subtrees of a tree of `size` leaves, largest first: all a tree needs to grow and to hash.

    Appending a leaf completes the perfect subtrees that end with it, which `append` returns so that they can
    be stored for proofs.
    """

    size: int = 0
    hashes: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        if len(self.hashes) != self.size.bit_count():
            raise ValueError(f"a tree of {self.size} leaves has {self.size.bit_count()} perfect subtrees, "
                             f"not {len(self.hashes)}")

    @staticmethod
    def positions(size: int) -> list[Position]:
        return cover(0, size)

    def append(self, leaf: bytes) -> list[Node]:
        completed: list[Node] = []
        index, digest, level = self.size, leaf, 0
        self.hashes.append(leaf)
        # The new leaf's index has as many trailing one bits as there are perfect subtrees it completes.
        while index & 1:
            left = self.hashes[-2]
            self.hashes[-2:] = [digest := node_hash(left, digest)]
            level += 1
            index >>= 1
            completed.append(Node(level, index, digest))
        self.size += 1
        return completed

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        digest = self.hashes[-1]
        for piece in reversed(self.hashes[:-1]):
            digest = node_hash(piece, digest)
        return digest


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges whose hashes make up the audit path of leaf `index` in a tree of `size` (RFC 9162, 2.1.3.1).

    Listed from the leaf upwards, the order in which the path is given and verified.
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
    ranges: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = split(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    return ranges[::-1]


def consistency_ranges(old: int, new: int) -> list[Range]:
    """The ranges whose hashes make up the proof that the tree of `old` leaves is a prefix of the tree of `new`
    (RFC 9162, 2.1.4.1: PROOF(m, D[n]) = SUBPROOF(m, D[n], true)), in the order the proof is given."""
    if not 0 <= old <= new:
        raise ValueError(f"no consistency proof from a tree of {old} leaves to one of {new}")
    if old in (0, new):
        return []
    ranges: list[Range] = []
    start, end, whole = 0, new, True
    m = old
    while True:
        if m == end - start:
            if not whole:
                ranges.append((start, end))
            break
        k = split(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
            m -= k
            whole = False
    return ranges[::-1]


def proof_positions(ranges: Iterable[Range]) -> set[Position]:
    """Every perfect subtree whose hash a proof over these ranges needs."""
    return {piece for start, end in ranges for piece in cover(start, end)}


def proof_hashes(ranges: Sequence[Range], nodes: Mapping[Position, bytes]) -> list[bytes]:
    return [range_hash(start, end, lambda level, index: nodes[level, index]) for start, end in ranges]


def _shift_while_even(fn: int, sn: int) -> tuple[int, int]:
    while fn and not fn & 1:
        fn >>= 1
        sn >>= 1
    return fn, sn


def root_from_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes | None:
    """The root that an audit path leads to from a leaf, or None if the path cannot be one (RFC 9162, 2.1.3.2)."""
    if not 0 <= index < size:
        return None
    fn, sn, digest = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            digest = node_hash(sibling, digest)
            if not fn & 1:
                fn, sn = _shift_while_even(fn, sn)
        else:
            digest = node_hash(digest, sibling)
        fn >>= 1
        sn >>= 1
    return digest if sn == 0 else None


def verify_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes], tree_root: bytes) -> bool:
    return root_from_inclusion(index, size, leaf, path) == tree_root


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """Whether `proof` shows the tree (old, old_root) to be a prefix of (new, new_root) (RFC 9162, 2.1.4.2)."""
    if not 0 <= old <= new:
        return False
    if old == new:
        return not proof and old_root == new_root
    if old == 0:
        # Every tree extends the empty one; the RFC defines proofs for 0 < m < n only.
        return not proof and old_root == EMPTY_ROOT
    path = list(proof)
    if not path:
        return False
    if old & (old - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                fn, sn = _shift_while_even(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0
