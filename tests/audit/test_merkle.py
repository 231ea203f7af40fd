"""The Merkle tree against RFC 9162, section 2.1, written out here as the RFC states it: recursively, on lists."""

from __future__ import annotations

import hashlib

import pytest

from crossroads.audit import merkle

SIZES = [*range(1, 34), 64, 65, 100, 127, 128, 129]


def mth(leaves: list[bytes]) -> bytes:
    """MTH(D[n]) of RFC 9162, 2.1.1, on the leaves' data."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def path(m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162, 2.1.3.1."""
    n = len(leaves)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) of RFC 9162, 2.1.4.1."""
    n = len(leaves)
    if m == n:
        return [] if whole else [mth(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*subproof(m, leaves[:k], whole), mth(leaves[k:])]
    return [*subproof(m - k, leaves[k:], False), mth(leaves[:k])]


def data(n: int) -> list[bytes]:
    return [f"event {i}".encode() for i in range(n)]


def stored_nodes(leaves: list[bytes]) -> dict[merkle.Position, bytes]:
    """Every perfect subtree of the tree, as the trail stores them: leaves at level 0, the rest as completed."""
    frontier = merkle.Frontier()
    nodes: dict[merkle.Position, bytes] = {}
    for i, item in enumerate(leaves):
        leaf = merkle.leaf_hash(item)
        nodes[0, i] = leaf
        for node in frontier.append(leaf):
            nodes[node.level, node.index] = node.hash
    return nodes


class TestHashes:
    def test_the_empty_tree_is_the_hash_of_nothing(self):
        assert merkle.EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        assert merkle.root([]) == merkle.EMPTY_ROOT == mth([])

    def test_a_leaf_and_a_node_are_separated_by_their_prefix(self):
        a, b = merkle.leaf_hash(b"a"), merkle.leaf_hash(b"b")
        assert a == hashlib.sha256(b"\x00a").digest()
        assert merkle.node_hash(a, b) == hashlib.sha256(b"\x01" + a + b).digest()
        # A node's two children concatenated are not a leaf of the same hash.
        assert merkle.leaf_hash(a + b) != merkle.node_hash(a, b)

    @pytest.mark.parametrize("n", SIZES)
    def test_root_is_the_rfc_tree_hash(self, n):
        leaves = data(n)
        assert merkle.root(merkle.leaf_hash(x) for x in leaves) == mth(leaves)

    @pytest.mark.parametrize(("n", "k"), [(2, 1), (3, 2), (4, 2), (5, 4), (8, 4), (9, 8), (1000, 512)])
    def test_split_is_the_largest_power_of_two_below(self, n, k):
        assert merkle.split(n) == k

    @pytest.mark.parametrize("n", [0, 1])
    def test_a_tree_of_one_leaf_or_none_does_not_split(self, n):
        with pytest.raises(ValueError):
            merkle.split(n)


class TestFrontier:
    @pytest.mark.parametrize("n", SIZES)
    def test_grows_leaf_by_leaf_with_the_rfc_root_at_every_size(self, n):
        leaves = data(n)
        frontier = merkle.Frontier()
        for i, item in enumerate(leaves):
            frontier.append(merkle.leaf_hash(item))
            assert frontier.root() == mth(leaves[: i + 1])
        assert frontier.size == n and len(frontier.hashes) == n.bit_count()

    @pytest.mark.parametrize("n", SIZES)
    def test_completes_each_perfect_subtree_once_with_its_rfc_hash(self, n):
        leaves = data(n)
        nodes = stored_nodes(leaves)
        # n leaves and n - popcount(n) nodes above them: a perfect subtree is completed by exactly one leaf.
        assert len(nodes) == 2 * n - n.bit_count()
        for (level, index), digest in nodes.items():
            assert digest == mth(leaves[index << level:(index + 1) << level])

    @pytest.mark.parametrize("n", [5, 6, 7, 8, 13])
    def test_resumes_from_its_stored_subtrees(self, n):
        leaves = data(n + 3)
        nodes = stored_nodes(leaves)
        frontier = merkle.Frontier(n, [nodes[p] for p in merkle.Frontier.positions(n)])
        for item in leaves[n:]:
            frontier.append(merkle.leaf_hash(item))
        assert frontier.root() == mth(leaves)

    def test_refuses_subtrees_that_do_not_fit_the_size(self):
        with pytest.raises(ValueError, match="3 perfect subtrees"):
            merkle.Frontier(7, [merkle.EMPTY_ROOT])

    @pytest.mark.parametrize(("start", "end"), [(1, 3), (2, 6), (3, 4 + 3)])
    def test_cover_refuses_a_range_that_is_not_the_trees(self, start, end):
        with pytest.raises(ValueError, match="not a range of the tree"):
            merkle.cover(start, end)


class TestInclusion:
    @pytest.mark.parametrize("n", SIZES)
    def test_every_leaf_has_the_rfc_audit_path_and_it_verifies(self, n):
        leaves = data(n)
        nodes, tree_root = stored_nodes(leaves), mth(leaves)
        for m in range(n):
            proof = merkle.proof_hashes(merkle.inclusion_ranges(m, n), nodes)
            assert proof == path(m, leaves), m
            assert merkle.verify_inclusion(m, n, merkle.leaf_hash(leaves[m]), proof, tree_root), m

    @pytest.mark.parametrize("n", [1, 2, 5, 8, 13, 33])
    def test_proofs_need_logarithmically_many_stored_subtrees(self, n):
        for m in range(n):
            needed = merkle.proof_positions(merkle.inclusion_ranges(m, n))
            assert len(needed) <= 2 * max(1, n.bit_length())

    @pytest.mark.parametrize("n", [2, 3, 7, 8, 21])
    def test_a_wrong_leaf_index_path_or_root_does_not_verify(self, n):
        leaves = data(n)
        tree_root = mth(leaves)
        for m in range(n):
            leaf, proof = merkle.leaf_hash(leaves[m]), path(m, leaves)
            other = (m + 1) % n
            assert not merkle.verify_inclusion(m, n, merkle.leaf_hash(b"forged"), proof, tree_root)
            assert not merkle.verify_inclusion(other, n, leaf, proof, tree_root) or leaves[other] == leaves[m]
            assert not merkle.verify_inclusion(m, n, leaf, proof, mth(leaves[:-1]))
            assert not merkle.verify_inclusion(m, n, leaf, [*proof, tree_root], tree_root)
            if proof:
                assert not merkle.verify_inclusion(m, n, leaf, proof[:-1], tree_root)
                tampered = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
                assert not merkle.verify_inclusion(m, n, leaf, tampered, tree_root)

    @pytest.mark.parametrize(("m", "n"), [(0, 0), (3, 3), (-1, 4)])
    def test_a_leaf_outside_the_tree_has_no_path(self, m, n):
        with pytest.raises(ValueError):
            merkle.inclusion_ranges(m, n)
        assert not merkle.verify_inclusion(m, n, merkle.EMPTY_ROOT, [], merkle.EMPTY_ROOT)


class TestConsistency:
    @pytest.mark.parametrize("n", [*range(1, 34), 64, 65, 100])
    def test_every_earlier_size_has_the_rfc_proof_and_it_verifies(self, n):
        leaves = data(n)
        nodes, new_root = stored_nodes(leaves), mth(leaves)
        for m in range(1, n + 1):
            proof = merkle.proof_hashes(merkle.consistency_ranges(m, n), nodes)
            assert proof == subproof(m, leaves, True), m
            assert merkle.verify_consistency(m, n, mth(leaves[:m]), new_root, proof), m

    @pytest.mark.parametrize("n", [2, 3, 6, 8, 13, 32])
    def test_a_rewritten_prefix_or_suffix_or_short_proof_does_not_verify(self, n):
        leaves = data(n)
        new_root = mth(leaves)
        for m in range(1, n):
            proof = subproof(m, leaves, True)
            old_root = mth(leaves[:m])
            rewritten = mth([b"forged", *leaves[1:m]])
            assert not merkle.verify_consistency(m, n, rewritten, new_root, proof), m
            assert not merkle.verify_consistency(m, n, old_root, mth([*leaves[:-1], b"forged"]), proof), m
            assert not merkle.verify_consistency(m, n, old_root, new_root, proof[:-1]), m
            assert not merkle.verify_consistency(m, n, old_root, new_root, []), m

    def test_equal_and_empty_trees(self):
        leaves = data(5)
        assert merkle.consistency_ranges(5, 5) == [] and merkle.consistency_ranges(0, 5) == []
        assert merkle.verify_consistency(5, 5, mth(leaves), mth(leaves), [])
        assert not merkle.verify_consistency(5, 5, mth(leaves), mth(leaves[:4]), [])
        assert merkle.verify_consistency(0, 5, merkle.EMPTY_ROOT, mth(leaves), [])
        assert not merkle.verify_consistency(0, 5, mth(leaves[:1]), mth(leaves), [])
        assert not merkle.verify_consistency(6, 5, mth(leaves), mth(leaves), [])
        with pytest.raises(ValueError):
            merkle.consistency_ranges(6, 5)
