"""The lattice search: optimal against brute force, pruning, nesting and node evaluation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crossroads.disclosure.engine.hierarchies import build_levels
from crossroads.disclosure.engine.lattice import Lattice, Models, frequency_table, quasi_column
from crossroads.disclosure.engine.spec import IntervalHierarchy, MappingHierarchy, SuppressHierarchy
from crossroads.kit.errors import Invalid


def lattice_for(seed: int, models: Models | None = None) -> Lattice:
    """A random small table: 2-4 quasi-identifiers of random cardinality, one sensitive column."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(40, 400))
    columns, codes = [], []
    for j in range(int(rng.integers(2, 5))):
        values = pd.Series(rng.integers(0, int(rng.integers(2, 30)), n).astype(str))
        code, uniques = pd.factorize(values)
        hierarchy = IntervalHierarchy(type="interval", widths=[2, 4, 8]) if rng.random() < 0.6 \
            else SuppressHierarchy(type="suppress")
        levels = build_levels(f"q{j}", hierarchy, np.asarray(uniques, dtype=object))
        columns.append(quasi_column(f"q{j}", levels.names, levels.labels))
        codes.append(code.astype(np.int64))
    sensitive = rng.integers(0, int(rng.integers(1, 5)), n)
    table, _ = frequency_table(codes, [("s", sensitive, int(sensitive.max()) + 1)])
    if models is None:
        models = Models(k=int(rng.integers(2, 8)), l=[None, 2, 3][int(rng.integers(0, 3))],
                        l_kind=str(rng.choice(["distinct", "entropy"])),
                        max_suppressed_rows=int(n * rng.choice([0, 0.02, 0.1, 0.3])))
    return Lattice(table, columns, models)


class TestSearch:
    @pytest.mark.parametrize("seed", range(60))
    def test_finds_the_least_loss_node_brute_force_finds(self, seed):
        lattice = lattice_for(seed)
        found, reference = lattice.search(), lattice.brute_force()
        assert (found.best is None) == (reference.best is None)
        if reference.best is not None:
            assert found.best.satisfied
            assert found.best.loss == pytest.approx(reference.best.loss, abs=1e-12)

    def test_checks_fewer_nodes_than_the_lattice_has(self):
        checked = [lattice_for(seed).search() for seed in range(30)]
        assert sum(r.nodes_checked for r in checked) < 0.6 * sum(r.nodes_total for r in checked)

    def test_entropy_l_diversity_with_suppression_is_still_optimal(self):
        for seed in range(20):
            lattice = lattice_for(seed)
            lattice = Lattice(lattice.table, lattice.columns,
                              Models(k=3, l=2, l_kind="entropy", max_suppressed_rows=lattice.table.n_rows // 10))
            found, reference = lattice.search(), lattice.brute_force()
            assert (found.best is None) == (reference.best is None)
            if reference.best:
                assert found.best.loss == pytest.approx(reference.best.loss, abs=1e-12)

    def test_no_node_passes_when_the_data_is_smaller_than_k(self):
        lattice = lattice_for(1)
        lattice = Lattice(lattice.table, lattice.columns, Models(k=lattice.table.n_rows + 1))
        result = lattice.search()
        assert result.best is None
        assert result.closest is not None and result.closest.suppressed_rows == lattice.table.n_rows


class TestEvaluate:
    def test_suppression_loss_and_classes_of_a_tiny_table(self):
        # Ages 1, 2, 3, 12 and sexes F, F, F, M: at (width 5, value) the classes are {1,2,3 F} and {12 M}.
        ages = pd.Series(["1", "2", "3", "12"])
        sexes = pd.Series(["F", "F", "F", "M"])
        columns, codes = [], []
        for name, values, hierarchy in (("age", ages, IntervalHierarchy(type="interval", widths=[5])),
                                        ("sex", sexes, SuppressHierarchy(type="suppress"))):
            code, uniques = pd.factorize(values)
            levels = build_levels(name, hierarchy, np.asarray(uniques, dtype=object))
            columns.append(quasi_column(name, levels.names, levels.labels))
            codes.append(code.astype(np.int64))
        table, _ = frequency_table(codes)
        lattice = Lattice(table, columns, Models(k=2, max_suppressed_rows=1))
        ev = lattice.evaluate((1, 0))
        assert ev.satisfied and ev.suppressed_rows == 1
        # Age cells: 3 records in "0-4" (3 of 4 leaves: loss 2/3) + one suppressed record (1 per cell, 2 cells).
        assert ev.loss == pytest.approx((3 * 2 / 3 + 0 + 2) / 8)
        assert not lattice.evaluate((0, 0)).satisfied
        assert lattice.search().best.levels == (1, 0)

    def test_a_rolled_up_node_matches_one_from_the_distinct_tuples(self):
        lattice = lattice_for(7, Models(k=3, l=2, max_suppressed_rows=20))
        for levels in lattice.node_levels()[::3]:
            lattice.evaluate(tuple(levels))
        for levels in lattice.node_levels():
            a, b = lattice.evaluate(tuple(levels)), lattice.evaluate(tuple(levels), use_snapshots=False)
            assert (a.suppressed_rows, a.satisfied, round(a.loss, 12)) == (b.suppressed_rows, b.satisfied,
                                                                           round(b.loss, 12))


class TestQuasiColumn:
    def test_a_level_that_splits_a_group_below_is_refused(self):
        values = np.array(["a", "b", "c"], dtype=object)
        with pytest.raises(Invalid, match="splits a group"):
            quasi_column("x", ["value", "one", "two", "suppressed"],
                         [values, np.array(["ab", "ab", "c"], dtype=object), np.array(["p", "q", "q"], dtype=object),
                          np.array(["*"] * 3, dtype=object)])

    def test_mapping_hierarchies_are_nested_by_construction(self):
        hierarchy = MappingHierarchy(type="mapping", levels=[{"x": ["a", "b"], "y": ["c"]}, {"z": ["x", "y"]}])
        levels = build_levels("m", hierarchy, np.array(["a", "b", "c"], dtype=object))
        column = quasi_column("m", levels.names, levels.labels)
        assert column.height == 3 and [column.size(i) for i in range(4)] == [3, 2, 1, 1]
