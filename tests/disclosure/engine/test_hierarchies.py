"""Generalisation hierarchies: labels per level, nesting, and values they cannot generalise."""

from __future__ import annotations

import numpy as np
import pytest

from crossroads.disclosure.engine.hierarchies import HierarchyError, build_levels, m49_table
from crossroads.disclosure.engine.spec import (
    DateHierarchy,
    IntervalHierarchy,
    M49Hierarchy,
    MappingHierarchy,
    SuppressHierarchy,
)


def levels_of(hierarchy, values):
    built = build_levels("col", hierarchy, np.array(values, dtype=object))
    return built.names, [list(level) for level in built.labels]


def is_nested(labels: list[list[str]]) -> bool:
    return all(len({(a, b) for a, b in zip(lo, hi, strict=True)}) == len(set(lo))
               for lo, hi in zip(labels, labels[1:], strict=False))


class TestInterval:
    def test_bands_of_widths_that_divide_each_other_are_aligned(self):
        names, labels = levels_of(IntervalHierarchy(type="interval", widths=[5, 10, 20]),
                                  ["18", "19", "23", "44", "80"])
        assert names == ["value", "width 5", "width 10", "width 20", "suppressed"]
        assert labels[1] == ["15-19", "15-19", "20-24", "40-44", "80-84"]
        assert labels[2] == ["10-19", "10-19", "20-29", "40-49", "80-89"]
        assert labels[3] == ["0-19", "0-19", "20-39", "40-59", "80-99"]
        assert labels[4] == ["*"] * 5

    def test_widths_that_do_not_divide_stay_nested(self):
        years = [str(y) for y in range(2010, 2030)]
        _, labels = levels_of(IntervalHierarchy(type="interval", widths=[2, 5]), years)
        assert labels[1][:4] == ["2010-2011", "2010-2011", "2012-2013", "2012-2013"]
        assert is_nested(labels)
        # Each 5-wide band starts at the first 2-year boundary at or after a multiple of 5.
        assert labels[2][years.index("2020")] == labels[2][years.index("2025")] == "2020-2025"
        assert labels[2][years.index("2026")] == "2026-2029"

    def test_decimal_values_get_half_open_labels(self):
        _, labels = levels_of(IntervalHierarchy(type="interval", widths=[2.5]), ["1.2", "3.9"])
        assert labels[1] == ["[0, 2.5)", "[2.5, 5)"]

    def test_missing_values_stay_missing_below_suppression(self):
        _, labels = levels_of(IntervalHierarchy(type="interval", widths=[5]), ["", "7"])
        assert labels[1] == ["", "5-9"] and labels[2] == ["*", "*"]

    @pytest.mark.parametrize("value", ["twelve", "inf"])
    def test_a_value_that_is_no_finite_number_is_named(self, value):
        with pytest.raises(HierarchyError) as caught:
            levels_of(IntervalHierarchy(type="interval", widths=[5]), ["3", value])
        assert caught.value.value == value and caught.value.field == "col"
        assert value not in caught.value.message and "value" not in caught.value.extra


class TestDate:
    def test_day_month_quarter_year(self):
        names, labels = levels_of(DateHierarchy(type="date"), ["2024-03-05", "2023-12-31"])
        assert names == ["value", "month", "quarter", "year", "suppressed"]
        assert labels[1:4] == [["2024-03", "2023-12"], ["2024-Q1", "2023-Q4"], ["2024", "2023"]]

    def test_levels_can_be_skipped(self):
        names, labels = levels_of(DateHierarchy(type="date", levels=["quarter"]), ["2024-08-01"])
        assert names == ["value", "quarter", "suppressed"] and labels[1] == ["2024-Q3"]

    def test_a_value_that_is_no_date_is_refused_without_quoting_it(self):
        with pytest.raises(HierarchyError, match="col: not a date") as caught:
            levels_of(DateHierarchy(type="date"), ["31/12/2023"])
        assert caught.value.value == "31/12/2023" and "31/12/2023" not in caught.value.message


class TestM49:
    def test_country_sub_region_region(self):
        names, labels = levels_of(M49Hierarchy(type="m49"), ["NGA", "GBR", "SYR", "HTI"])
        assert names == ["value", "sub_region", "region", "suppressed"]
        assert labels[1] == ["Sub-Saharan Africa", "Northern Europe", "Western Asia", "Latin America and the Caribbean"]
        assert labels[2] == ["Africa", "Europe", "Asia", "Americas"]

    def test_intermediate_regions_fall_back_to_the_sub_region(self):
        _, labels = levels_of(M49Hierarchy(type="m49", levels=["intermediate_region", "sub_region", "region"]),
                              ["NGA", "GBR"])
        assert labels[1] == ["Western Africa", "Northern Europe"]
        assert is_nested(labels)

    def test_the_table_covers_every_iso_country(self):
        import pycountry

        assert {c.alpha_3 for c in pycountry.countries} - set(m49_table()) <= {"TWN"}

    def test_an_unknown_code_is_refused_without_quoting_it(self):
        with pytest.raises(HierarchyError, match="col: not an ISO 3166 alpha-3") as caught:
            levels_of(M49Hierarchy(type="m49"), ["NGA", "XYZ"])
        assert caught.value.value == "XYZ" and "XYZ" not in caught.value.message


class TestMapping:
    def test_levels_map_labels_of_the_level_below(self):
        hierarchy = MappingHierarchy(type="mapping", levels=[
            {"known": ["family", "friend"], "stranger": "stranger"}, {"known": "any", "stranger": "any"}])
        names, labels = levels_of(hierarchy, ["family", "stranger", "friend"])
        assert names == ["value", "mapping 1", "mapping 2", "suppressed"]
        assert labels[1] == ["known", "stranger", "known"] and labels[2] == ["any"] * 3

    def test_an_unmapped_value_is_named(self):
        hierarchy = MappingHierarchy(type="mapping", levels=[{"known": ["family"]}])
        with pytest.raises(HierarchyError, match="no label for this value") as caught:
            levels_of(hierarchy, ["family", "cousin"])
        assert caught.value.value == "cousin" and "cousin" not in caught.value.message


class TestSuppress:
    def test_value_then_suppressed(self):
        names, labels = levels_of(SuppressHierarchy(type="suppress"), ["F", "M"])
        assert names == ["value", "suppressed"] and labels == [["F", "M"], ["*", "*"]]
