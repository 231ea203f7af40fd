"""The one place releases call the anonymisation and DP engine (spec.py, anonymize.py, dp.py, small_cells.py).

The engine speaks plain rows and reports; this module turns its answers and its errors into what the
release workflow stores (`Computed`) and answers (`Invalid` naming the spec's field).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from crossroads.disclosure.engine.anonymize import anonymize
from crossroads.disclosure.engine.dp import Dimension, dp_count_table
from crossroads.disclosure.engine.exports import FieldMeta
from crossroads.disclosure.engine.spec import ReleaseSpec, SpecError
from crossroads.disclosure.engine.spec import parse_spec as engine_parse_spec
from crossroads.disclosure.models import ReleaseKind
from crossroads.kit.errors import Invalid


@dataclass(frozen=True)
class Computed:
    """What the engine produced: released rows and their columns, the report, and the method for the files."""

    rows: list[dict[str, Any]]
    columns: list[str]
    report: dict[str, Any]
    method: dict[str, Any]
    roles: dict[str, str]


def _jsonable(value: Any) -> Any:
    # The engine computes with numpy; its scalars must become plain numbers before they are stored as JSON.
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def plain(data: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(data, default=_jsonable))


def _in_spec(exc: Invalid) -> Invalid:
    """The engine's error, with its field placed under the request's `spec`."""
    field = exc.field if exc.field and exc.field != "spec" else None
    return Invalid(exc.message, field=f"spec.{field}" if field else "spec", extra=exc.extra)


def parse_spec(raw: dict[str, Any]) -> ReleaseSpec:
    try:
        return engine_parse_spec(raw)
    except SpecError as exc:
        raise _in_spec(exc) from None


def spec_columns(spec: ReleaseSpec) -> dict[str, str]:
    return {name: c.role.value for name, c in spec.columns.items()}


def spec_json(spec: ReleaseSpec) -> dict[str, Any]:
    return spec.model_dump(mode="json", exclude_none=True)


def anonymize_rows(rows: list[dict[str, Any]], spec: ReleaseSpec) -> Computed:
    # A fresh pseudonym key per release (the engine's default), never stored: pseudonyms of two releases
    # cannot be joined, and nobody can map a pseudonym back to a case.
    try:
        result = anonymize(rows, spec)
    except Invalid as exc:
        raise _in_spec(exc) from None
    report = plain(result.report)
    released = [{str(k): v for k, v in r.items()} for r in result.frame.to_dict(orient="records")]
    columns = [str(c) for c in result.frame.columns]
    l_text = f" and {spec.l_kind} l-diversity with l={spec.l}" if spec.l else ""
    method = {"summary": f"k-anonymity with k={spec.k}{l_text}, by generalisation and suppression",
              "kind": "k-anonymity", "k": spec.k, "l": spec.l,
              **{key: report.get(key) for key in ("k_achieved", "l_achieved", "suppression_rate",
                                                   "generalisation_names", "dropped_columns",
                                                   "pseudonymised_columns", "max_risk", "avg_risk")}}
    return Computed(rows=released, columns=columns, report=report, method=method, roles=spec_columns(spec))


def dp_table(rows: list[dict[str, Any]], *, dimensions: list[Dimension], epsilon: float, delta: float,
             max_contributions: int, privacy_unit: str) -> Computed:
    """A DP count table; each person contributes at most `max_contributions` rows (one row per case)."""
    frame = pd.DataFrame(rows, columns=[privacy_unit, *(d.column for d in dimensions)])
    table = dp_count_table(frame, dimensions, epsilon=epsilon, delta=delta, max_contributions=max_contributions,
                           privacy_unit=privacy_unit)
    summary = plain(table.summary())
    released = [{str(k): (None if pd.isna(v) else v) for k, v in r.items()}
                for r in plain({"rows": table.frame.to_dict(orient="records")})["rows"]]
    method = {"summary": f"differentially private counts ({summary['mechanism']}, ε={table.epsilon:g}, "
                         f"δ={table.delta:g}) computed with OpenDP; {summary['accuracy_statement']}",
              "kind": "differential privacy", **{k: summary[k] for k in (
                  "epsilon", "delta", "mechanism", "accuracy", "alpha", "accuracy_statement", "threshold",
                  "max_contributions")}}
    return Computed(rows=released, columns=[str(c) for c in table.frame.columns], report=summary, method=method,
                    roles={})


def extra_field_meta(kind: ReleaseKind) -> dict[str, FieldMeta]:
    """Descriptions of the columns the engine adds to a table, which no dataset has."""
    if kind != ReleaseKind.DP_TABLE:
        return {}
    return {"count": FieldMeta("count", "Count with differentially private noise added.", "#affected+num")}
