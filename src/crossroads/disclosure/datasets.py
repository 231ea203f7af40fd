"""Datasets: their budgets, the columns a release may draw on, and the extraction of exactly those columns.

A registry dataset is one row per case joined with its person. Purpose limitation is built in: names,
phones, documents, notes and free-text fields are never among the columns offered, and an extraction reads
only the columns the release's spec names. Every extraction is audited (which columns, how many rows).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crossroads.audit.service import record_event
from crossroads.auth.models import Office
from crossroads.auth.policy import Principal, require
from crossroads.auth.roles import Action
from crossroads.cases.models import Case
from crossroads.db.base import utcnow
from crossroads.disclosure.engine.dp import Dimension, country_keys
from crossroads.disclosure.engine.small_cells import protect_small_cells
from crossroads.disclosure.models import Dataset, DatasetSource, LedgerEntry
from crossroads.disclosure.schemas import DatasetCreate
from crossroads.kit.errors import Conflict, Invalid, NotFound
from crossroads.kit.i18n import N_, Message
from crossroads.people.models import Person, Sex
from crossroads.programmes.config import FieldType
from crossroads.programmes.models import Programme
from crossroads.programmes.service import current_version

# Extracting more rows than this in one request would hold a web worker too long; larger releases go
# through the CLI, which streams.
MAX_ROWS = 200_000


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # Frictionless field type: string, integer, date, boolean, number
    description: str
    hxl: str
    # Direct identifiers must be given the identifier role in a spec (dropped or pseudonymised).
    identifier: bool = False


REGISTRY_COLUMNS: dict[str, Column] = {c.name: c for c in [
    Column("case_id", "string", "Case identifier; replaced by a per-release pseudonym or dropped.", "#case+id", True),
    Column("person_id", "string", "Person identifier; replaced by a per-release pseudonym or dropped.",
           "#affected+id", True),
    Column("programme", "string", "Programme the case belongs to.", "#sector+programme"),
    Column("office", "string", "Code of the field office handling the case.", "#org+office+code"),
    Column("office_country", "string", "ISO 3166-1 alpha-3 country of the office.", "#country+code+office"),
    Column("state", "string", "Workflow state of the case.", "#status+case"),
    Column("opened_year", "integer", "Year the case was opened.", "#date+year+opened"),
    Column("opened_on", "date", "Date the case was opened.", "#date+opened"),
    Column("sex", "string", "Sex of the person (female, male, other, unknown).", "#affected+sex"),
    Column("age", "integer", "Age in whole years when the case was opened.", "#affected+age"),
    Column("year_of_birth", "integer", "Year of birth of the person.", "#affected+birth+year"),
    Column("nationality", "string", "ISO 3166-1 alpha-3 nationality of the person.", "#country+code+nationality"),
]}

_FIELD_TYPES = {FieldType.CHOICE: "string", FieldType.MULTI_CHOICE: "string", FieldType.BOOLEAN: "boolean",
                FieldType.DATE: "date", FieldType.NUMBER: "number"}


def _hxl_attribute(name: str) -> str:
    return name.replace("_", "")


def available_columns(session: Session, dataset: Dataset) -> dict[str, Column]:
    """The columns a release of this dataset may use: the registry's, plus its programme's coded fields."""
    columns = dict(REGISTRY_COLUMNS)
    if dataset.programme is None:
        return columns
    _, _, config = current_version(session, dataset.programme)
    for f in config.fields:
        kind = _FIELD_TYPES.get(f.type)
        # Free text may name people or places; only coded values, and short text held to a pattern
        # (country codes and the like), can be generalised and released.
        if kind is None and f.type == FieldType.TEXT and f.pattern:
            kind = "string"
        if kind is None or f.name in columns:
            continue
        suffix = " Several values are joined with ';'." if f.type == FieldType.MULTI_CHOICE else ""
        columns[f.name] = Column(f.name, kind, f"{f.label}.{suffix}", f"#indicator+{_hxl_attribute(f.name)}")
    return columns


AGE_BAND = 10


def dp_dimension(session: Session, dataset: Dataset, column: str) -> Dimension:
    """How a DP table counts by this column: with its public key set when one exists without the data.

    Keys taken from configuration (programmes, offices, workflow states, field choices) or from standards
    (ISO countries) are public; a dimension without them needs δ > 0 for a thresholded release.
    """
    offered = available_columns(session, dataset)
    if column not in offered:
        raise Invalid(Message(N_("the dataset has no column %(column)s"), {"column": column}), field="dimensions")
    if offered[column].identifier:
        raise Invalid(Message(N_("%(column)s identifies a person and cannot be counted by"), {"column": column}),
                      field="dimensions")
    keys: tuple[str, ...] | None = None
    if column == "sex":
        keys = tuple(s.value for s in Sex)
    elif column in ("nationality", "office_country"):
        keys = country_keys()
    elif column == "programme":
        keys = tuple(session.scalars(select(Programme.code).order_by(Programme.code)))
    elif column == "office":
        keys = tuple(session.scalars(select(Office.code).order_by(Office.code)))
    elif column == "opened_year":
        keys = tuple(str(y) for y in range(2000, utcnow().year + 1))
    elif column == "age":
        return Dimension(column=column, width=AGE_BAND, start=0, stop=120)
    elif dataset.programme is not None:
        _, _, config = current_version(session, dataset.programme)
        field = next((f for f in config.fields if f.name == column), None)
        if column == "state":
            keys = tuple(s.name for s in config.states)
        elif field is not None and field.type == FieldType.CHOICE:
            keys = tuple(c.value for c in field.choices or [])
        elif field is not None and field.type == FieldType.BOOLEAN:
            keys = ("True", "False")
    return Dimension(column=column, keys=keys)


def _age(born: date | None, on: date) -> int | None:
    if born is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _value(value: Any) -> Any:
    if isinstance(value, list):
        return ";".join(sorted(str(v) for v in value))
    return value


def extract_rows(session: Session, *, principal: Principal, dataset: Dataset, columns: list[str],
                 release_id: uuid.UUID | None = None) -> list[dict[str, Any]]:
    """The dataset's rows with only the named columns, read for a release and audited."""
    require(principal, Action.RELEASE_PREPARE)
    rows = _read_rows(session, dataset, columns)
    record_event(session, actor=principal, action="disclosure.dataset_extract", entity_type="dataset",
                 entity_id=dataset.id, details={"columns": columns, "rows": len(rows),
                                                "release": str(release_id) if release_id else None})
    return rows


