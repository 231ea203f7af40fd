"""A small HSDS directory: three organizations in Tunisia and Niger, their services, locations, hours and
languages, and one imported taxonomy term under a shipped need category."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from crossroads.directory import hsds, transfer
from crossroads.directory.taxonomy import BY_CODE

LEGAL_AID = BY_CODE["legal_aid"].term_id
HEALTH = BY_CODE["health"].term_id
SHELTER = BY_CODE["shelter"].term_id
ASYLUM = "0b7e6f7a-4a0e-4c57-9a43-2f1f2f0c0a01"

TUNIS = (36.8065, 10.1815)
SFAX = (34.7406, 10.7603)
AGADEZ = (16.9742, 7.9865)


def _attribute(aid: str, term: str) -> dict[str, Any]:
    return {"id": aid, "taxonomy_term_id": term, "link_type": "service_category"}


def services() -> list[dict[str, Any]]:
    """HSDS service objects as a publisher's API would list them: organizations and locations nested."""
    tunis_aid = {"id": "org-tunis-aid", "name": "Tunis Legal Aid", "description": "Lawyers for migrants.",
                 "website": "https://aid.example.org"}
    return [
        {"id": "svc-legal-tunis", "name": "Legal advice in Tunis", "status": "active",
         "description": "Free counselling on residence and asylum.", "organization": tunis_aid,
         "eligibility_description": "Migrants of any status.", "minimum_age": 0, "maximum_age": 120,
         "service_at_locations": [{"id": "sal-legal-tunis", "location": {
             "id": "loc-tunis", "location_type": "physical", "name": "Tunis office", "organization_id": "org-tunis-aid",
             "latitude": TUNIS[0], "longitude": TUNIS[1],
             "addresses": [{"id": "addr-tunis", "address_1": "12 Rue de Marseille", "city": "Tunis",
                            "state_province": "Tunis", "postal_code": "1000", "country": "TN",
                            "address_type": "physical"}]}}],
         "languages": [{"id": "lang-legal-tunis-ar", "code": "ar", "name": "Arabic"},
                       {"id": "lang-legal-tunis-fr", "code": "fra", "name": "French"}],
         "schedules": [{"id": "sch-legal-tunis", "freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR", "opens_at": "08:00",
                        "closes_at": "16:00", "timezone": 1, "description": "Weekdays"}],
         "phones": [{"id": "ph-legal-tunis", "number": "+216 71 000 001", "type": "voice",
                     "languages": [{"id": "lang-ph-legal-tunis", "code": "ar"}]}],
         "contacts": [{"id": "ct-legal-tunis", "name": "Intake desk", "email": "intake@aid.example.org"}],
         "service_areas": [{"id": "area-tunis", "name": "Grand Tunis", "extent_type": "text"}],
         "attributes": [_attribute("att-legal-tunis", LEGAL_AID)],
         "funding": [{"id": "fund-1", "source": "City of Tunis"}]},
        {"id": "svc-legal-sfax", "name": "Asylum counselling in Sfax", "status": "active",
         "organization": tunis_aid,
         "service_at_locations": [{"id": "sal-legal-sfax", "location": {
             "id": "loc-sfax", "location_type": "physical", "name": "Sfax desk", "organization_id": "org-tunis-aid",
             "latitude": SFAX[0], "longitude": SFAX[1]}}],
         "languages": [{"id": "lang-legal-sfax-ar", "code": "ar"}],
         "schedules": [{"id": "sch-legal-sfax", "byday": "SA", "opens_at": "09:00", "closes_at": "12:00",
                        "timezone": 1}],
         "attributes": [{"id": "att-legal-sfax", "taxonomy_term_id": ASYLUM, "taxonomy_term": {
             "id": ASYLUM, "code": "asylum", "name": "Asylum counselling", "description": "Asylum procedures.",
             "parent_id": LEGAL_AID, "taxonomy": "Local categories"}}]},
        {"id": "svc-health-agadez", "name": "Agadez migrant clinic", "status": "active",
         "organization": {"id": "org-agadez-clinic", "name": "Agadez Clinic", "description": "Primary care."},
         "service_at_locations": [{"id": "sal-health-agadez", "location": {
             "id": "loc-agadez", "location_type": "physical", "organization_id": "org-agadez-clinic",
             "latitude": AGADEZ[0], "longitude": AGADEZ[1]}}],
         "languages": [{"id": "lang-health-agadez-ha", "code": "ha"}, {"id": "lang-health-agadez-fr", "code": "fr"}],
         "schedules": [{"id": "sch-health-agadez", "opens_at": "00:00Z", "closes_at": "24:00Z"}],
         "attributes": [_attribute("att-health-agadez", HEALTH)]},
        {"id": "svc-shelter-tunis", "name": "Closed shelter", "status": "inactive", "organization": tunis_aid,
         "service_at_locations": [{"id": "sal-shelter-tunis", "location_id": "loc-tunis"}],
         "attributes": [_attribute("att-shelter-tunis", SHELTER)]},
    ]


def write_json(directory: Path, data: Any, name: str = "directory.json") -> Path:
    path = directory / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def import_data(db: Session, data: Any, *, skip_invalid: bool = False, file: str = "directory.json"
                ) -> transfer.ImportResult:
    bundle, problems = hsds.read_json(copy.deepcopy(data), file)
    skipped = transfer.check_bundle(db, bundle, problems, skip_invalid=skip_invalid)
    return transfer.import_bundle(db, bundle=bundle, actor=None, source=file, skipped=skipped)


def directory(db: Session) -> transfer.ImportResult:
    """The sample directory, imported."""
    return import_data(db, services())
