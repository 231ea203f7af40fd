"""Importing an HSDS directory into the database and exporting it back (the file formats are `hsds.py`'s).

An import checks the whole file before it writes anything, then writes it in the command's one transaction:
a refused file leaves the directory as it was, and a file that passes is in whole or not at all. Records are
written by HSDS id — a re-import updates what it imported before and never duplicates it — and the nested
records (phones, schedules, languages…) of every record it imports are replaced by the file's, so that one
removed from the file is removed from the directory. Crossroads' own columns (the linked partner, the
acknowledgement time) are never touched by an import.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePath
from typing import Any

from sqlalchemy import JSON, delete, insert, select, text
from sqlalchemy.orm import Session

from crossroads.audit.service import record_event
from crossroads.auth.policy import Principal
from crossroads.directory import hsds
from crossroads.directory.geo import latitude_band
from crossroads.directory.hours import weekly_intervals
from crossroads.directory.models import (
    DirectoryAttribute,
    DirectoryContact,
    DirectoryLanguage,
    DirectoryLocation,
    DirectoryOrganization,
    DirectoryPhone,
    DirectorySchedule,
    DirectoryService,
    DirectoryTaxonomy,
    OpeningHours,
    ServiceArea,
    ServiceAtLocation,
    TaxonomyTerm,
)
from crossroads.kit.errors import Invalid

MODELS: dict[str, Any] = {
    "taxonomy": DirectoryTaxonomy, "taxonomy_term": TaxonomyTerm, "organization": DirectoryOrganization,
    "location": DirectoryLocation, "service": DirectoryService, "service_at_location": ServiceAtLocation,
    "contact": DirectoryContact, "phone": DirectoryPhone, "language": DirectoryLanguage,
    "schedule": DirectorySchedule, "service_area": ServiceArea, "attribute": DirectoryAttribute,
}
# Kinds whose records stand on their own; the others are replaced with their parents.
_ENTITIES = ("taxonomy", "taxonomy_term", "organization", "location", "service")
_CHUNK = 2000
# Imports of at least this many records refresh the planner's statistics of the tables searched.
_ANALYZE_FROM = 1000
_ANALYZED = ("directory_services", "directory_locations", "directory_service_at_locations", "directory_attributes",
             "directory_languages", "directory_opening_hours", "directory_taxonomy_terms")

Progress = Callable[[str, int], None]


class ImportRefused(Invalid):
    """The file has problems and --skip-invalid was not given; `problems` lists every one."""

    def __init__(self, problems: list[hsds.Problem]) -> None:
        super().__init__(str(problems[0]), field="file")
        self.problems = problems


@dataclass
class ImportResult:
    counts: dict[str, int] = field(default_factory=dict)
    skipped: list[hsds.Problem] = field(default_factory=list)


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


class _Existing:
    """Whether a record is already in the directory, loading each kind's ids once, when first asked."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.ids: dict[str, set[str]] = {}

    def __call__(self, kind: str, rid: str) -> bool:
        if kind not in self.ids:
            self.ids[kind] = set(self.session.scalars(select(MODELS[kind].id)))
        return rid in self.ids[kind]


def _text(value: Any, limit: int) -> str | None:
    return str(value)[:limit] if value is not None else None


def _columns(kind: str, rec: dict[str, Any]) -> dict[str, Any]:
    """The columns of a record's row: its id, the record itself, and what the directory searches or joins."""
    row: dict[str, Any] = {"id": rec["id"], "record": rec}
    refs = hsds.REFS[kind]
    model = MODELS[kind]
    for name in refs:
        if name in model.__table__.c:
            row[name] = rec.get(name)
    if kind == "taxonomy_term":
        row.update(code=_text(rec.get("code"), 250), name=_text(rec["name"], 500))
    elif kind == "organization":
        row["name"] = _text(rec["name"], 500)
    elif kind == "service":
        row.update(name=_text(rec["name"], 500), status=rec["status"])
    elif kind == "location":
        row.update(name=_text(rec.get("name"), 500), location_type=rec["location_type"],
                   latitude=rec.get("latitude"), longitude=rec.get("longitude"))
    elif kind == "language":
        row["code"] = hsds.language_code(rec["code"]) if isinstance(rec.get("code"), str) else None
    elif kind == "attribute":
        row.update(link_entity=rec["link_entity"], link_id=rec["link_id"],
                   service_id=rec["link_id"] if rec["link_entity"] == "service" else None)
    return row


def _execute_many(session: Session, sql: str, rows: list[tuple[Any, ...]]) -> None:
    for chunk in _chunks(rows):
        session.connection().exec_driver_sql(sql, list(chunk))


