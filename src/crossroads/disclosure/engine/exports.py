"""Release files: a Frictionless Data Package (CSV + datapackage.json), XLSX, and a CTDC-shaped CSV. Pure.

datapackage.json is written here by hand, following the Frictionless Data Package and Table Schema specs:
the `frictionless` library would add some twenty packages to every installation only to write one JSON
file. The test suite validates what is written here with `frictionless` itself.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from crossroads.kit import spreadsheet

CSV_NAME = "release.csv"
DATAPACKAGE_NAME = "datapackage.json"
XLSX_NAME = "release.xlsx"
CTDC_NAME = "ctdc.csv"
MEDIA_TYPES = {CSV_NAME: "text/csv", DATAPACKAGE_NAME: "application/json", CTDC_NAME: "text/csv",
               XLSX_NAME: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass(frozen=True)
class FieldMeta:
    name: str
    description: str
    hxl: str
    role: str | None = None


def _cell(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def infer_type(values: Iterable[Any]) -> str:
    """The narrowest Table Schema type that holds every value present (blank cells are missing values)."""
    present = [v for v in values if v is not None and v != ""]
    if not present:
        return "string"
    if all(isinstance(v, bool) for v in present):
        return "boolean"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "integer"
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return "number"
    if all(isinstance(v, date) and not isinstance(v, datetime) for v in present):
        return "date"
    return "string"


def _csv_value(value: Any) -> Any:
    # Numbers stay numbers here: the spreadsheet module decides by type what it neutralises.
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _cell(value)


def to_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> bytes:
    """The rows as CSV under the columns, text that looks like a formula neutralised (kit/spreadsheet.py)."""
    return spreadsheet.csv_bytes(columns, ([_csv_value(row.get(c)) for c in columns] for row in rows))


def datapackage(*, name: str, title: str, release_id: str, created: datetime, columns: Sequence[str],
                rows: Sequence[dict[str, Any]], fields: dict[str, FieldMeta], csv_bytes: bytes,
                method: dict[str, Any], software_version: str) -> bytes:
    """datapackage.json describing the CSV: each field's type, description and HXL hashtag, and the method."""
    schema_fields = []
    for c in columns:
        meta = fields.get(c) or FieldMeta(c, "", "")
        field: dict[str, Any] = {"name": c, "type": infer_type(r.get(c) for r in rows)}
        if meta.description:
            field["description"] = meta.description
        if meta.hxl:
            # Not part of Table Schema; custom properties are allowed, and HXL tools read this one.
            field["hxl"] = meta.hxl
        if meta.role:
            field["role"] = meta.role
        schema_fields.append(field)
    descriptor = {
        "profile": "tabular-data-package",
        "name": name,
        "id": release_id,
        "title": title,
        "created": created.isoformat(),
        "description": method.get("summary", ""),
        "method": method,
        "software": {"name": "crossroads", "version": software_version},
        "resources": [{
            "profile": "tabular-data-resource",
            "name": "release",
            "path": CSV_NAME,
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "bytes": len(csv_bytes),
            "hash": "sha256:" + hashlib.sha256(csv_bytes).hexdigest(),
            "schema": {"fields": schema_fields, "missingValues": [""]},
        }],
    }
    return json.dumps(descriptor, indent=2, ensure_ascii=False).encode("utf-8")


def to_xlsx(*, title: str, rows: Sequence[dict[str, Any]], columns: Sequence[str], fields: dict[str, FieldMeta],
            method: dict[str, Any]) -> bytes:
    """A workbook with the data, the fields (description, HXL) and the method, for people who use a spreadsheet."""
    data = [list(columns), *([_cell(row.get(c)) for c in columns] for row in rows)]
    about: list[list[Any]] = [["field", "description", "hxl"]]
    for c in columns:
        meta = fields.get(c) or FieldMeta(c, "", "")
        about.append([c, meta.description, meta.hxl])
    info: list[list[Any]] = [["title", title]]
    for key, value in method.items():
        info.append([key, value if isinstance(value, str | int | float) or value is None
                     else json.dumps(value, ensure_ascii=False)])
    return spreadsheet.xlsx_bytes([("data", data), ("fields", about), ("method", info)])


