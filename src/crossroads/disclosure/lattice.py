"""Optimal full-domain generalisation: the least-loss lattice node that meets k-anonymity and l-diversity.

A node gives one hierarchy level per quasi-identifier; every record is generalised to those levels, and
equivalence classes that fail the privacy models are suppressed (removed), which is allowed up to a share of
the records. The search returns the node of least information loss among those that pass.

Why it is fast: the rows are encoded once, each quasi-identifier to integer codes per level, and aggregated
to the distinct quasi-identifier tuples with their counts (and the counts of each sensitive value per
tuple). A node is evaluated on that frequency table — gathers and bincounts over the distinct tuples —
never on the rows.

Why it is exact (and what it prunes, as ARX's Flash does):

- *Monotonicity.* k-anonymity with record suppression and distinct l-diversity are monotone: generalising
  merges classes, a passing class stays passing, so the suppressed records can only shrink. A node whose
  monotone part fails therefore has only failing specialisations (tagged without evaluating), and one
  whose monotone part passes has only passing generalisations. Entropy l-diversity with suppression is not
  monotone, so only its necessary conditions (k, distinct l) are used for tagging and every candidate
  is still evaluated in full.
- *Paths and binary search.* From the unclassified node of least bound a path is built upwards through
  unclassified successors, and binary-searched for its lowest passing node: a failure high on the path
  tags a whole cone below it in one evaluation.
- *Lower bound.* The loss metric (ARX's "loss", LM) charges a generalised cell (leaves under its label − 1) /
  (leaves in the domain − 1) and a suppressed cell 1. Without suppression it is a sum over columns, so its
  value for any node is known before evaluating it and grows with generalisation; suppression only adds to
  it. Nodes are visited in order of that bound, and the search stops when the bound reaches the best loss
  found: no unvisited node can beat it. Loss with suppression is not monotone (generalising may suppress
  less), which is why passing generalisations are still evaluated while their bound is below the best.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from crossroads.kit.errors import Invalid

MAX_LATTICE_NODES = 20_000_000
# Class ids are used directly as bincount bins while their radix stays below this; above it they are
# densified with np.unique.
DIRECT_BINS = 1 << 22
EPS = 1e-12


@dataclass(frozen=True)
class QuasiColumn:
    """One quasi-identifier: per level, the code of each level-0 code, the labels, and the loss of each label."""

    name: str
    level_names: list[str]
    codes: list[np.ndarray]
    labels: list[np.ndarray]
    cell_loss: list[np.ndarray]

    @property
    def height(self) -> int:
        return len(self.codes) - 1

    def size(self, level: int) -> int:
        return len(self.labels[level])


def quasi_column(name: str, level_names: list[str], level_labels: list[np.ndarray]) -> QuasiColumn:
    """Encode a hierarchy (labels per level, aligned with the distinct values) and check that it is nested."""
    codes, labels, losses = [], [], []
    domain = len(level_labels[0])
    for i, lab in enumerate(level_labels):
        uniq, inverse = np.unique(lab.astype(str), return_inverse=True)
        code = inverse.astype(np.int64)
        if i and len(np.unique(codes[-1] * len(uniq) + code)) != labels[-1].size:
            raise Invalid(f"{name}: level {level_names[i]!r} splits a group of the level below; "
                          "each level must merge the labels of the one below", field=name)
        leaves = np.bincount(code, minlength=len(uniq))
        losses.append((leaves - 1) / (domain - 1) if domain > 1 else np.zeros(len(uniq)))
        codes.append(code)
        labels.append(uniq.astype(object))
    return QuasiColumn(name=name, level_names=level_names, codes=codes, labels=labels, cell_loss=losses)


@dataclass(frozen=True)
class SensitivePairs:
    """The sensitive values of one column per distinct tuple: (tuple index, value code, count) triples."""

    name: str
    tuple_index: np.ndarray
    value: np.ndarray
    count: np.ndarray
    n_values: int


@dataclass(frozen=True)
class FrequencyTable:
    """Distinct quasi-identifier tuples (level-0 codes) with their record counts."""

    tuples: np.ndarray
    counts: np.ndarray
    sensitive: list[SensitivePairs]

    @property
    def n_rows(self) -> int:
        return int(self.counts.sum())


def frequency_table(row_codes: Sequence[np.ndarray], sensitive_codes: Sequence[tuple[str, np.ndarray, int]] = ()) \
        -> tuple[FrequencyTable, np.ndarray]:
    """Aggregate rows (level-0 codes per quasi-identifier) to distinct tuples; also returns each row's tuple."""
    key, _ = _combine(list(row_codes), [int(c.max()) + 1 if len(c) else 1 for c in row_codes])
    uniq, first, inverse, counts = np.unique(key, return_index=True, return_inverse=True, return_counts=True)
    tuples = np.stack([c[first] for c in row_codes], axis=1) if row_codes else np.empty((len(uniq), 0))
    pairs = []
    for name, values, n_values in sensitive_codes:
        pair_key = inverse.astype(np.int64) * n_values + values
        pk, pc = np.unique(pair_key, return_counts=True)
        pairs.append(SensitivePairs(name=name, tuple_index=pk // n_values, value=pk % n_values, count=pc,
                                    n_values=n_values))
    return FrequencyTable(tuples=tuples, counts=counts.astype(np.int64), sensitive=pairs), inverse


