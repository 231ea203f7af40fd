"""De-identify a table by a release spec: the entry point for the CLI and for releases from the registry.

`anonymize(data, spec)` encodes the quasi-identifiers, searches the generalisation lattice for the
least-loss node that meets the spec (see lattice.py), and returns the released rows with a report. Pure:
no database, no files. Every value is treated as text; missing values are empty strings.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crossroads.disclosure.engine.hierarchies import HierarchyError, build_levels
from crossroads.disclosure.engine.lattice import Lattice, QuasiColumn, SearchResult, frequency_table, quasi_column
from crossroads.disclosure.engine.privacy import models_for, new_release_key, pseudonymise
from crossroads.disclosure.engine.risk import prosecutor_risk
from crossroads.disclosure.engine.spec import ReleaseSpec, Role, parse_spec
from crossroads.kit.errors import Invalid

# progress(stage, done, total): stages "encode", "search" (done = lattice nodes checked), "release".
Progress = Callable[[str, int, int | None], None]


class Unmeetable(Invalid):
    """No generalisation meets the spec within its suppression limit; nothing may be released."""


@dataclass(frozen=True)
class AnonymizationResult:
    frame: pd.DataFrame
    report: dict[str, Any]


def encode_column(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes of each row and the distinct values as text; missing values (None, NaN) become the empty string."""
    codes, uniques = pd.factorize(col, sort=False, use_na_sentinel=True)
    codes = codes.astype(np.int64, copy=False)
    texts = np.array([_text(u) for u in uniques], dtype=object)
    missing = codes < 0
    if missing.any():
        texts = np.append(texts, "")
        codes[missing] = len(texts) - 1
    # Distinct values can meet as text (1 and 1.0, NaN and ""): merge them.
    merged, distinct = pd.factorize(texts, sort=False)
    if len(distinct) < len(texts):
        codes = merged.astype(np.int64)[codes]
        texts = np.asarray(distinct, dtype=object)
    return codes, texts


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def anonymize(data: pd.DataFrame | Iterable[Mapping[str, Any]], spec: ReleaseSpec | Mapping[str, Any], *,
              pseudonym_key: bytes | None = None, progress: Progress | None = None,
              seed: int | None = None) -> AnonymizationResult:
    """Release `data` under `spec`; raises Unmeetable, SpecError or HierarchyError (naming column and row)."""
    started = time.perf_counter()
    spec = spec if isinstance(spec, ReleaseSpec) else parse_spec(dict(spec))
    frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(list(data))
    if not all(isinstance(c, str) for c in frame.columns):
        frame = frame.rename(columns=str)
    duplicated = frame.columns[frame.columns.duplicated()]
    if len(duplicated):
        raise Invalid(f"column {duplicated[0]!r} appears more than once", field=f"columns.{duplicated[0]}")
    spec.check_columns(list(frame.columns))
    n = len(frame)
    if n == 0:
        raise Invalid("the data has no rows", field="data")
    report_progress = progress or (lambda stage, done, total: None)

    quasi = spec.quasi_identifiers
    report_progress("encode", 0, len(quasi) + len(spec.sensitive))
    encoded_columns = {}
    row_codes, columns = [], []
    for i, name in enumerate(quasi):
        codes, uniques = encoded_columns[name] = encode_column(frame[name])
        try:
            levels = build_levels(name, spec.columns[name].effective_hierarchy, uniques)
        except HierarchyError as exc:
            raise _with_row(exc, codes, uniques) from None
        columns.append(quasi_column(name, levels.names, levels.labels))
        row_codes.append(codes.astype(np.int64))
        report_progress("encode", i + 1, len(quasi) + len(spec.sensitive))
    sensitive_codes = []
    for name in spec.sensitive:
        codes, uniques = encoded_columns[name] = encode_column(frame[name])
        sensitive_codes.append((name, codes, max(len(uniques), 1)))
    table, row_tuple = frequency_table(row_codes, sensitive_codes)
    report_progress("encode", len(quasi) + len(spec.sensitive), len(quasi) + len(spec.sensitive))

    models = models_for(spec, n)
    lattice = Lattice(table, columns, models)
    encoded = time.perf_counter()
    result = lattice.search(progress=lambda checked: report_progress("search", checked, None))
    searched = time.perf_counter()
    if result.best is None:
        raise Unmeetable(_unmeetable_message(spec, lattice, result, n), field="max_suppression",
                         extra={"lattice_nodes_checked": result.nodes_checked})

    best = result.best
    classes = lattice.classes(best.levels)
    keep_row = ~classes.failing[classes.of_tuple[row_tuple]]
    rng = np.random.default_rng(seed)
    order = np.flatnonzero(keep_row)
    if spec.shuffle:
        order = rng.permutation(order)
    key = pseudonym_key or new_release_key()
    out: dict[str, np.ndarray] = {}
    dropped, pseudonymised = [], []
    levels_by_name = dict(zip(quasi, best.levels, strict=True))
    codes_by_name = dict(zip(quasi, zip(columns, row_codes, strict=True), strict=True))
    for name in frame.columns:
        col = spec.columns[name]
        if col.role is Role.identifier and not col.pseudonymise:
            dropped.append(name)
            continue
        codes, uniques = encoded_columns.get(name) or encode_column(frame[name])
        if col.role is Role.identifier:
            out[name] = pseudonymise(uniques, key)[codes[order]]
            pseudonymised.append(name)
        elif col.role is Role.quasi:
            qc, _ = codes_by_name[name]
            lev = levels_by_name[name]
            out[name] = qc.labels[lev][qc.codes[lev][codes[order]]]
        else:
            out[name] = uniques[codes[order]]
    # Object columns as built: letting pandas re-infer a string dtype for a million rows costs a copy each.
    released = pd.DataFrame(out, dtype=object)
    report_progress("release", 1, 1)

    report = _report(spec, lattice, result, classes, columns, n, len(order), dropped, pseudonymised)
    report["seconds"] = round(time.perf_counter() - started, 4)
    report["seconds_by_stage"] = {"encode": round(encoded - started, 4), "search": round(searched - encoded, 4),
                                  "release": round(time.perf_counter() - searched, 4)}
    return AnonymizationResult(frame=released, report=report)


