"""The release spec: a role for every column, a hierarchy for every quasi-identifier, and the privacy models.

A spec is YAML (or a dict) of this shape::

    k: 11
    l: 2                       # optional: l-diversity of every sensitive column
    l_kind: distinct           # or entropy
    max_suppression: 0.05      # share of records that may be removed
    risk_threshold: 0.2        # a record is "at risk" when its prosecutor risk exceeds this
    max_share_at_risk: 0.03    # publishable only when fewer records than this share are at risk
    columns:
      name: {role: identifier}                       # dropped
      case_id: {role: identifier, action: pseudonym}  # keyed pseudonym, new key per release
      age: {role: quasi, hierarchy: {type: interval, widths: [5, 10, 20]}}
      sex: {role: quasi}                             # no hierarchy: value, then suppressed
      citizenship: {role: quasi, hierarchy: {type: m49}}
      registered_on: {role: quasi, hierarchy: {type: date}}
      ... : {role: quasi, hierarchy: {type: mapping, levels: [{a: x, b: x}, {x: y}]}}
      type_of_exploitation: {role: sensitive}
      means_of_control: {role: insensitive}

Every column of the data must be named: an unnamed column is an error, not a silent pass-through, because
a forgotten column is how identifying data leaks.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from crossroads.kit.errors import Invalid


class SpecError(Invalid):
    """The spec is malformed; `field` names the offending key path (e.g. ``columns.age.hierarchy.widths``)."""


class Role(StrEnum):
    identifier = "identifier"
    quasi = "quasi"
    sensitive = "sensitive"
    insensitive = "insensitive"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _in_order(levels: list[str], order: list[str]) -> list[str]:
    """Hierarchy levels go from fine to coarse, each once."""
    if [order.index(v) for v in levels] != sorted({order.index(v) for v in levels}):
        raise ValueError(f"levels must be distinct and in the order {', '.join(order)}")
    return levels


class IntervalHierarchy(_Strict):
    """Numeric bands of growing width; values are binned from `start` (0 by default)."""

    type: Literal["interval"]
    widths: list[Annotated[float, Field(gt=0)]] = Field(min_length=1)
    start: float = 0.0

    @field_validator("widths")
    @classmethod
    def _growing(cls, widths: list[float]) -> list[float]:
        if any(b <= a for a, b in zip(widths, widths[1:], strict=False)):
            raise ValueError("widths must grow from one level to the next")
        return widths


class DateHierarchy(_Strict):
    """ISO dates (YYYY-MM-DD) generalised to month, quarter and year."""

    type: Literal["date"]
    levels: list[Literal["month", "quarter", "year"]] = Field(default=["month", "quarter", "year"], min_length=1)

    @field_validator("levels")
    @classmethod
    def _ordered(cls, levels: list[str]) -> list[str]:
        return _in_order(levels, ["month", "quarter", "year"])


class M49Hierarchy(_Strict):
    """ISO 3166 alpha-3 country codes generalised along the UN M49 regions."""

    type: Literal["m49"]
    levels: list[Literal["intermediate_region", "sub_region", "region"]] = Field(
        default=["sub_region", "region"], min_length=1)

    @field_validator("levels")
    @classmethod
    def _ordered(cls, levels: list[str]) -> list[str]:
        return _in_order(levels, ["intermediate_region", "sub_region", "region"])


class MappingHierarchy(_Strict):
    """Custom levels: each maps the labels of the level below to coarser labels.

    A level is either ``{value: label}`` or ``{label: [value, ...]}``; both may be mixed.
    """

    type: Literal["mapping"]
    levels: list[dict[str, str | list[str]]] = Field(min_length=1)

    def level_maps(self) -> list[dict[str, str]]:
        maps = []
        for level in self.levels:
            flat: dict[str, str] = {}
            for key, value in level.items():
                for source, label in ([(key, value)] if isinstance(value, str) else [(v, key) for v in value]):
                    if source in flat and flat[source] != label:
                        raise ValueError(f"{source!r} is mapped to both {flat[source]!r} and {label!r}")
                    flat[source] = label
            maps.append(flat)
        return maps


class SuppressHierarchy(_Strict):
    """The value itself, then suppressed: the hierarchy of a quasi-identifier given none."""

    type: Literal["suppress"]


Hierarchy = Annotated[IntervalHierarchy | DateHierarchy | M49Hierarchy | MappingHierarchy | SuppressHierarchy,
                      Field(discriminator="type")]


class ColumnSpec(_Strict):
    role: Role
    hierarchy: Hierarchy | None = None
    # Identifiers only: drop the column, or replace each value by a keyed pseudonym (new key per release).
    action: Literal["drop", "pseudonym"] | None = None

    @model_validator(mode="after")
    def _fits_role(self) -> ColumnSpec:
        if self.hierarchy is not None and self.role is not Role.quasi:
            raise ValueError(f"only quasi-identifiers take a hierarchy, not a {self.role.value} column")
        if self.action is not None and self.role is not Role.identifier:
            raise ValueError(f"only identifiers take an action, not a {self.role.value} column")
        if isinstance(self.hierarchy, MappingHierarchy):
            self.hierarchy.level_maps()
        return self

    @property
    def effective_hierarchy(self) -> IntervalHierarchy | DateHierarchy | M49Hierarchy | MappingHierarchy | \
            SuppressHierarchy:
        return self.hierarchy or SuppressHierarchy(type="suppress")

    @property
    def pseudonymise(self) -> bool:
        return self.role is Role.identifier and self.action == "pseudonym"


class ReleaseSpec(_Strict):
    k: int = Field(ge=1)
    l: int | None = Field(default=None, ge=1)  # noqa: E741 — the name of the privacy model
    l_kind: Literal["distinct", "entropy"] = "distinct"
    max_suppression: float = Field(default=0.0, ge=0.0, le=1.0)
    risk_threshold: float = Field(default=0.2, gt=0.0, le=1.0)
    max_share_at_risk: float = Field(default=0.03, ge=0.0, le=1.0)
    # Output rows are shuffled by default: the input order (registration order) is itself information.
    shuffle: bool = True
    columns: dict[str, ColumnSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _needs_quasi(self) -> ReleaseSpec:
        if not self.quasi_identifiers:
            raise ValueError("at least one column must have role quasi")
        if self.l is not None and not self.sensitive:
            raise ValueError("l is set but no column has role sensitive")
        return self

    @property
    def quasi_identifiers(self) -> list[str]:
        return [name for name, c in self.columns.items() if c.role is Role.quasi]

    @property
    def sensitive(self) -> list[str]:
        return [name for name, c in self.columns.items() if c.role is Role.sensitive]

    def check_columns(self, present: list[str]) -> None:
        """Raise naming the first column the data and the spec disagree on."""
        missing = [c for c in self.columns if c not in present]
        if missing:
            raise SpecError(f"the spec names column {missing[0]!r}, which the data does not have",
                            field=f"columns.{missing[0]}")
        unnamed = [c for c in present if c not in self.columns]
        if unnamed:
            raise SpecError(f"column {unnamed[0]!r} has no role in the spec: give it one "
                            "(identifier, quasi, sensitive or insensitive)", field=f"columns.{unnamed[0]}")


def parse_spec(data: Any) -> ReleaseSpec:
    """Validate a spec given as a dict (e.g. loaded from YAML or JSON); SpecError names the field."""
    if not isinstance(data, dict):
        raise SpecError("the spec must be a mapping with k, columns and the other settings", field="spec")
    try:
        return ReleaseSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        # Discriminated unions add the tag to the location ("interval"); it is not a key of the spec.
        loc = [str(p) for p in first["loc"] if str(p) not in {"interval", "date", "m49", "mapping", "suppress"}]
        field = ".".join(loc) or "spec"
        message = first["msg"].removeprefix("Value error, ")
        raise SpecError(f"{field}: {message}", field=field) from None


def load_spec(path: Path) -> ReleaseSpec:
    """Read a YAML spec file."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SpecError(f"cannot read the spec: {exc.strerror}", field="spec") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise SpecError(f"the spec is not valid YAML{where}", field="spec") from None
    return parse_spec(data)