def _combine(columns: list[np.ndarray], sizes: list[int]) -> tuple[np.ndarray, int]:
    """Mixed-radix key of several code columns, densified whenever the radix would overflow int64."""
    key = np.zeros(len(columns[0]) if columns else 0, dtype=np.int64)
    radix = 1
    for col, size in zip(columns, sizes, strict=True):
        if radix * size >= 1 << 62:
            uniq, key = np.unique(key, return_inverse=True)
            key = key.astype(np.int64)
            radix = len(uniq)
        key = key * size + col
        radix *= size
    return key, radix


@dataclass(frozen=True)
class Models:
    k: int
    l: int | None = None  # noqa: E741 — the name of the privacy model
    l_kind: str = "distinct"
    max_suppressed_rows: int = 0


@dataclass
class NodeEvaluation:
    levels: tuple[int, ...]
    satisfied: bool
    monotone_satisfied: bool
    suppressed_rows: int
    loss: float


@dataclass
class Classes:
    """The equivalence classes of a node: class of each distinct tuple, class sizes, classes that fail."""

    of_tuple: np.ndarray
    sizes: np.ndarray
    failing: np.ndarray
    monotone_failing: np.ndarray
    min_distinct: np.ndarray | None = None
    min_entropy: np.ndarray | None = None


@dataclass
class SearchResult:
    best: NodeEvaluation | None
    nodes_total: int
    nodes_checked: int
    closest: NodeEvaluation | None = None
    evaluations: list[NodeEvaluation] = field(default_factory=list)


