"""Open Referral HSDS 3.0 files: read JSON and CSV data packages into flat records, check them, write them back.

Pure: paths and plain data in, plain data out; no session. `directory/service.py` stores what this reads.

Every file is read into one shape, the tabular one HSDS itself defines: a record per object, its nested
arrays taken out into records of their own that point back at their parent (a phone inside a service gets
`service_id`, an attribute gets `link_entity` and `link_id`). The objects the directory searches or links —
organizations, services, locations, services at locations, service areas, languages, schedules, contacts,
phones, taxonomies, taxonomy terms and attributes — become records; everything else (addresses,
accessibility, funding, programs, metadata, fields HSDS does not define…) stays inside its parent's record
exactly as it came, so that exporting gives back every field. Values that are null or empty text are
dropped on reading: a CSV cannot tell them from a missing field, and HSDS gives them no meaning.

JSON files may hold a list of service or organization objects (a service is told apart by `status` or
`organization_id`), an HSDS API page (`{"contents": [...]}`), or a bundle: an object of lists named by the
plural of each kind (`{"organizations": [...], "services": [...], "taxonomy_terms": [...]}`), which is what
`export` writes. A CSV data package is a directory, or a zip, with a `datapackage.json` naming one CSV per
HSDS table.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

import pycountry

from crossroads.directory.hours import check_byday, parse_time
from crossroads.kit import spreadsheet

Record = dict[str, Any]

# Parents before children: the order records are written in, and their tables are listed in.
KINDS = ("taxonomy", "taxonomy_term", "organization", "location", "service", "service_at_location", "contact",
         "phone", "language", "schedule", "service_area", "attribute")
PLURAL = {"taxonomy": "taxonomies", **{k: k + "s" for k in KINDS if k != "taxonomy"}}
KIND_OF_PLURAL = {v: k for k, v in PLURAL.items()}

REQUIRED: dict[str, tuple[str, ...]] = {
    "taxonomy": ("id", "name", "description"),
    "taxonomy_term": ("id", "name", "description"),
    "organization": ("id", "name", "description"),
    "location": ("id", "location_type"),
    "service": ("id", "name", "status"),
    "service_at_location": ("id", "service_id", "location_id"),
    "contact": ("id",),
    "phone": ("id", "number"),
    "language": ("id",),
    "schedule": ("id",),
    "service_area": ("id",),
    "attribute": ("id", "taxonomy_term_id", "link_id", "link_entity"),
}

# The ids a record points at, and the kind of record each must name.
REFS: dict[str, dict[str, str]] = {
    "taxonomy": {},
    "taxonomy_term": {"parent_id": "taxonomy_term", "taxonomy_id": "taxonomy"},
    "organization": {"parent_organization_id": "organization"},
    "location": {"organization_id": "organization"},
    "service": {"organization_id": "organization"},
    "service_at_location": {"service_id": "service", "location_id": "location"},
    "contact": {"organization_id": "organization", "service_id": "service",
                "service_at_location_id": "service_at_location", "location_id": "location"},
    "phone": {"location_id": "location", "service_id": "service", "organization_id": "organization",
              "contact_id": "contact", "service_at_location_id": "service_at_location"},
    "language": {"service_id": "service", "location_id": "location", "phone_id": "phone"},
    "schedule": {"service_id": "service", "location_id": "location",
                 "service_at_location_id": "service_at_location"},
    "service_area": {"service_id": "service", "service_at_location_id": "service_at_location"},
    "attribute": {"taxonomy_term_id": "taxonomy_term"},
}

# Nested arrays taken out into records: (parent kind, field) → (child kind, the child's field naming the parent).
# Attributes name their parent by link_entity and link_id.
CHILDREN: dict[str, dict[str, tuple[str, str]]] = {
    "organization": {"locations": ("location", "organization_id"), "phones": ("phone", "organization_id"),
                     "contacts": ("contact", "organization_id")},
    "service": {"phones": ("phone", "service_id"), "schedules": ("schedule", "service_id"),
                "service_areas": ("service_area", "service_id"),
                "service_at_locations": ("service_at_location", "service_id"),
                "languages": ("language", "service_id"), "contacts": ("contact", "service_id")},
    "service_at_location": {"service_areas": ("service_area", "service_at_location_id"),
                            "contacts": ("contact", "service_at_location_id"),
                            "phones": ("phone", "service_at_location_id"),
                            "schedules": ("schedule", "service_at_location_id")},
    "location": {"languages": ("language", "location_id"), "contacts": ("contact", "location_id"),
                 "phones": ("phone", "location_id"), "schedules": ("schedule", "location_id")},
    "phone": {"languages": ("language", "phone_id")},
    "contact": {"phones": ("phone", "contact_id")},
}
LINKED = frozenset(KINDS) - {"attribute", "taxonomy", "taxonomy_term"}
# Nested single objects: (parent kind, field) → (kind, the parent's field naming it).
ONE: dict[str, dict[str, tuple[str, str]]] = {
    "service": {"organization": ("organization", "organization_id")},
    "service_at_location": {"location": ("location", "location_id")},
    "attribute": {"taxonomy_term": ("taxonomy_term", "taxonomy_term_id")},
    "taxonomy_term": {"taxonomy_detail": ("taxonomy", "taxonomy_id")},
}

# HSDS tables kept inside a parent's record, as the JSON form nests them: table → [(its field naming the
# parent, parent kind, the parent's field holding the list)]. metadata names its parent by resource_type.
EMBEDDED: dict[str, list[tuple[str, str, str]]] = {
    "address": [("location_id", "location", "addresses")],
    "accessibility": [("location_id", "location", "accessibility")],
    "funding": [("organization_id", "organization", "funding"), ("service_id", "service", "funding")],
    "cost_option": [("service_id", "service", "cost_options")],
    "required_document": [("service_id", "service", "required_documents")],
    "organization_identifier": [("organization_id", "organization", "organization_identifiers")],
    "program": [("organization_id", "organization", "programs")],
    "service_capacity": [("service_id", "service", "capacities")],
}
_EMBEDDED_FIELDS = {(parent, fld): (table, fk) for table, links in EMBEDDED.items() for fk, parent, fld in links}

SERVICE_STATUSES = ("active", "inactive", "defunct", "temporarily closed")
LOCATION_TYPES = ("physical", "postal", "virtual")
MAX_ID = 250
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Problem:
    """What is wrong, and where: the file, the record (kind and id, or its position) and the field."""

    file: str
    kind: str
    record: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.kind} {self.record}" + (f", field {self.field}" if self.field else "")
        return f"{self.file}: {where}: {self.message}"


@dataclass
class Bundle:
    """Flat HSDS records by kind and id, with the file each came from (for the problems that name it)."""

    records: dict[str, dict[str, Record]] = field(default_factory=lambda: {k: {} for k in KINDS})
    files: dict[tuple[str, str], str] = field(default_factory=dict)

    def count(self) -> int:
        return sum(len(v) for v in self.records.values())

    def counts(self) -> dict[str, int]:
        return {PLURAL[k]: len(v) for k, v in self.records.items() if v}


class Unreadable(Exception):
    """The file cannot be read as HSDS at all (not JSON, no datapackage.json…); names the file."""


# ---------------------------------------------------------------------------------------------- reading JSON

def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


class _Reader:
    def __init__(self, bundle: Bundle) -> None:
        self.bundle = bundle
        self.problems: list[Problem] = []

    def problem(self, file: str, kind: str, record: str, fld: str, message: str) -> None:
        self.problems.append(Problem(file, kind, record, fld, message))

    def store(self, file: str, kind: str, rec: Record, where: str) -> str | None:
        rid = rec.get("id")
        if not isinstance(rid, str) or _is_blank(rid):
            self.problem(file, kind, where, "id", "is required" if _is_blank(rid) else "must be text")
            return None
        if len(rid) > MAX_ID or _CONTROL.search(rid):
            self.problem(file, kind, where, "id", f"must be at most {MAX_ID} characters, without control characters")
            return None
        table = self.bundle.records[kind]
        old = table.get(rid)
        if old is None:
            table[rid] = rec
            self.bundle.files[(kind, rid)] = file
            return rid
        for key, value in rec.items():
            if key in old and old[key] != value:
                self.problem(file, kind, rid, key, "the record appears twice with different values")
                return rid
            old.setdefault(key, value)
        return rid

    def object(self, file: str, kind: str, obj: Any, where: str, parent: tuple[str, str, str] | None = None
               ) -> str | None:
        """Take `obj` apart into records; `parent` is (parent kind, parent id, the field naming it)."""
        if not isinstance(obj, dict):
            self.problem(file, kind, where, "", "must be an object")
            return None
        rec: Record = {}
        arrays: list[tuple[str, str, str, list[Any]]] = []
        singles: list[tuple[str, str, str, Any]] = []
        for key, value in obj.items():
            if _is_blank(value):
                continue
            if key == "attributes" and kind in LINKED and isinstance(value, list):
                arrays.append((key, "attribute", "", value))
            elif key in CHILDREN.get(kind, {}) and isinstance(value, list):
                child, fk = CHILDREN[kind][key]
                arrays.append((key, child, fk, value))
            elif key in ONE.get(kind, {}) and isinstance(value, dict):
                one, fk = ONE[kind][key]
                singles.append((key, one, fk, value))
            else:
                rec[key] = value
        if parent is not None:
            parent_kind, parent_id, fk = parent
            if kind == "attribute":
                rec.setdefault("link_entity", parent_kind)
                rec.setdefault("link_id", parent_id)
            else:
                rec.setdefault(fk, parent_id)
        for key, one, fk, value in singles:
            one_id = self.object(file, one, value, f"{where}.{key}")
            if one_id is not None:
                rec.setdefault(fk, one_id)
        rid = self.store(file, kind, rec, where)
        if rid is None:
            return None
        for key, child, fk, items in arrays:
            for i, item in enumerate(items):
                self.object(file, child, item, f"{rid}.{key}[{i}]", (kind, rid, fk))
        return rid


def _guess_kind(obj: Any) -> str:
    if isinstance(obj, dict) and ("status" in obj or "organization_id" in obj or "service_at_locations" in obj):
        return "service"
    return "organization"


def read_json(data: Any, file: str, bundle: Bundle | None = None) -> tuple[Bundle, list[Problem]]:
    reader = _Reader(bundle or Bundle())
    if isinstance(data, dict) and isinstance(data.get("contents"), list):
        data = data["contents"]
    if isinstance(data, list):
        for i, obj in enumerate(data):
            reader.object(file, _guess_kind(obj), obj, f"[{i}]")
    elif isinstance(data, dict) and any(k in KIND_OF_PLURAL for k in data):
        for key, items in data.items():
            kind = KIND_OF_PLURAL.get(key)
            if kind is None:
                reader.problem(file, "bundle", key, key, "is not a list of HSDS objects: use " +
                               ", ".join(PLURAL[k] for k in KINDS))
            elif not isinstance(items, list):
                reader.problem(file, "bundle", key, key, "must be a list")
            else:
                for i, obj in enumerate(items):
                    reader.object(file, kind, obj, f"{key}[{i}]")
    elif isinstance(data, dict):
        reader.object(file, _guess_kind(data), data, "[0]")
    else:
        raise Unreadable(f"{file}: expected a list of HSDS objects or a bundle of lists")
    return reader.bundle, reader.problems


# ---------------------------------------------------------------------------------------- reading packages

_TEXT_TYPES = frozenset({"string", "date", "datetime", "time", "any", "year"})


def _unquoted(text: str) -> str:
    """A cell as it was before the export neutralised it (kit/spreadsheet.py: the quote before `=`, `+`, `-`, `@`,
    tab or carriage return), so that a directory's own export reads back as it was written."""
    if text.startswith(spreadsheet.QUOTE) and text[1:2] and text[1] in spreadsheet.TRIGGERS:
        return text[1:]
    return text