def _read_rows(session: Session, dataset: Dataset, columns: list[str]) -> list[dict[str, Any]]:
    offered = available_columns(session, dataset)
    unknown = [c for c in columns if c not in offered]
    if unknown:
        raise Invalid(Message(N_("the dataset has no column %(column)s; available: %(available)s"),
                              {"column": list(unknown), "available": list(offered)}), field="spec.columns")
    query = (select(Case.id, Case.person_id, Case.programme, Case.state, Case.opened_at, Case.data,
                    Office.code, Office.country, Person.sex, Person.date_of_birth, Person.nationality)
             .join(Person, Person.id == Case.person_id).join(Office, Office.id == Case.office_id)
             .order_by(Case.opened_at, Case.id).limit(MAX_ROWS + 1))
    if dataset.programme is not None:
        query = query.where(Case.programme == dataset.programme)
    rows = []
    for r in session.execute(query):
        opened = r.opened_at.date()
        full = {"case_id": str(r.id), "person_id": str(r.person_id), "programme": r.programme,
                "office": r.code, "office_country": r.country, "state": r.state, "opened_year": opened.year,
                "opened_on": opened, "sex": r.sex.value, "age": _age(r.date_of_birth, opened),
                "year_of_birth": r.date_of_birth.year if r.date_of_birth else None,
                "nationality": r.nationality}
        rows.append({c: full[c] if c in full else _value((r.data or {}).get(c)) for c in columns})
    if len(rows) > MAX_ROWS:
        raise Invalid(Message(N_("the dataset has more than %(rows)d rows; release it with the CLI"),
                              {"rows": MAX_ROWS}), field="dataset_id")
    return rows


