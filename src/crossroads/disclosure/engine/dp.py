"""Differentially private counts and histograms by chosen dimensions, through OpenDP.

Two releases, both measurements built and calibrated by OpenDP (the library's proofs carry the guarantee;
this module only encodes the data and reads the result back):

- *Public keys* (every dimension has a key set known without looking at the data: ISO country codes, age
  bands, a fixed list): `make_count_by_categories` then the (discrete) Laplace mechanism — pure ε-DP, every
  cell of the cartesian product released, including zeros; rows outside the keys are counted in one
  noisy "outside the keys" cell.
- *Keys from the data* (any dimension without a public key set): `make_count_by` then
  `make_laplace_threshold` — (ε, δ)-DP, only the cells whose noisy count clears a threshold are released,
  so the mere presence of a rare combination is protected too (δ bounds the chance it leaks).

Rows are encoded to one integer per row before OpenDP sees them: a cell index into the product of the
public key sets, or a keyed hash of the row's values that depends on nothing but those values (so the
encoding is a row-by-row map and adds no sensitivity). OpenDP takes numpy integer arrays without copying
them one by one, which is what makes a million rows take a fraction of a second rather than seconds.

Privacy unit: one row per person by default. When people can have several rows (cases), give the unit
column and `max_contributions`: each person's rows beyond that are dropped (a random subset is kept)
before counting, and the noise is calibrated to that many rows per person.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from crossroads.kit.errors import Invalid

OUTSIDE = "(outside the keys)"
MAX_CELLS = 5_000_000
DEFAULT_ALPHA = 0.05


@dataclass(frozen=True)
class Dimension:
    """A column to count by, with its public key set if it has one.

    `width` bands a numeric column first (labels as in the interval hierarchy: ``20-24``); with `start` and
    `stop` the bands between them are the public keys.
    """

    column: str
    keys: tuple[str, ...] | None = None
    width: int | None = None
    start: int | None = None
    stop: int | None = None

    def public_keys(self) -> tuple[str, ...] | None:
        if self.keys is not None:
            return self.keys
        if self.width is not None and self.start is not None and self.stop is not None:
            return band_keys(self.width, self.start, self.stop)
        return None


@dataclass(frozen=True)
class DPTable:
    """A released table: dimension columns and a noisy `count`, with what it cost and how accurate it is."""

    dimensions: tuple[str, ...]
    frame: pd.DataFrame
    epsilon: float
    delta: float
    mechanism: str
    scale: float
    threshold: int | None
    alpha: float
    accuracy: float
    max_contributions: int
    outside_keys: int | None = None
    rows_dropped_over_contribution: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """What the table cost and how to read it, JSON-ready (no counts)."""
        return {
            "dimensions": list(self.dimensions), "cells": len(self.frame), "mechanism": self.mechanism,
            "epsilon": self.epsilon, "delta": self.delta, "scale": self.scale, "threshold": self.threshold,
            "alpha": self.alpha, "accuracy": self.accuracy,
            "accuracy_statement": (f"each released count is within ±{self.accuracy:g} of the true count with "
                                   f"probability {1 - self.alpha:.0%}"),
            "max_contributions": self.max_contributions, "outside_keys": self.outside_keys,
            "rows_dropped_over_contribution": self.rows_dropped_over_contribution,
            "seconds": self.seconds, "notes": self.notes,
        }


@cache
def country_keys() -> tuple[str, ...]:
    """ISO 3166-1 alpha-3 codes of every country (pycountry): a public key set."""
    import pycountry

    return tuple(sorted(c.alpha_3 for c in pycountry.countries))


def band_keys(width: int, start: int, stop: int) -> tuple[str, ...]:
    """Labels of the bands of `width` from `start` up to `stop` (exclusive), e.g. 0-4, 5-9, ..."""
    if width <= 0 or stop <= start:
        raise Invalid("bands need a positive width and stop above start", field="width")
    return tuple(f"{lo}-{lo + width - 1}" for lo in range(start, stop, width))


def band_label(value: Any, width: int, start: int = 0) -> str | None:
    """The band of `width` (counted from `start`) holding a numeric value, like `band_keys`; None if not numeric."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number):
        return None
    lo = start + math.floor((number - start) / width) * width
    return f"{lo}-{lo + width - 1}"