def _with_row(exc: HierarchyError, codes: np.ndarray, uniques: np.ndarray) -> HierarchyError:
    found = np.flatnonzero(uniques == exc.value)
    if not len(found):
        return exc
    row = int(np.flatnonzero(codes == found[0])[0]) + 1
    err = HierarchyError(f"row {row}, column {exc.column}: {exc.message.split(': ', 1)[-1]}", column=exc.column,
                         value=exc.value)
    err.extra["row"] = row
    return err


def _unmeetable_message(spec: ReleaseSpec, lattice: Lattice, result: SearchResult, n: int) -> str:
    wanted = f"k={spec.k}" + (f" and {spec.l_kind} l={spec.l}" if spec.l else "")
    closest = result.closest
    detail = ""
    if closest is not None:
        names = ", ".join(f"{c.name} at {c.level_names[lev]}" for c, lev in zip(lattice.columns, closest.levels,
                                                                                 strict=True))
        detail = (f"; the least suppression any generalisation needs is {closest.suppressed_rows:,} of {n:,} records "
                  f"({closest.suppressed_rows / n:.1%}, with {names})")
    return (f"no generalisation meets {wanted} within max_suppression={spec.max_suppression:g} "
            f"({lattice.models.max_suppressed_rows:,} of {n:,} records){detail}. Nothing was released.")


def _report(spec: ReleaseSpec, lattice: Lattice, result: SearchResult, classes: Any, columns: list[QuasiColumn],
            n: int, kept: int, dropped: list[str], pseudonymised: list[str]) -> dict[str, Any]:
    best = result.best
    assert best is not None
    kept_mask = (classes.sizes > 0) & ~classes.failing
    kept_sizes = classes.sizes[kept_mask]
    after = prosecutor_risk(kept_sizes, spec.risk_threshold)
    before = prosecutor_risk(lattice.table.counts, spec.risk_threshold)
    l_achieved = entropy_l = None
    if spec.sensitive and kept:
        diverse = classes if classes.min_entropy is not None else lattice.classes(best.levels, diversity=True)
        assert diverse.min_distinct is not None and diverse.min_entropy is not None  # computed with diversity
        l_achieved = int(diverse.min_distinct[kept_mask].min())
        entropy_l = float(np.exp(diverse.min_entropy[kept_mask].min()))
    m = len(columns)
    precision = (sum(lev / c.height * kept for c, lev in zip(columns, best.levels, strict=True)) + (n - kept) * m) \
        / (n * m)
    return {
        "k": spec.k,
        "l": spec.l,
        "l_kind": spec.l_kind if spec.l else None,
        "max_suppression": spec.max_suppression,
        "k_achieved": int(kept_sizes.min()) if kept else None,
        "l_achieved": l_achieved,
        "entropy_l_achieved": round(entropy_l, 6) if entropy_l is not None else None,
        "rows_in": n,
        "rows_out": kept,
        "suppressed_rows": n - kept,
        "suppression_rate": (n - kept) / n,
        "equivalence_classes": int(kept_mask.sum()),
        "quasi_identifiers": [c.name for c in columns],
        "sensitive": spec.sensitive,
        "dropped_columns": dropped,
        "pseudonymised_columns": pseudonymised,
        "generalisation": {c.name: lev for c, lev in zip(columns, best.levels, strict=True)},
        "generalisation_names": {c.name: c.level_names[lev] for c, lev in zip(columns, best.levels, strict=True)},
        "hierarchy_levels": {c.name: c.level_names for c in columns},
        "information_loss": {
            "loss": round(float(best.loss), 6),
            "precision": round(precision, 6),
            "discernibility": int(np.sum(kept_sizes.astype(np.float64) ** 2) + (n - kept) * n),
        },
        "lattice_nodes": result.nodes_total,
        "lattice_nodes_checked": result.nodes_checked,
        **after.as_dict(),
        "risk_threshold": spec.risk_threshold,
        "max_share_at_risk": spec.max_share_at_risk,
        "publishable": after.share_at_risk < spec.max_share_at_risk or math.isclose(after.share_at_risk, 0.0),
        **before.as_dict("_before"),
    }
