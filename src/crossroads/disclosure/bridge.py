"""The one place releases call the anonymisation and DP engine (spec.py, anonymize.py, dp.py, small_cells.py).

The engine speaks plain rows and reports; this module turns its answers and its errors into what the
release workflow stores (`Computed`) and answers (`Invalid` naming the spec's field).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from crossroads.disclosure.exports import FieldMeta
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


def parse_spec(raw: dict[str, Any]) -> Any:
    from crossroads.disclosure.spec import ReleaseSpec

    try:
        return ReleaseSpec.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first.get("loc", ()))
        raise Invalid(first.get("msg", "is invalid").removeprefix("Value error, "),
                      field=f"spec.{loc}" if loc else "spec") from None


def spec_columns(spec: Any) -> dict[str, str]:
    return {c.name: str(getattr(c.role, "value", c.role)) for c in spec.columns}


def spec_json(spec: Any) -> dict[str, Any]:
    return spec.model_dump(mode="json")


def anonymize_rows(rows: list[dict[str, Any]], spec: Any) -> Computed:
    from crossroads.disclosure.anonymize import Unmeetable, anonymize

    try:
        result = anonymize(rows, spec)
    except Unmeetable as exc:
        raise Invalid(str(exc), field="spec") from None
    report = dict(result.report)
    roles = spec_columns(spec)
    released = list(result.rows)
    columns = list(released[0]) if released else [c for c, r in roles.items() if r != "identifier"]
    method = {"summary": f"k-anonymity with k={spec.k}" + (f" and l-diversity with l={spec.l}" if spec.l else ""),
              "kind": "k-anonymity", "k": spec.k, "l": spec.l,
              "k_achieved": report.get("k_achieved"), "l_achieved": report.get("l_achieved"),
              "suppression_rate": report.get("suppression_rate"), "generalisation": report.get("generalisation")}
    return Computed(rows=released, columns=columns, report=report, method=method, roles=roles)


def dp_table(rows: list[dict[str, Any]], *, dimensions: list[str], epsilon: float, delta: float) -> Computed:
    from crossroads.disclosure import dp

    result = dp.histogram(rows, dimensions=dimensions, epsilon=epsilon, delta=delta)
    table = [dict(r) for r in result.rows]
    columns = list(table[0]) if table else [*dimensions, "count"]
    report = {"epsilon_spent": result.epsilon, "delta_spent": result.delta, "accuracy": result.accuracy,
              "cells": len(table)}
    method = {"summary": f"differentially private counts (ε={epsilon:g}, δ={delta:g}) computed with OpenDP",
              "kind": "differential privacy", "epsilon": epsilon, "delta": delta, "accuracy": result.accuracy}
    return Computed(rows=table, columns=columns, report=report, method=method, roles={})


def extra_field_meta(kind: ReleaseKind) -> dict[str, FieldMeta]:
    """Descriptions of the columns the engine adds to a table, which no dataset has."""
    if kind != ReleaseKind.DP_TABLE:
        return {}
    return {"count": FieldMeta("count", "Count with differentially private noise added.", "#affected+num")}