def _encode(col: pd.Series, dim: Dimension) -> tuple[np.ndarray, np.ndarray]:
    """Codes of each row into the distinct labels (banded if the dimension has a width); -1 where missing."""
    codes, uniques = pd.factorize(col, sort=False, use_na_sentinel=True)
    if dim.width:
        labels = np.array([band_label(u, dim.width, dim.start or 0) for u in uniques], dtype=object)
    else:
        labels = np.array([u if isinstance(u, str) else str(u) for u in uniques], dtype=object)
    missing = np.array([lab is None or lab == "" for lab in labels], dtype=bool)
    if missing.any():
        remap = np.where(missing, -1, np.arange(len(labels)))
        codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
    return codes.astype(np.int64, copy=False), labels


def dp_count_table(frame: pd.DataFrame, dimensions: Sequence[str | Dimension], *, epsilon: float,
                   delta: float = 0.0, alpha: float = DEFAULT_ALPHA, max_contributions: int = 1,
                   privacy_unit: str | None = None, seed: int | None = None) -> DPTable:
    """A DP count of `frame`'s rows by `dimensions`; raises Invalid naming the parameter at fault."""
    import opendp.prelude as dp

    started = time.perf_counter()
    dp.enable_features("contrib")
    dims = [d if isinstance(d, Dimension) else Dimension(column=d) for d in dimensions]
    _check(frame, dims, epsilon, delta, alpha, max_contributions, privacy_unit)
    frame, dropped = _bound_contributions(frame, privacy_unit, max_contributions, seed)
    columns = [_encode(frame[d.column], d) for d in dims]
    names = [d.column for d in dims]
    public = [d.public_keys() for d in dims]
    notes = []
    if all(k is not None for k in public):
        result = _public_release(dp, names, columns, [k for k in public if k is not None], epsilon, max_contributions)
        mechanism, threshold = "laplace", None
        spent_delta = 0.0
        notes.append("noisy counts below zero are shown as zero (post-processing)")
    else:
        if delta <= 0:
            missing = next(d.column for d, k in zip(dims, public, strict=True) if k is None)
            raise Invalid(f"the keys of {missing!r} are not public: give its key set, or a delta > 0 for a "
                          "thresholded release", field="delta")
        result = _threshold_release(dp, names, columns, epsilon, delta, max_contributions)
        mechanism, threshold = "laplace-threshold", result["threshold"]
        spent_delta = result["delta"]
        notes.append(f"cells whose noisy count is below {threshold} are not released")
    accuracy = float(dp.discrete_laplacian_scale_to_accuracy(result["scale"], alpha))
    return DPTable(dimensions=tuple(d.column for d in dims), frame=result["frame"], epsilon=result["epsilon"],
                   delta=spent_delta, mechanism=mechanism, scale=result["scale"], threshold=threshold, alpha=alpha,
                   accuracy=math.floor(accuracy), max_contributions=max_contributions,
                   outside_keys=result.get("outside"), rows_dropped_over_contribution=dropped,
                   seconds=round(time.perf_counter() - started, 4), notes=notes)


def _check(frame: pd.DataFrame, dims: list[Dimension], epsilon: float, delta: float, alpha: float,
           max_contributions: int, privacy_unit: str | None) -> None:
    if not dims:
        raise Invalid("give at least one dimension to count by", field="dimensions")
    for d in dims:
        if d.column not in frame.columns:
            raise Invalid(f"the data has no column {d.column!r}", field="dimensions")
    if len({d.column for d in dims}) < len(dims):
        raise Invalid("a column is given twice", field="dimensions")
    if not (epsilon > 0 and math.isfinite(epsilon)):
        raise Invalid("epsilon must be a positive number", field="epsilon")
    if not 0 <= delta < 1:
        raise Invalid("delta must be at least 0 and below 1", field="delta")
    if not 0 < alpha < 1:
        raise Invalid("alpha must be between 0 and 1", field="alpha")
    if max_contributions < 1:
        raise Invalid("max_contributions must be at least 1", field="max_contributions")
    if privacy_unit is not None and privacy_unit not in frame.columns:
        raise Invalid(f"the data has no column {privacy_unit!r}", field="privacy_unit")


def _bound_contributions(frame: pd.DataFrame, unit: str | None, max_contributions: int, seed: int | None) \
        -> tuple[pd.DataFrame, int]:
    if unit is None:
        return frame, 0
    order = np.random.default_rng(seed).permutation(len(frame))
    shuffled = frame.iloc[order]
    rank = shuffled.groupby(shuffled[unit], sort=False).cumcount().to_numpy()
    kept = shuffled[rank < max_contributions]
    return kept, len(frame) - len(kept)


