"""Small-cell rules: primary and secondary suppression, rounding."""

from __future__ import annotations

import pandas as pd
import pytest

from crossroads.disclosure.engine.small_cells import protect_small_cells
from crossroads.kit.errors import Invalid


def table(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["office", "sex", "count"])


class TestSuppress:
    def test_cells_under_the_threshold_are_withheld_zeros_kept(self):
        out = protect_small_cells(pd.DataFrame({"office": ["A", "B", "C", "D"], "count": [12, 3, 0, 30]}),
                                  threshold=5)
        counts = out.frame["count"]
        assert pd.isna(counts[1]) and counts.tolist()[2:] == [0, 30]
        # One dimension: the table's total would give the withheld cell away, so the next smallest goes too.
        assert pd.isna(counts[0]) and (out.primary, out.secondary) == (1, 1)

    def test_a_lone_withheld_cell_in_a_row_or_column_takes_a_partner(self):
        rows = [("A", "F", 2), ("A", "M", 40), ("B", "F", 30), ("B", "M", 25), ("C", "F", 10), ("C", "M", 11)]
        out = protect_small_cells(table(rows), threshold=5)
        hidden = {(r.office, r.sex) for r in out.frame.itertuples() if pd.isna(r.count)}
        assert ("A", "F") in hidden
        # Every row and column holding a withheld cell holds at least two.
        for dim in ("office", "sex"):
            per = out.frame.assign(h=out.frame["count"].isna()).groupby(dim)["h"].sum()
            assert ((per == 0) | (per >= 2)).all()
        assert out.primary == 1 and out.secondary >= 2


class TestRound:
    def test_counts_round_half_up_to_the_base(self):
        out = protect_small_cells(pd.DataFrame({"k": ["a", "b", "c", "d"], "count": [2, 3, 7, 12]}), method="round",
                                  base=5)
        assert out.frame["count"].tolist() == [0, 5, 5, 10]


class TestChecks:
    def test_a_negative_count_is_refused(self):
        with pytest.raises(Invalid, match="non-negative") as caught:
            protect_small_cells(pd.DataFrame({"k": ["a"], "count": [-1]}))
        assert caught.value.field == "count"

    def test_a_missing_count_column_is_named(self):
        with pytest.raises(Invalid, match="no column 'n'"):
            protect_small_cells(pd.DataFrame({"k": ["a"], "count": [1]}), count="n")
