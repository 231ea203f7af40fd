"""What a consent lets the agency share: the data categories, the exact fields each covers, and the
fields a recipient may read for one purpose given the consents in force.

Pure code: plain values in, plain values out. Referrals compute a partner's view with `shared_fields` at
every read, so a revoked or expired consent takes the fields away at once; nothing is copied to the
partner ahead of time.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any


class Purpose(StrEnum):
    REFERRAL = "referral"
    CASE_MANAGEMENT = "case_management"
    HEALTH_CARE = "health_care"
    LEGAL_ASSISTANCE = "legal_assistance"
    SHELTER = "shelter"
    PSYCHOSOCIAL_SUPPORT = "psychosocial_support"
    FAMILY_TRACING = "family_tracing"
    RETURN_AND_REINTEGRATION = "return_and_reintegration"


class Category(StrEnum):
    IDENTITY = "identity"
    CONTACT = "contact"
    NATIONALITY_AND_DOCUMENTS = "nationality_and_documents"
    CASE_SUMMARY = "case_summary"
    HEALTH = "health"
    PROTECTION_NEEDS = "protection_needs"
    LEGAL_STATUS = "legal_status"


class Method(StrEnum):
    WRITTEN = "written"
    VERBAL = "verbal"
    GUARDIAN = "guardian"


# Field names are `person.<attribute>`, `case.<attribute>` or `case.data.<programme field>`. Programme fields
# are named one by one, across every default programme: a field that no category names is never shared,
# so a programme that adds a field shares nothing of it until it is placed here.
FIELDS: dict[Category, tuple[str, ...]] = {
    Category.IDENTITY: ("person.given_name", "person.family_name", "person.aliases", "person.sex",
                        "person.date_of_birth"),
    Category.CONTACT: ("person.phone", "person.languages"),
    Category.NATIONALITY_AND_DOCUMENTS: ("person.nationality", "person.documents",
                                         "case.data.travel_document_type", "case.data.travel_document_number"),
    Category.CASE_SUMMARY: ("case.case_number", "case.programme", "case.state", "case.opened_at"),
    Category.HEALTH: ("case.data.health_assessment_date", "case.data.health_conditions", "case.data.fit_to_travel",
                      "case.data.medical_escort_needed", "case.data.fit_for_work"),
    Category.PROTECTION_NEEDS: ("case.data.vulnerability", "case.data.risk_assessment", "case.data.safety_plan",
                                "case.data.shelter_needed", "case.data.specific_needs", "case.data.child_status",
                                "case.data.care_arrangement_type"),
    Category.LEGAL_STATUS: ("case.data.legal_issue", "case.data.urgency", "case.data.jurisdiction",
                            "case.data.next_deadline", "case.data.next_hearing_date",
                            "case.data.reflection_period_end"),
}


@dataclass(frozen=True)
class Grant:
    """One consent as the coverage check sees it."""

    recipient_id: uuid.UUID
    purpose: Purpose
    categories: frozenset[Category]
    expires_on: date
    revoked: bool
    given_on: date


def in_force(grant: Grant, today: date) -> bool:
    return not grant.revoked and grant.given_on <= today < grant.expires_on


def covered_categories(grants: Iterable[Grant], *, recipient_id: uuid.UUID, purpose: Purpose,
                       today: date) -> frozenset[Category]:
    """The categories the consents in force give this recipient for this purpose."""
    covered: set[Category] = set()
    for grant in grants:
        if grant.recipient_id == recipient_id and grant.purpose == purpose and in_force(grant, today):
            covered |= grant.categories
    return frozenset(covered)


def missing_categories(wanted: Iterable[Category], grants: Iterable[Grant], *, recipient_id: uuid.UUID,
                       purpose: Purpose, today: date) -> list[Category]:
    """The wanted categories no consent in force covers, in the order of `Category`."""
    covered = covered_categories(grants, recipient_id=recipient_id, purpose=purpose, today=today)
    wanted_set = set(wanted)
    return [c for c in Category if c in wanted_set and c not in covered]


def fields_of(categories: Iterable[Category]) -> tuple[str, ...]:
    chosen = set(categories)
    return tuple(f for c in Category if c in chosen for f in FIELDS[c])


def _value(name: str, person: Mapping[str, Any], case: Mapping[str, Any] | None) -> tuple[bool, Any]:
    source, _, rest = name.partition(".")
    if source == "person":
        return (rest in person), person.get(rest)
    if case is None:
        return False, None
    if rest.startswith("data."):
        data = case.get("data") or {}
        key = rest.removeprefix("data.")
        return (key in data), data.get(key)
    return (rest in case), case.get(rest)


def shared_fields(person: Mapping[str, Any], case: Mapping[str, Any] | None, categories: Iterable[Category],
                  ) -> dict[str, Any]:
    """Exactly the fields the categories cover that the record holds, by field name; never another field."""
    shared: dict[str, Any] = {}
    for name in fields_of(categories):
        present, value = _value(name, person, case)
        if present:
            shared[name] = value
    return shared


def covered_fields(person: Mapping[str, Any], case: Mapping[str, Any] | None, grants: Iterable[Grant], *,
                   recipient_id: uuid.UUID, purpose: Purpose, today: date,
                   wanted: Iterable[Category] | None = None) -> dict[str, Any]:
    """The fields of a person and case that the consents in force let this recipient read for this purpose.

    `wanted` narrows them to the categories a referral asked for: consent to more is not a reason to send
    more.
    """
    categories = covered_categories(grants, recipient_id=recipient_id, purpose=purpose, today=today)
    if wanted is not None:
        categories = categories & frozenset(wanted)
    return shared_fields(person, case, categories)