class Lattice:
    """The generalisation lattice over a frequency table, with node evaluation and the optimal search."""

    def __init__(self, table: FrequencyTable, columns: list[QuasiColumn], models: Models) -> None:
        self.table = table
        self.columns = columns
        self.models = models
        self.heights = np.array([c.height for c in columns], dtype=np.int64)
        self.n_nodes = int(np.prod(self.heights + 1))
        if self.n_nodes > MAX_LATTICE_NODES:
            raise Invalid(f"the generalisation lattice has {self.n_nodes:,} nodes (more than "
                          f"{MAX_LATTICE_NODES:,}): use fewer quasi-identifiers or shorter hierarchies",
                          field="columns")
        n, m = table.n_rows, len(columns)
        self._norm = float(n * m) if n and m else 1.0
        # Per column and level: the summed cell loss of all records, the separable part of the bound.
        self._level_loss = [np.array([float(np.dot(table.counts, c.cell_loss[lev][c.codes[lev][table.tuples[:, j]]]))
                                      for lev in range(c.height + 1)]) for j, c in enumerate(columns)]

    # One node

    def lower_bound(self, levels: Sequence[int]) -> float:
        return sum(self._level_loss[j][lev] for j, lev in enumerate(levels)) / self._norm

    def classes(self, levels: Sequence[int], *, diversity: bool = False) -> Classes:
        """Equivalence classes of the node and which of them fail the privacy models.

        With `diversity`, the distinct and entropy diversity of every class is computed whatever the models.
        """
        t = self.table
        gen = [c.codes[lev][t.tuples[:, j]] for j, (c, lev) in enumerate(zip(self.columns, levels, strict=True))]
        key, radix = _combine(gen, [c.size(lev) for c, lev in zip(self.columns, levels, strict=True)])
        if radix > DIRECT_BINS and radix > 2 * len(key):
            _, key = np.unique(key, return_inverse=True)
            radix = int(key.max()) + 1 if len(key) else 0
        of_tuple = key
        sizes = np.bincount(of_tuple, weights=t.counts, minlength=radix).astype(np.int64)
        failing = sizes < self.models.k
        min_distinct = min_entropy = None
        entropy_wanted = diversity or self.models.l_kind == "entropy"
        if self.models.l is not None or diversity:
            for pairs in t.sensitive:
                distinct, entropy = self._diversity(of_tuple[pairs.tuple_index], pairs, sizes, radix, entropy_wanted)
                min_distinct = distinct if min_distinct is None else np.minimum(min_distinct, distinct)
                if entropy is not None:
                    min_entropy = entropy if min_entropy is None else np.minimum(min_entropy, entropy)
        if self.models.l is not None and min_distinct is not None:
            failing |= min_distinct < self.models.l
        monotone_failing = failing.copy()
        if self.models.l is not None and self.models.l_kind == "entropy" and min_entropy is not None:
            failing |= min_entropy < math.log(self.models.l) - EPS
        # Empty bins (ids no tuple maps to) are not classes; keep them out of the failing set.
        empty = sizes == 0
        failing[empty] = False
        monotone_failing[empty] = False
        return Classes(of_tuple=of_tuple, sizes=sizes, failing=failing, monotone_failing=monotone_failing,
                       min_distinct=min_distinct, min_entropy=min_entropy)

    @staticmethod
    def _diversity(pair_class: np.ndarray, pairs: SensitivePairs, sizes: np.ndarray, radix: int,
                   entropy_wanted: bool) -> tuple[np.ndarray, np.ndarray | None]:
        combined = pair_class * pairs.n_values + pairs.value
        if radix * pairs.n_values <= DIRECT_BINS:
            grid = np.bincount(combined, weights=pairs.count, minlength=radix * pairs.n_values)
            grid = grid.reshape(radix, pairs.n_values)
            distinct = (grid > 0).sum(axis=1)
            if not entropy_wanted:
                return distinct, None
            with np.errstate(divide="ignore", invalid="ignore"):
                p = grid / sizes[:, None]
                terms = np.where(grid > 0, -p * np.log(np.where(grid > 0, p, 1.0)), 0.0)
            return distinct, terms.sum(axis=1)
        uniq, inverse = np.unique(combined, return_inverse=True)
        cls = uniq // pairs.n_values
        distinct = np.bincount(cls, minlength=radix)
        if not entropy_wanted:
            return distinct, None
        c = np.bincount(inverse, weights=pairs.count, minlength=len(uniq))
        p = c / sizes[cls]
        return distinct, np.bincount(cls, weights=-p * np.log(p), minlength=radix)

    def evaluate(self, levels: Sequence[int]) -> NodeEvaluation:
        cls = self.classes(levels)
        suppressed = int(cls.sizes[cls.failing].sum())
        monotone_suppressed = int(cls.sizes[cls.monotone_failing].sum())
        limit = self.models.max_suppressed_rows
        loss = self.lower_bound(levels)
        if suppressed:
            m = len(self.columns)
            t = self.table
            mask = cls.failing[cls.of_tuple]
            cell = np.zeros(int(mask.sum()))
            for j, (c, lev) in enumerate(zip(self.columns, levels, strict=True)):
                cell += c.cell_loss[lev][c.codes[lev][t.tuples[mask, j]]]
            loss += float(np.dot(t.counts[mask], m - cell)) / self._norm
        return NodeEvaluation(levels=tuple(int(v) for v in levels), satisfied=suppressed <= limit,
                              monotone_satisfied=monotone_suppressed <= limit, suppressed_rows=suppressed,
                              loss=loss)

    # The search

    def node_levels(self) -> np.ndarray:
        """Every node of the lattice as a row of levels (row i is node i in mixed radix)."""
        grids = np.indices(tuple(int(h) + 1 for h in self.heights)).reshape(len(self.heights), -1).T
        return grids.astype(np.int8 if self.heights.max(initial=0) < 127 else np.int64)

    def search(self, progress: Callable[[int], None] | None = None) -> SearchResult:
        """The least-loss node that satisfies the models (None when none does), visiting as few as it can."""
        levels = self.node_levels()
        n_nodes, m = levels.shape
        bound = np.zeros(n_nodes)
        for j in range(m):
            bound += self._level_loss[j][levels[:, j]]
        bound /= self._norm
        height = levels.sum(axis=1, dtype=np.int64)
        order = np.lexsort((np.arange(n_nodes), height, bound))
        strides = np.ones(m, dtype=np.int64)
        for j in range(m - 2, -1, -1):
            strides[j] = strides[j + 1] * (self.heights[j + 1] + 1)

        unknown, passes, fails = 0, 1, 2
        status = np.zeros(n_nodes, dtype=np.int8)
        done = np.zeros(n_nodes, dtype=bool)
        result = SearchResult(best=None, nodes_total=n_nodes, nodes_checked=0)

        def better(ev: NodeEvaluation, than: NodeEvaluation | None) -> bool:
            if than is None:
                return True
            if abs(ev.loss - than.loss) > EPS:
                return ev.loss < than.loss
            return (sum(ev.levels), ev.levels) < (sum(than.levels), than.levels)

        def run(node: int) -> NodeEvaluation:
            ev = self.evaluate(levels[node])
            done[node] = True
            result.nodes_checked += 1
            result.evaluations.append(ev)
            if ev.monotone_satisfied:
                status[np.all(levels >= levels[node], axis=1) & (status == unknown)] = passes
            else:
                status[np.all(levels <= levels[node], axis=1)] = fails
            status[node] = passes if ev.monotone_satisfied else fails
            if ev.satisfied and better(ev, result.best):
                result.best = ev
            if result.closest is None or ev.suppressed_rows < result.closest.suppressed_rows:
                result.closest = ev
            if progress:
                progress(result.nodes_checked)
            return ev

        for node in order:
            if result.best is not None and bound[node] >= result.best.loss - EPS:
                break
            while not done[node] and status[node] != fails:
                if status[node] == passes:
                    run(node)
                    break
                path = [int(node)]
                while True:
                    cur = path[-1]
                    succ = [cur + int(strides[j]) for j in range(m) if levels[cur, j] < self.heights[j]]
                    succ = [s for s in succ if status[s] == unknown and not done[s]]
                    if not succ:
                        break
                    path.append(min(succ, key=lambda s: (bound[s], s)))
                lo, hi = 0, len(path) - 1
                while lo <= hi:
                    mid = (lo + hi) // 2
                    if status[path[mid]] == unknown and not done[path[mid]]:
                        run(path[mid])
                    if status[path[mid]] == passes:
                        hi = mid - 1
                    else:
                        lo = mid + 1
        return result

    def brute_force(self) -> SearchResult:
        """Evaluate every node; the reference the search is tested against."""
        result = SearchResult(best=None, nodes_total=self.n_nodes, nodes_checked=0)
        for row in self.node_levels():
            ev = self.evaluate(row)
            result.nodes_checked += 1
            result.evaluations.append(ev)
            if ev.satisfied and (result.best is None or ev.loss < result.best.loss - EPS):
                result.best = ev
        return result
