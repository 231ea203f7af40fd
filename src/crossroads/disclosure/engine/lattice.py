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
import pandas as pd

from crossroads.kit.errors import Invalid

MAX_LATTICE_NODES = 20_000_000
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
    codes: list[np.ndarray] = []
    labels: list[np.ndarray] = []
    losses: list[np.ndarray] = []
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
    """Distinct quasi-identifier tuples (level-0 codes, one row per column) with their record counts."""

    tuples: np.ndarray
    counts: np.ndarray
    sensitive: list[SensitivePairs]

    @property
    def n_rows(self) -> int:
        return int(self.counts.sum())


def frequency_table(row_codes: Sequence[np.ndarray], sensitive_codes: Sequence[tuple[str, np.ndarray, int]] = ()) \
        -> tuple[FrequencyTable, np.ndarray]:
    """Aggregate rows (level-0 codes per quasi-identifier) to distinct tuples; also returns each row's tuple."""
    key, radix = _combine(list(row_codes), [int(c.max()) + 1 if len(c) else 1 for c in row_codes])
    inverse, n_tuples = _dense(key, radix)
    counts = np.bincount(inverse, minlength=n_tuples).astype(np.int64)
    first = np.empty(n_tuples, dtype=np.int64)
    first[inverse[::-1]] = np.arange(len(inverse) - 1, -1, -1)
    # One contiguous row per column: node evaluation gathers whole columns.
    tuples = np.stack([c[first] for c in row_codes], axis=0).astype(np.int32)
    pairs = []
    for name, values, n_values in sensitive_codes:
        pair, n_pairs = _dense(inverse * n_values + values, radix=n_tuples * n_values)
        keys = np.empty(n_pairs, dtype=np.int64)
        keys[pair] = inverse * n_values + values
        pairs.append(SensitivePairs(name=name, tuple_index=keys // n_values, value=keys % n_values,
                                    count=np.bincount(pair, minlength=n_pairs).astype(np.int64), n_values=n_values))
    return FrequencyTable(tuples=tuples, counts=counts, sensitive=pairs), inverse


def _dense(key: np.ndarray, radix: int | None) -> tuple[np.ndarray, int]:
    """Dense ids 0..n-1 for the distinct values of a non-negative integer array below `radix`.

    Below a small radix, occupancy counting (O(n + radix)) is several times faster than hashing; above it,
    pandas' hash table (O(n)) beats sorting with np.unique.
    """
    if radix is not None and radix <= 4 * len(key) + 4096:
        occupied = np.bincount(key, minlength=radix) > 0
        remap = np.cumsum(occupied) - 1
        return remap[key], int(occupied.sum())
    codes, uniques = pd.factorize(key, sort=False)
    return codes.astype(np.int64, copy=False), len(uniques)


def _combine(columns: list[np.ndarray], sizes: list[int]) -> tuple[np.ndarray, int]:
    """Mixed-radix key of several code columns, densified whenever the radix would overflow int64."""
    key = np.zeros(len(columns[0]) if columns else 0, dtype=np.int64)
    radix = 1
    for col, size in zip(columns, sizes, strict=True):
        if radix * size >= 1 << 62:
            key, radix = _dense(key, radix=None)
        np.multiply(key, size, out=key)
        np.add(key, col, out=key)
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
    """One evaluated node; `loss` is exact for nodes that pass and the lower bound for those that fail."""

    levels: tuple[int, ...]
    satisfied: bool
    monotone_satisfied: bool
    suppressed_rows: int
    loss: float


@dataclass
class Classes:
    """The equivalence classes of a node over the rows of its source (distinct tuples, or a coarser snapshot)."""

    of_tuple: np.ndarray
    sizes: np.ndarray
    failing: np.ndarray
    monotone_failing: np.ndarray
    min_distinct: np.ndarray | None = None
    min_entropy: np.ndarray | None = None