def _write(session: Session, kind: str, rows: list[dict[str, Any]], existing: set[str]) -> None:
    """Insert the new rows and update the existing ones, by id.

    Plain executemany of one statement per table, with the records serialised here: a directory is hundreds
    of thousands of rows, and SQLAlchemy's per-row parameter processing cost more than the database's work
    (an import of 50,000 services took twice as long). The NUL that the database layer refuses in any
    parameter was refused by `hsds.check`, with the record and field named.
    """
    table = MODELS[kind].__table__
    columns = list(rows[0])
    placeholder = "?" if session.get_bind().dialect.paramstyle == "qmark" else "%s"
    json_columns = {c.name for c in table.c if isinstance(c.type, JSON)}

    def values(row: dict[str, Any], names: list[str]) -> tuple[Any, ...]:
        return tuple(json.dumps(row[n]) if n in json_columns else row[n] for n in names)

    # Table and column names come from the models, never from the file; every value is a parameter.
    new = [values(r, columns) for r in rows if r["id"] not in existing]
    if new:
        _execute_many(session, f"INSERT INTO {table.name} ({', '.join(columns)}) "  # noqa: S608
                               f"VALUES ({', '.join([placeholder] * len(columns))})", new)
    changed = [c for c in columns if c != "id"]
    old = [values(r, [*changed, "id"]) for r in rows if r["id"] in existing]
    if old:
        assignments = ", ".join(f"{c} = {placeholder}" for c in changed)
        _execute_many(session, f"UPDATE {table.name} SET {assignments} WHERE id = {placeholder}", old)  # noqa: S608


def _place(latitude: float | None, longitude: float | None) -> dict[str, Any]:
    """The coordinates a service at a location carries: its location's, and their band of latitude."""
    if latitude is None or longitude is None:
        return {"latitude": None, "longitude": None, "band": None}
    return {"latitude": latitude, "longitude": longitude, "band": latitude_band(latitude)}


def _places(session: Session, bundle: hsds.Bundle) -> dict[str, dict[str, Any]]:
    """The place of every location the file's services at locations name, from the file or the directory."""
    in_file = bundle.records["location"]
    named = {rec["location_id"] for rec in bundle.records["service_at_location"].values()}
    places = {lid: _place(in_file[lid].get("latitude"), in_file[lid].get("longitude"))
              for lid in named if lid in in_file}
    elsewhere = sorted(named - places.keys())
    for chunk in _chunks(elsewhere):
        for lid, lat, lon in session.execute(select(DirectoryLocation.id, DirectoryLocation.latitude,
                                                    DirectoryLocation.longitude)
                                             .where(DirectoryLocation.id.in_(chunk))):
            places[lid] = _place(lat, lon)
    return places


def _ids_of(session: Session, kind: str, ids: list[str]) -> set[str]:
    model = MODELS[kind]
    found: set[str] = set()
    for chunk in _chunks(ids):
        found.update(session.scalars(select(model.id).where(model.id.in_(chunk))))
    return found


def _stale_children(session: Session, existing: dict[str, set[str]], bundle: hsds.Bundle, kind: str) -> list[str]:
    """Rows of `kind` nested in a record this import rewrites that the file no longer has. Only records already
    in the directory can have rows there: a first import asks nothing."""
    model = MODELS[kind]
    stale: set[str] = set()
    if kind == "attribute":
        for entity in hsds.LINKED:
            for chunk in _chunks(sorted(existing[entity])):
                stale.update(session.scalars(select(model.id).where(model.link_entity == entity,
                                                                    model.link_id.in_(chunk))))
    else:
        # Only the records a kind is nested in own it (a service its services at locations); a location that
        # services at locations merely name does not.
        owners = {(parent, fk) for parent, fields in hsds.CHILDREN.items() for child, fk in fields.values()
                  if child == kind}
        for target, name in sorted(owners):
            column = model.__table__.c[name]
            for chunk in _chunks(sorted(existing[target])):
                stale.update(session.scalars(select(model.id).where(column.in_(chunk))))
    return sorted(stale - bundle.records[kind].keys())


def _opening_hours(bundle: hsds.Bundle, session: Session) -> list[dict[str, Any]]:
    sal_in_file = bundle.records["service_at_location"]
    wanted = [s["service_at_location_id"] for s in bundle.records["schedule"].values()
              if s.get("service_at_location_id") and s["service_at_location_id"] not in sal_in_file]
    sal_in_db: dict[str, tuple[str, str]] = {}
    for chunk in _chunks(sorted(set(wanted))):
        for sid, its_service, its_location in session.execute(
                select(ServiceAtLocation.id, ServiceAtLocation.service_id, ServiceAtLocation.location_id)
                .where(ServiceAtLocation.id.in_(chunk))):
            sal_in_db[sid] = (its_service, its_location)
    rows: list[dict[str, Any]] = []
    for rid, rec in bundle.records["schedule"].items():
        intervals = weekly_intervals(rec)
        if not intervals:
            continue
        service_id: Any = rec.get("service_id")
        location_id: Any = rec.get("location_id")
        sal_id = rec.get("service_at_location_id")
        if sal_id:
            sal = sal_in_file.get(sal_id)
            service_id, location_id = (sal["service_id"], sal["location_id"]) if sal else sal_in_db[sal_id]
        valid_from = date.fromisoformat(rec["valid_from"]) if rec.get("valid_from") else None
        valid_to = date.fromisoformat(rec["valid_to"]) if rec.get("valid_to") else None
        rows.extend({"schedule_id": rid, "service_id": service_id, "location_id": location_id,
                     "start_minute": start, "end_minute": end, "valid_from": valid_from, "valid_to": valid_to}
                    for start, end in intervals)
    return rows