def _cell(text: str, kind: str) -> Any:
    if kind == "integer":
        return int(text)
    if kind == "number":
        value = float(text)
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return int(text) if re.fullmatch(r"[+-]?\d+", text.strip()) else value
    if kind == "boolean":
        if text.lower() not in ("true", "false"):
            raise ValueError("must be true or false")
        return text.lower() == "true"
    if kind in ("array", "object"):
        value = json.loads(text)
        if not isinstance(value, list if kind == "array" else dict):
            raise ValueError(f"must be a JSON {kind}")
        return value
    return text


class _Package:
    """A data package in a directory or a zip: its descriptor and a way to open its files."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        if path.is_dir():
            self.root = PurePosixPath()
            if not (path / "datapackage.json").is_file():
                raise Unreadable(f"{path}: no datapackage.json in this directory")
        else:
            try:
                self.zip = zipfile.ZipFile(path)
            except zipfile.BadZipFile:
                raise Unreadable(f"{path}: neither JSON nor a zip of a CSV data package") from None
            names = [n for n in self.zip.namelist() if PurePosixPath(n).name == "datapackage.json"]
            if not names:
                raise Unreadable(f"{path}: no datapackage.json in this zip")
            self.root = PurePosixPath(min(names, key=len)).parent
        try:
            self.descriptor = json.loads(self.read_text("datapackage.json"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise Unreadable(f"{self.name('datapackage.json')}: not valid JSON ({exc})") from None

    def name(self, relative: str) -> str:
        return str(self.path / relative) if self.zip is None else f"{self.path}!{self.root / relative}"

    def read_text(self, relative: str) -> str:
        if ".." in PurePosixPath(relative).parts or PurePosixPath(relative).is_absolute():
            raise Unreadable(f"{self.name(relative)}: a resource path must stay inside the package")
        try:
            if self.zip is None:
                return (self.path / relative).read_text(encoding="utf-8-sig")
            return self.zip.read(str(self.root / relative)).decode("utf-8-sig")
        except (OSError, KeyError) as exc:
            raise Unreadable(f"{self.name(relative)}: cannot be read ({exc})") from None


def read_package(path: Path) -> tuple[Bundle, list[Problem]]:
    package = _Package(path)
    resources = package.descriptor.get("resources")
    if not isinstance(resources, list):
        raise Unreadable(f"{package.name('datapackage.json')}: `resources` must be a list")
    reader = _Reader(Bundle())
    embedded: list[tuple[str, str, Record]] = []
    for resource in resources:
        if not isinstance(resource, dict) or not isinstance(resource.get("path"), str):
            raise Unreadable(f"{package.name('datapackage.json')}: every resource needs a `path`")
        relative = resource["path"]
        file = package.name(relative)
        table = str(resource.get("name") or PurePosixPath(relative).stem)
        if table not in KINDS and table not in EMBEDDED:
            raise Unreadable(f"{file}: `{table}` is not an HSDS table this directory reads "
                             f"({', '.join(KINDS + tuple(EMBEDDED))})")
        fields = resource.get("schema", {}).get("fields", []) if isinstance(resource.get("schema"), dict) else []
        types = {f["name"]: str(f.get("type", "string")) for f in fields if isinstance(f, dict) and "name" in f}
        rows = csv.DictReader(io.StringIO(package.read_text(relative), newline=""))
        for number, row in enumerate(rows, start=2):
            rec: Record = {}
            where = f"row {number}"
            for key, text in row.items():
                if key is None or text is None or text.strip() == "":
                    continue
                try:
                    rec[key] = _cell(_unquoted(text), types.get(key, "string"))
                except (ValueError, json.JSONDecodeError) as exc:
                    reader.problem(file, table, str(row.get("id") or where), key,
                                   f"cannot be read as {types.get(key)}: {str(exc).split(':')[0]}")
            if table in EMBEDDED:
                embedded.append((file, table, rec))
            else:
                reader.store(file, table, rec, where)
    for file, table, rec in embedded:
        for fk, parent_kind, fld in EMBEDDED[table]:
            parent = reader.bundle.records[parent_kind].get(str(rec.get(fk)))
            if parent is not None:
                parent.setdefault(fld, []).append(rec)
                break
        else:
            names = " or ".join(fk for fk, _, _ in EMBEDDED[table])
            reader.problem(file, table, str(rec.get("id", "?")), names.split(" or ")[0],
                           f"names no record of this package ({names})")
    return reader.bundle, reader.problems


def read_path(path: Path) -> tuple[Bundle, list[Problem]]:
    """Read an HSDS JSON file, or a CSV data package (a directory or a zip with datapackage.json)."""
    if path.is_dir() or zipfile.is_zipfile(path):
        return read_package(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise Unreadable(f"{path}: cannot be read ({exc.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise Unreadable(f"{path}: not valid JSON ({exc})") from None
    return read_json(data, str(path))


# ---------------------------------------------------------------------------------------------- checking

def language_code(code: str) -> str | None:
    """The ISO 639-1 code of an ISO 639-1 or 639-3 code, or None when there is none."""
    code = code.strip().lower()
    if len(code) == 2:
        return code if pycountry.languages.get(alpha_2=code) is not None else None
    lang = pycountry.languages.get(alpha_3=code) if len(code) == 3 else None
    return getattr(lang, "alpha_2", None) if lang is not None else None


def _known_language(code: str) -> bool:
    code = code.strip().lower()
    if len(code) == 2:
        return pycountry.languages.get(alpha_2=code) is not None
    return len(code) == 3 and pycountry.languages.get(alpha_3=code) is not None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _check_values(kind: str, rec: Record) -> Iterator[tuple[str, str]]:
    # PostgreSQL stores no NUL in text or JSON, and the database layer would refuse it mid-import without
    # saying where; named here, it is refused before anything is written.
    for name, value in rec.items():
        if _has_nul(value):
            yield name, "must not contain NUL characters"
    for name in REQUIRED[kind]:
        if _is_blank(rec.get(name)):
            yield name, "is required"
    for name in [*REFS[kind], "link_id", "link_entity", "name", "code"]:
        if name in rec and not isinstance(rec[name], str):
            yield name, "must be text"
        elif name in rec and len(rec[name]) > (500 if name == "name" else MAX_ID):
            yield name, f"must be at most {500 if name == 'name' else MAX_ID} characters"
    if kind == "location":
        for name, limit in (("latitude", 90), ("longitude", 180)):
            if name in rec:
                value = _number(rec[name])
                if value is None:
                    yield name, "must be a number of decimal degrees"
                elif not -limit <= value <= limit:
                    yield name, f"must be between -{limit} and {limit}"
        if ("latitude" in rec) != ("longitude" in rec):
            yield ("longitude" if "latitude" in rec else "latitude"), "is required with the other coordinate"
        if "location_type" in rec and rec["location_type"] not in LOCATION_TYPES:
            yield "location_type", "must be one of " + ", ".join(LOCATION_TYPES)
    elif kind == "service":
        if "status" in rec and rec["status"] not in SERVICE_STATUSES:
            yield "status", "must be one of " + ", ".join(SERVICE_STATUSES)
        for name in ("minimum_age", "maximum_age"):
            if name in rec and (_number(rec[name]) is None or not 0 <= rec[name] <= 150):
                yield name, "must be a number of years between 0 and 150"
    elif kind == "language":
        if "code" in rec and isinstance(rec["code"], str) and not _known_language(rec["code"]):
            yield "code", "must be an ISO 639-1 or ISO 639-3 language code"
    elif kind == "schedule":
        for name in ("opens_at", "closes_at"):
            if name in rec:
                try:
                    parse_time(str(rec[name]))
                except ValueError as exc:
                    yield name, str(exc)
        if "byday" in rec:
            try:
                check_byday(str(rec["byday"]))
            except ValueError as exc:
                yield "byday", str(exc)
        if "freq" in rec and str(rec["freq"]).upper() not in ("WEEKLY", "MONTHLY", "YEARLY", "DAILY"):
            yield "freq", "must be WEEKLY or MONTHLY"
        if "timezone" in rec and (_number(rec["timezone"]) is None or not -14 <= rec["timezone"] <= 14):
            yield "timezone", "must be a UTC offset in hours, between -14 and 14"
        for name in ("valid_from", "valid_to"):
            if name in rec and not (isinstance(rec[name], str) and _DATE.fullmatch(rec[name]) and _is_date(rec[name])):
                yield name, "must be a date written YYYY-MM-DD"
    elif kind == "attribute" and "link_entity" in rec and rec["link_entity"] not in LINKED:
        yield "link_entity", "must name one of " + ", ".join(sorted(LINKED))


Exists = Callable[[str, str], bool]


def check(bundle: Bundle, exists: Exists) -> list[Problem]:
    """Every problem of every record: required fields, values, and ids that name nothing.

    `exists(kind, id)` answers for records already in the directory, which a file may refer to.
    """
    problems = []
    records = bundle.records

    def known(kind: str, rid: Any) -> bool:
        return isinstance(rid, str) and (rid in records[kind] or exists(kind, rid))

    for kind in KINDS:
        for rid, rec in records[kind].items():
            file = bundle.files.get((kind, rid), "?")
            for name, message in _check_values(kind, rec):
                problems.append(Problem(file, kind, rid, name, message))
            for name, target in REFS[kind].items():
                value = rec.get(name)
                if value is None or not isinstance(value, str):
                    continue
                if not known(target, value):
                    message = ("is an unknown taxonomy term" if target == "taxonomy_term"
                               else f"names no {target.replace('_', ' ')}")
                    problems.append(Problem(file, kind, rid, name, f"{message}: {value}"))
            if kind == "attribute" and rec.get("link_entity") in LINKED and isinstance(rec.get("link_id"), str) \
                    and not known(rec["link_entity"], rec["link_id"]):
                problems.append(Problem(file, kind, rid, "link_id",
                                        f"names no {rec['link_entity'].replace('_', ' ')}: {rec['link_id']}"))
    return problems


def without_invalid(bundle: Bundle, problems: list[Problem], exists: Exists) -> tuple[Bundle, list[Problem]]:
    """The bundle without every record at fault, and without the records that then name nothing."""
    everything = list(problems)
    bad = {(p.kind, p.record) for p in problems}
    while bad:
        for kind, rid in bad:
            if kind in bundle.records:
                bundle.records[kind].pop(rid, None)
        more = check(bundle, exists)
        everything.extend(more)
        bad = {(p.kind, p.record) for p in more}
    return bundle, everything


# ---------------------------------------------------------------------------------------------- writing

def _parents(kind: str, rec: Record) -> Iterator[tuple[str, str, str]]:
    """(parent kind, parent id, parent field) of each object this record could be nested in, in order."""
    if kind == "attribute":
        if rec.get("link_entity") in LINKED and isinstance(rec.get("link_id"), str):
            yield rec["link_entity"], rec["link_id"], "attributes"
        return
    for parent_kind, fields in CHILDREN.items():
        for fld, (child, fk) in fields.items():
            if child == kind and isinstance(rec.get(fk), str):
                yield parent_kind, rec[fk], fld


def to_json(bundle: Bundle) -> dict[str, list[Record]]:
    """The bundle as nested HSDS objects: each record inside its first parent, the rest at the top.

    Services at locations sit inside their service; locations inside their organization; attributes inside
    what they describe. Taxonomies and their terms are listed at the top, so that none is lost with an
    attribute that no longer names it.
    """
    nested: dict[str, dict[str, Record]] = {k: {rid: dict(rec) for rid, rec in bundle.records[k].items()}
                                            for k in KINDS}
    top: dict[str, list[Record]] = {PLURAL[k]: [] for k in KINDS}
    # Children first, so that a record is complete before it is placed into its parent.
    for kind in reversed(KINDS):
        for rid in sorted(nested[kind]):
            obj = nested[kind][rid]
            for parent_kind, parent_id, fld in _parents(kind, obj):
                parent = nested[parent_kind].get(parent_id)
                if parent is not None:
                    parent.setdefault(fld, []).append(obj)
                    break
            else:
                top[PLURAL[kind]].append(obj)
    return {key: items for key, items in top.items() if items}


def _column_type(values: Iterable[Any]) -> str:
    types = {type(v) for v in values}
    if types <= {int}:
        return "integer"
    if types <= {int, float}:
        return "number"
    if types <= {bool}:
        return "boolean"
    if types <= {list}:
        return "array"
    if types <= {dict}:
        return "object"
    if types <= {str}:
        return "string"
    return "any"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _tables(bundle: Bundle) -> dict[str, list[Record]]:
    tables: dict[str, list[Record]] = {}
    for kind in KINDS:
        rows = tables.setdefault(kind, [])
        for rid in sorted(bundle.records[kind]):
            rec = dict(bundle.records[kind][rid])
            for fld in list(rec):
                link = _EMBEDDED_FIELDS.get((kind, fld))
                if link is not None and isinstance(rec[fld], list) and all(isinstance(i, dict) for i in rec[fld]):
                    table, fk = link
                    for item in rec.pop(fld):
                        tables.setdefault(table, []).append({**item, fk: item.get(fk, rid)})
            rows.append(rec)
    return {name: rows for name, rows in tables.items() if rows}


def package_files(bundle: Bundle) -> dict[str, str]:
    """The CSV data package of the bundle: file name → text, `datapackage.json` included."""
    files: dict[str, str] = {}
    resources = []
    for name, rows in _tables(bundle).items():
        columns = sorted({key for row in rows for key in row}, key=lambda c: (c != "id", c))
        out = io.StringIO(newline="")
        # Through the one CSV writer: a name or a description in an imported file must not open as a formula
        # in the spreadsheet of whoever reads the export; the import strips the quote it adds (_unquoted).
        spreadsheet.write_csv(out, columns, ([_text(row[c]) if c in row else "" for c in columns] for row in rows))
        files[f"{name}.csv"] = out.getvalue()
        fields = [{"name": c, "type": _column_type(row[c] for row in rows if c in row)} for c in columns]
        resources.append({"name": name, "path": f"{name}.csv", "profile": "tabular-data-resource",
                          "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
                          "schema": {"fields": fields, "primaryKey": ["id"] if "id" in columns else []}})
    descriptor = {"name": "hsds-directory", "profile": "tabular-data-package",
                  "title": "Human Services Data Specification 3.0 directory", "resources": resources}
    files["datapackage.json"] = json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n"
    return files


def write_path(bundle: Bundle, path: Path) -> str:
    """Write the bundle: `.json` as a JSON bundle, `.zip` as a zipped data package, otherwise a directory."""
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(to_json(bundle), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return "json"
    files = package_files(bundle)
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, text in files.items():
                archive.writestr(name, text)
        return "zip"
    path.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (path / name).write_text(text, encoding="utf-8")
    return "csv"


def records_equal(a: Mapping[str, Mapping[str, Record]], b: Mapping[str, Mapping[str, Record]]) -> bool:
    return {k: dict(v) for k, v in a.items() if v} == {k: dict(v) for k, v in b.items() if v}