# CTDC / HTCDS. The Counter-Trafficking Data Collaborative publishes its Global Synthetic Dataset under
# these column names; a release shaped like it can be pooled with CTDC data. Flags are 1/0, blank unknown.
CTDC_COLUMNS = [
    "yearOfRegistration", "gender", "ageBroad", "citizenship", "CountryOfExploitation", "traffickMonths",
    "meansDebtBondageEarnings", "meansThreats", "meansAbusePsyPhySex", "meansFalsePromises", "meansDrugsAlcohol",
    "meansDenyBasicNeeds", "meansExcessiveWorkHours", "meansWithholdDocs",
    "isForcedLabour", "isSexualExploit", "isOtherExploit",
    "typeOfLabourAgriculture", "typeOfLabourConstruction", "typeOfLabourDomesticWork", "typeOfLabourHospitality",
    "typeOfSexProstitution", "typeOfSexPornography",
    "recruiterRelationIntimatePartner", "recruiterRelationFriend", "recruiterRelationFamily",
    "recruiterRelationOther",
]

_GENDER = {"female": "Woman", "male": "Man", "other": "Trans/Transgender/NonConforming"}
# CTDC's age bands; a released age that is already a range is kept only if it falls within one band.
_AGE_BANDS = [(0, 8, "0--8"), (9, 17, "9--17"), (18, 20, "18--20"), (21, 23, "21--23"), (24, 26, "24--26"),
              (27, 29, "27--29"), (30, 38, "30--38"), (39, 47, "39--47"), (48, 200, "48+")]
_MEANS = {
    "meansDebtBondageEarnings": {"debt_bondage", "withheld_wages"},
    "meansThreats": {"threats", "threats_to_family"},
    "meansAbusePsyPhySex": {"physical_violence", "sexual_violence", "psychological_abuse"},
    "meansFalsePromises": {"false_promises"},
    "meansDrugsAlcohol": {"forced_substance_use"},
    "meansDenyBasicNeeds": {"restricted_movement"},
    "meansWithholdDocs": {"document_confiscation"},
}
_EXPLOITATION = {
    "isForcedLabour": {"labour", "domestic_servitude"},
    "isSexualExploit": {"sexual"},
    "isOtherExploit": {"forced_marriage", "forced_criminality", "organ_removal", "begging", "other"},
}


def _age_band(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        low = high = value
    elif isinstance(value, str) and "-" in value.strip("-"):
        parts = [p for p in value.replace("–", "-").split("-") if p]
        if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
            return ""
        low, high = int(parts[0]), int(parts[1])
    else:
        return ""
    for lo, hi, band in _AGE_BANDS:
        if lo <= low and high <= hi:
            return band
    return ""


def _flags(value: Any, mapping: dict[str, set[str]]) -> dict[str, str]:
    if value is None or value == "" or value == "*":
        return {k: "" for k in mapping}
    chosen = set(str(value).split(";"))
    return {k: "1" if chosen & codes else "0" for k, codes in mapping.items()}


def ctdc_row(row: dict[str, Any]) -> dict[str, str]:
    out = dict.fromkeys(CTDC_COLUMNS, "")
    year = row.get("opened_year")
    out["yearOfRegistration"] = str(year) if isinstance(year, int) else ""
    out["gender"] = _GENDER.get(str(row.get("sex")), "")
    out["ageBroad"] = _age_band(row.get("age"))
    for ours, theirs in (("nationality", "citizenship"), ("country_of_exploitation", "CountryOfExploitation")):
        value = row.get(ours)
        out[theirs] = value if isinstance(value, str) and len(value) == 3 and value.isalpha() else ""
    if "means_of_control" in row:
        out.update(_flags(row["means_of_control"], _MEANS))
    if "type_of_exploitation" in row:
        out.update(_flags(row["type_of_exploitation"], _EXPLOITATION))
    return out


def to_ctdc(rows: Sequence[dict[str, Any]]) -> bytes:
    """The released rows under CTDC's column names; what the release does not hold stays blank."""
    return to_csv([ctdc_row(r) for r in rows], CTDC_COLUMNS)