def check_bundle(session: Session, bundle: hsds.Bundle, problems: list[hsds.Problem], *, skip_invalid: bool
                 ) -> list[hsds.Problem]:
    """Refuse a bundle with problems, or drop what is at fault; returns the problems of what was left out."""
    exists = _Existing(session)
    problems = problems + hsds.check(bundle, exists)
    if problems and not skip_invalid:
        raise ImportRefused(problems)
    if problems:
        _, problems = hsds.without_invalid(bundle, problems, exists)
    return problems


def import_bundle(session: Session, *, bundle: hsds.Bundle, actor: Principal | None, source: str,
                  skipped: list[hsds.Problem] | None = None, progress: Progress | None = None) -> ImportResult:
    """Write a checked bundle (`check_bundle`) into the directory, updating records by HSDS id; audited."""
    skipped = skipped or []
    existing = {kind: _ids_of(session, kind, list(bundle.records[kind])) for kind in hsds.KINDS}
    for kind in reversed(hsds.KINDS):
        if kind in _ENTITIES:
            continue
        stale = _stale_children(session, existing, bundle, kind)
        for chunk in _chunks(stale):
            session.execute(delete(MODELS[kind]).where(MODELS[kind].id.in_(chunk)))
            existing[kind].difference_update(chunk)
    # Hours are derived again for every schedule of the file; only schedules already there have any.
    for chunk in _chunks(sorted(existing["schedule"])):
        session.execute(delete(OpeningHours).where(OpeningHours.schedule_id.in_(chunk)))
    for kind in hsds.KINDS:
        records = bundle.records[kind]
        if not records:
            continue
        rows = [_columns(kind, rec) for rec in records.values()]
        if kind == "taxonomy_term":
            rows = _parents_first(rows)
        elif kind == "service_at_location":
            places = _places(session, bundle)
            for row in rows:
                row.update(places[row["location_id"]])
        _write(session, kind, rows, existing[kind])
        if progress is not None:
            progress(kind, len(rows))
    # A location the directory already had may have moved: every service there, in the file or not, moves too.
    moved = [(*_place(rec.get("latitude"), rec.get("longitude")).values(), lid)
             for lid, rec in bundle.records["location"].items() if lid in existing["location"]]
    if moved:
        placeholder = "?" if session.get_bind().dialect.paramstyle == "qmark" else "%s"
        _execute_many(session, f"UPDATE directory_service_at_locations SET latitude = {placeholder}, "  # noqa: S608
                               f"longitude = {placeholder}, band = {placeholder} WHERE location_id = {placeholder}",
                      moved)
    hours = _opening_hours(bundle, session)
    for chunk in _chunks(hours):
        session.execute(insert(OpeningHours), list(chunk))
    session.flush()
    if bundle.count() >= _ANALYZE_FROM:
        # A large import changes the tables' shape: without fresh statistics PostgreSQL planned a search by need
        # and language with nested scans that took minutes (autovacuum analyses later, SQLite never by itself).
        for table in _ANALYZED:
            session.execute(text(f"ANALYZE {table}"))
    result = ImportResult(counts=bundle.counts(), skipped=skipped)
    record_event(session, actor=actor, action="directory.import", entity_type="directory",
                 details={"file": PurePath(source).name[:200], "counts": result.counts, "skipped": len(skipped)},
                 system_actor="cli")
    return result


def _parents_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Terms ordered so that a parent in the same file is written before its children."""
    by_id = {r["id"]: r for r in rows}
    done: set[str] = set()
    out: list[dict[str, Any]] = []

    def visit(row: dict[str, Any], path: set[str]) -> None:
        if row["id"] in done or row["id"] in path:
            return
        parent = by_id.get(row.get("parent_id") or "")
        if parent is not None:
            visit(parent, path | {row["id"]})
        done.add(row["id"])
        out.append(row)

    for row in rows:
        visit(row, set())
    return out


def export_bundle(session: Session, *, actor: Principal | None, target: str,
                  progress: Progress | None = None) -> hsds.Bundle:
    """The whole directory as HSDS records, exactly as imported; audited."""
    bundle = hsds.Bundle()
    for kind in hsds.KINDS:
        model = MODELS[kind]
        table = bundle.records[kind]
        for rid, rec in session.execute(select(model.id, model.record).order_by(model.id)):
            table[rid] = rec
        if progress is not None:
            progress(kind, len(table))
    record_event(session, actor=actor, action="directory.export", entity_type="directory",
                 details={"file": PurePath(target).name[:200], "counts": bundle.counts()}, system_actor="cli")
    return bundle