# Counts from 1 to 9 are withheld (or rounded to multiples of 10) in the exact tables staff see; CTDC's
# k=11 for public case data is of the same order.
SMALL_CELL_THRESHOLD = 10


def summarise(session: Session, *, principal: Principal, dataset_id: uuid.UUID, by: list[str],
              method: Literal["suppress", "round"] = "suppress") -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Exact counts by the chosen columns, with the small-cell rule applied: what a non-case role may see."""
    dataset = get_dataset(session, principal=principal, dataset_id=dataset_id)
    if not 1 <= len(by) <= 3 or len(set(by)) != len(by):
        raise Invalid("count by one to three distinct columns", field="by")
    offered = available_columns(session, dataset)
    identifying = [c for c in by if c in offered and offered[c].identifier]
    if identifying:
        raise Invalid(Message(N_("%(columns)s identify a person and cannot be counted by"),
                              {"columns": list(identifying)}), field="by")
    rows = _read_rows(session, dataset, by)
    counts: dict[tuple, int] = {}
    for r in rows:
        key = tuple("" if r[c] is None else str(r[c]) for c in by)
        counts[key] = counts.get(key, 0) + 1
    table = pd.DataFrame([{**dict(zip(by, k, strict=True)), "count": n} for k, n in sorted(counts.items())],
                         columns=[*by, "count"])
    protected = protect_small_cells(table, dimensions=by, method=method, threshold=SMALL_CELL_THRESHOLD,
                                    base=SMALL_CELL_THRESHOLD)
    out = [{str(c): (None if pd.isna(v) else (int(v) if c == "count" else v)) for c, v in r.items()}
           for r in protected.frame.to_dict(orient="records")]
    summary = protected.summary()
    record_event(session, actor=principal, action="disclosure.dataset_summary", entity_type="dataset",
                 entity_id=dataset.id, details={"by": by, "rows": len(rows), **summary})
    return out, summary


def create_dataset(session: Session, *, principal: Principal, data: DatasetCreate) -> Dataset:
    """Register a dataset and the total privacy budget its DP releases may spend."""
    require(principal, Action.DATASET_MANAGE)
    if session.scalar(select(Dataset.id).where(Dataset.name == data.name)) is not None:
        raise Conflict("a dataset with this name exists", field="name")
    if data.programme is not None and session.get(Programme, data.programme) is None:
        raise Invalid("unknown programme", field="programme")
    dataset = Dataset(name=data.name, description=data.description, source=DatasetSource.REGISTRY_CASES,
                      programme=data.programme, epsilon_budget=data.epsilon_budget,
                      delta_budget=data.delta_budget, created_by=principal.user_id)
    session.add(dataset)
    session.flush()
    record_event(session, actor=principal, action="disclosure.dataset_create", entity_type="dataset",
                 entity_id=dataset.id, details={"epsilon_budget": data.epsilon_budget,
                                                "delta_budget": data.delta_budget, "programme": data.programme})
    return dataset


def get_dataset(session: Session, *, principal: Principal, dataset_id: uuid.UUID) -> Dataset:
    require(principal, Action.RELEASE_READ)
    dataset = session.get(Dataset, dataset_id)
    if dataset is None:
        raise NotFound("no such dataset", field="dataset_id")
    return dataset


@dataclass(frozen=True)
class DatasetRow:
    dataset: Dataset
    epsilon_spent: float
    delta_spent: float


def list_datasets(session: Session, *, principal: Principal) -> list[DatasetRow]:
    """Datasets with what their DP releases have spent so far."""
    require(principal, Action.RELEASE_READ)
    spent = (select(LedgerEntry.dataset_id, func.sum(LedgerEntry.epsilon).label("eps"),
                    func.sum(LedgerEntry.delta).label("delta"))
             .group_by(LedgerEntry.dataset_id).subquery())
    rows = session.execute(select(Dataset, spent.c.eps, spent.c.delta)
                           .outerjoin(spent, spent.c.dataset_id == Dataset.id).order_by(Dataset.name))
    return [DatasetRow(d, eps or 0.0, delta or 0.0) for d, eps, delta in rows]
