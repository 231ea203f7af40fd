"""Small-cell rules for tables that are not differentially private (what a non-case role may see).

Two methods:

- *suppress*: a count from 1 to threshold − 1 is withheld (shown as missing). Where totals along a
  dimension are known (or published next to the table), a single withheld cell in a row could be worked
  out by subtraction, so every group along each dimension that has exactly one withheld cell gets its
  smallest other non-zero cell withheld too (secondary suppression), repeated until no group has one.
- *round*: every count is rounded to the nearest multiple of `base`, so that no published figure shows a
  count below `base / 2` exactly (and counts from 1 to base / 2 show as 0).

Zero cells stay zero: a structural zero discloses nothing about a person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from crossroads.kit.errors import Invalid


@dataclass(frozen=True)
class ProtectedTable:
    frame: pd.DataFrame
    method: str
    threshold: int
    primary: int
    secondary: int

    def summary(self) -> dict[str, Any]:
        return {"method": self.method, "threshold": self.threshold, "cells": len(self.frame),
                "primary_suppressed": self.primary, "secondary_suppressed": self.secondary}


def protect_small_cells(table: pd.DataFrame, *, dimensions: Sequence[str] | None = None, count: str = "count",
                        method: Literal["suppress", "round"] = "suppress", threshold: int = 5,
                        base: int = 5) -> ProtectedTable:
    """Apply the small-cell rule to a table of counts; the count column becomes nullable integers."""
    if count not in table.columns:
        raise Invalid(f"the table has no column {count!r}", field="count")
    if threshold < 1:
        raise Invalid("threshold must be at least 1", field="threshold")
    dims = list(dimensions) if dimensions is not None else [c for c in table.columns if c != count]
    unknown = [d for d in dims if d not in table.columns]
    if unknown:
        raise Invalid(f"the table has no column {unknown[0]!r}", field="dimensions")
    values = pd.to_numeric(table[count], errors="coerce")
    if values.isna().any() or (values < 0).any():
        raise Invalid(f"{count}: every count must be a non-negative number", field="count")
    counts = values.to_numpy(dtype=np.int64)
    out = table.copy()
    if method == "round":
        if base < 1:
            raise Invalid("base must be at least 1", field="base")
        # Half-up rounding (numpy's round is half-to-even, which would publish 2.5 * base oddly).
        out[count] = pd.array(((counts + base // 2) // base) * base, dtype="Int64")
        return ProtectedTable(frame=out, method="round", threshold=base, primary=0, secondary=0)
    if method != "suppress":
        raise Invalid("method must be suppress or round", field="method")
    hidden = (counts > 0) & (counts < threshold)
    primary = int(hidden.sum())
    hidden = _secondary(table, dims, counts, hidden)
    out[count] = pd.array(np.where(hidden, 0, counts), dtype="Int64")
    out.loc[hidden, count] = pd.NA
    return ProtectedTable(frame=out, method="suppress", threshold=threshold, primary=primary,
                          secondary=int(hidden.sum()) - primary)


def _secondary(table: pd.DataFrame, dims: list[str], counts: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    hidden = hidden.copy()
    if len(dims) == 0:
        return hidden
    # A group along dimension d: the cells that share every other dimension (for one dimension, the table).
    groupings = []
    for d in dims:
        others = [o for o in dims if o != d]
        groupings.append(table.groupby(others, sort=False).ngroup().to_numpy() if others
                         else np.zeros(len(table), dtype=np.int64))
    changed = True
    while changed:
        changed = False
        for group in groupings:
            n_groups = int(group.max()) + 1 if len(group) else 0
            per_group = np.bincount(group, weights=hidden, minlength=n_groups)
            for g in np.flatnonzero(per_group == 1):
                candidates = np.flatnonzero((group == g) & ~hidden & (counts > 0))
                if len(candidates):
                    hidden[candidates[np.argmin(counts[candidates])]] = True
                    changed = True
    return hidden