def _public_release(dp: Any, names: list[str], columns: list[tuple[np.ndarray, np.ndarray]],
                    public: list[tuple[str, ...]], epsilon: float, d_in: int) -> dict[str, Any]:
    sizes = [len(k) for k in public]
    n_cells = math.prod(sizes)
    if n_cells > MAX_CELLS:
        raise Invalid(f"the table would have {n_cells:,} cells (more than {MAX_CELLS:,}): count by fewer "
                      "dimensions or coarser keys", field="dimensions")
    cell = np.zeros(len(columns[0][0]), dtype=np.int64)
    outside = np.zeros(len(cell), dtype=bool)
    for (codes, labels), keys, size in zip(columns, public, sizes, strict=True):
        # Looked up once per distinct value, then gathered for the rows.
        key_of_label = np.append(pd.Index(keys).get_indexer(pd.Index(labels)), -1)
        idx = key_of_label[codes]
        outside |= idx < 0
        cell = cell * size + np.maximum(idx, 0)
    cell[outside] = n_cells
    count = dp.t.make_count_by_categories(dp.vector_domain(dp.atom_domain(T=dp.i64)), dp.symmetric_distance(),
                                          categories=list(range(n_cells)), null_category=True)
    # The counts' L1 sensitivity over the Laplace scale is ε; OpenDP's own map confirms it, and only if its
    # conservative arithmetic lands above ε is the scale searched for (a search costs ~0.1 s of FFI calls).
    scale = float(count.map(d_in)) / epsilon
    measurement = count >> dp.m.then_laplace(scale)
    if measurement.map(d_in) > epsilon:
        scale = dp.binary_search_param(lambda s: dp.m.make_laplace(count.output_domain, count.output_metric, s),
                                       d_in=count.map(d_in), d_out=epsilon)
        measurement = count >> dp.m.then_laplace(scale)
    noisy = np.asarray(measurement(cell), dtype=np.int64)
    grids = np.indices(sizes).reshape(len(sizes), -1)
    frame = pd.DataFrame({name: np.asarray(keys, dtype=object)[grid]
                          for name, keys, grid in zip(names, public, grids, strict=True)})
    frame["count"] = np.maximum(noisy[:n_cells], 0)
    return {"frame": frame, "scale": float(scale), "epsilon": float(measurement.map(d_in)),
            "outside": int(max(noisy[n_cells], 0))}


def _value_hashes(values: Iterable[object]) -> np.ndarray:
    return np.array([int.from_bytes(hashlib.blake2b(str(v).encode("utf-8"), digest_size=8).digest(), "little")
                     for v in values], dtype=np.uint64)


def _threshold_release(dp: Any, names: list[str], columns: list[tuple[np.ndarray, np.ndarray]], epsilon: float,
                       delta: float, d_in: int) -> dict[str, Any]:
    # The key of a row is a hash of its values alone (not of where they sit in this data), so encoding is a
    # row-by-row map; the 63-bit hash leaves collisions negligible for any table that fits in memory.
    key = np.zeros(len(columns[0][0]), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for codes, labels in columns:
            hashes = np.append(_value_hashes(labels), _value_hashes([""]))
            key = key * np.uint64(1_000_003) + hashes[codes]
    key = (key & np.uint64((1 << 63) - 1)).astype(np.int64)
    count = dp.t.make_count_by(dp.vector_domain(dp.atom_domain(T=dp.i64)), dp.symmetric_distance(), TV=dp.i64)

    def make(scale: float, threshold: int) -> Any:
        return count >> dp.m.then_laplace_threshold(scale=scale, threshold=threshold)

    # ε depends on the scale only; the threshold then buys δ.
    scale = dp.binary_search(lambda s: make(s, 1 << 30).map(d_in)[0] <= epsilon, bounds=(1e-6, 1e6), T=float)
    threshold = dp.binary_search(lambda t: make(scale, t).map(d_in)[1] <= delta, bounds=(d_in, 1 << 30), T=int)
    measurement = make(scale, threshold)
    released = measurement(key)
    first = pd.Series(np.arange(len(key))).groupby(key).first()
    rows = first.reindex(list(released.keys())).to_numpy()
    frame = pd.DataFrame({name: np.append(labels, "")[codes[rows]]
                          for name, (codes, labels) in zip(names, columns, strict=True)})
    frame["count"] = np.asarray(list(released.values()), dtype=np.int64)
    frame = frame.sort_values(list(frame.columns[:-1])).reset_index(drop=True)
    spent = measurement.map(d_in)
    return {"frame": frame, "scale": float(scale), "threshold": int(threshold), "epsilon": float(spent[0]),
            "delta": float(spent[1])}