@dataclass(eq=False)
class _Snapshot:
    """The classes of an evaluated node, kept so that its generalisations are computed from its classes
    (fewer rows) instead of from all distinct tuples — ARX keeps such snapshots for the same reason."""

    levels: np.ndarray
    reps: np.ndarray
    counts: np.ndarray
    pairs: list[tuple[np.ndarray, np.ndarray, np.ndarray, int]]
    # Set while the representatives are still those of the source (gathered only when the snapshot is kept).
    first: np.ndarray | None = None

    @property
    def size(self) -> int:
        return len(self.counts)


@dataclass
class SearchResult:
    best: NodeEvaluation | None
    nodes_total: int
    nodes_checked: int
    closest: NodeEvaluation | None = None
    evaluations: list[NodeEvaluation] = field(default_factory=list)


MAX_SNAPSHOTS = 24
# A snapshot is only worth keeping when it is clearly smaller than the table it would replace.
SNAPSHOT_SHARE = 0.5
# Below this many (class, value) cells, diversity is counted on a dense grid instead of by hashing.
GRID_CELLS = 1 << 20


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
        self._base = _Snapshot(levels=np.zeros(m, dtype=np.int64), reps=table.tuples, counts=table.counts,
                               pairs=[(p.tuple_index, p.value, p.count, p.n_values) for p in table.sensitive])
        self._snapshots: list[_Snapshot] = []
        # The distinct tuples' codes at every level, gathered once: most evaluations near the bottom of the
        # lattice start from the distinct tuples, and this spares them a gather per column.
        self._base_codes = [[c.codes[lev][table.tuples[j]].astype(np.int32) for lev in range(c.height + 1)]
                            for j, c in enumerate(columns)]
        # Per column and level: the summed cell loss of all records, the separable part of the bound.
        self._level_loss = [np.array([float(np.dot(table.counts, c.cell_loss[lev][self._base_codes[j][lev]]))
                                      for lev in range(c.height + 1)]) for j, c in enumerate(columns)]

    # One node

    def lower_bound(self, levels: Sequence[int] | np.ndarray) -> float:
        bound: float = sum(self._level_loss[j][lev] for j, lev in enumerate(levels)) / self._norm
        return bound

    def classes(self, levels: Sequence[int], *, diversity: bool = False) -> Classes:
        """Equivalence classes of the node (`of_tuple` indexes the distinct tuples) and which of them fail.

        With `diversity`, the distinct and entropy diversity of every class is computed whatever the models.
        """
        return self._classes(self._base, np.asarray(levels, dtype=np.int64), diversity=diversity)[0]

    def _classes(self, source: _Snapshot, levels: np.ndarray, *, diversity: bool = False) \
            -> tuple[Classes, list[np.ndarray], np.ndarray, _Snapshot]:
        if source is self._base:
            gen = [self._base_codes[j][lev] for j, lev in enumerate(levels)]
        else:
            gen = [c.codes[lev][source.reps[j]] for j, (c, lev) in enumerate(zip(self.columns, levels, strict=True))]
        key, radix = _combine(gen, [c.size(lev) for c, lev in zip(self.columns, levels, strict=True)])
        of, n_classes = _dense(key, radix)
        sizes = np.bincount(of, weights=source.counts, minlength=n_classes).astype(np.int64)
        # One source row per class (any will do: they share the generalised codes).
        first = np.empty(n_classes, dtype=np.int64)
        first[of] = np.arange(len(of))
        failing = sizes < self.models.k
        min_distinct = min_entropy = None
        entropy_wanted = diversity or self.models.l_kind == "entropy"
        pairs_out = []
        for idx, value, count, n_values in source.pairs:
            combined = of[idx] * n_values + value
            if n_classes * n_values <= GRID_CELLS:
                grid = np.bincount(combined, weights=count, minlength=n_classes * n_values)
                cells = np.flatnonzero(grid)
                agg = grid[cells]
            else:
                cell_ids, n_cells = _dense(combined, n_classes * n_values)
                cells = np.empty(n_cells, dtype=np.int64)
                cells[cell_ids] = combined
                agg = np.bincount(cell_ids, weights=count, minlength=n_cells)
            cls = cells // n_values
            pairs_out.append((cls, cells % n_values, agg.astype(np.int64), n_values))
            if self.models.l is None and not diversity:
                continue
            distinct = np.bincount(cls, minlength=n_classes)
            min_distinct = distinct if min_distinct is None else np.minimum(min_distinct, distinct)
            if entropy_wanted:
                p = agg / sizes[cls]
                entropy = np.bincount(cls, weights=-p * np.log(p), minlength=n_classes)
                min_entropy = entropy if min_entropy is None else np.minimum(min_entropy, entropy)
        if self.models.l is not None and min_distinct is not None:
            failing |= min_distinct < self.models.l
        monotone_failing = failing.copy()
        if self.models.l is not None and self.models.l_kind == "entropy" and min_entropy is not None:
            failing |= min_entropy < math.log(self.models.l) - EPS
        snapshot = _Snapshot(levels=levels, reps=source.reps, counts=sizes, pairs=pairs_out, first=first)
        return (Classes(of_tuple=of, sizes=sizes, failing=failing, monotone_failing=monotone_failing,
                        min_distinct=min_distinct, min_entropy=min_entropy), gen, first, snapshot)

    def _source(self, levels: np.ndarray) -> _Snapshot:
        """The smallest kept snapshot this node generalises (the distinct tuples when there is none)."""
        best = self._base
        for snap in self._snapshots:
            if snap.size < best.size and np.all(snap.levels <= levels):
                best = snap
        return best

    def _keep(self, snapshot: _Snapshot) -> None:
        if snapshot.size > SNAPSHOT_SHARE * self._base.size:
            return
        if snapshot.first is not None:
            snapshot.reps = snapshot.reps[:, snapshot.first]
            snapshot.first = None
        self._snapshots.append(snapshot)
        if len(self._snapshots) > MAX_SNAPSHOTS:
            largest = max(range(len(self._snapshots)), key=lambda i: self._snapshots[i].size)
            del self._snapshots[largest]

    def evaluate(self, levels: Sequence[int], *, use_snapshots: bool = True) -> NodeEvaluation:
        """Classes, suppression and loss of one node (rolled up from a kept snapshot unless told otherwise)."""
        lv = np.asarray(levels, dtype=np.int64)
        source = self._source(lv) if use_snapshots else self._base
        cls, gen, first, snapshot = self._classes(source, lv)
        if use_snapshots:
            self._keep(snapshot)
        suppressed = int(cls.sizes[cls.failing].sum())
        monotone_suppressed = int(cls.sizes[cls.monotone_failing].sum())
        limit = self.models.max_suppressed_rows
        loss = self.lower_bound(lv)
        # The loss only matters for nodes that pass; for the others the bound stands in.
        if suppressed and suppressed <= limit:
            # A suppressed record costs 1 per cell instead of its generalised cell loss; per class, not per row.
            failing = np.flatnonzero(cls.failing)
            rows = first[failing]
            cell = np.zeros(len(failing))
            for j, (c, lev) in enumerate(zip(self.columns, lv, strict=True)):
                cell += c.cell_loss[lev][gen[j][rows]]
            loss += float(np.dot(cls.sizes[failing], len(self.columns) - cell)) / self._norm
        return NodeEvaluation(levels=tuple(int(v) for v in lv), satisfied=suppressed <= limit,
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
        """Evaluate every node from the distinct tuples; the reference the search is tested against."""
        result = SearchResult(best=None, nodes_total=self.n_nodes, nodes_checked=0)
        for row in self.node_levels():
            ev = self.evaluate(row, use_snapshots=False)
            result.nodes_checked += 1
            result.evaluations.append(ev)
            if ev.satisfied and (result.best is None or ev.loss < result.best.loss - EPS):
                result.best = ev
        return result
