"""Which fields a consent shares: the categories' fields, for the recipient and purpose, while in force."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from crossroads.consent.coverage import (
    FIELDS,
    Category,
    Grant,
    Purpose,
    covered_categories,
    covered_fields,
    fields_of,
    missing_categories,
    shared_fields,
)

TODAY = date(2026, 12, 7)
PARTNER, OTHER = uuid.uuid4(), uuid.uuid4()

PERSON = {"given_name": "Amina", "family_name": "Yusuf", "aliases": ["أمينة"], "sex": "female",
          "date_of_birth": "1990-01-01", "phone": "+21620000000", "languages": ["ar", "fr"], "nationality": "SOM",
          "documents": [{"document_type": "passport", "number": "P123"}], "household_relationship": "head"}
CASE = {"case_number": "TUN-2026-000001", "programme": "legal_counselling", "state": "open",
        "opened_at": "2026-01-01", "assigned_to": "someone",
        "data": {"legal_issue": "asylum", "urgency": "high", "advice_summary": "private", "safety_plan": "secret",
                 "health_conditions": "asthma"}}


def grant(*categories: Category, recipient: uuid.UUID = PARTNER, purpose: Purpose = Purpose.LEGAL_ASSISTANCE,
          given: date = date(2026, 1, 1), expires: date = date(2027, 1, 1), revoked: bool = False) -> Grant:
    return Grant(recipient_id=recipient, purpose=purpose, categories=frozenset(categories), expires_on=expires,
                 revoked=revoked, given_on=given)


class TestFields:
    def test_every_category_names_its_fields(self):
        assert set(FIELDS) == set(Category)
        assert all(FIELDS[c] for c in Category)

    def test_no_field_belongs_to_two_categories(self):
        names = [f for c in Category for f in FIELDS[c]]
        assert len(names) == len(set(names))

    def test_fields_are_of_person_or_case(self):
        assert all(f.startswith(("person.", "case.")) for f in fields_of(Category))


class TestSharedFields:
    @pytest.mark.parametrize(("categories", "expected"), [
        ({Category.IDENTITY}, {"person.given_name": "Amina", "person.family_name": "Yusuf",
                               "person.aliases": ["أمينة"], "person.sex": "female",
                               "person.date_of_birth": "1990-01-01"}),
        ({Category.CONTACT}, {"person.phone": "+21620000000", "person.languages": ["ar", "fr"]}),
        ({Category.LEGAL_STATUS}, {"case.data.legal_issue": "asylum", "case.data.urgency": "high"}),
        ({Category.CASE_SUMMARY}, {"case.case_number": "TUN-2026-000001", "case.programme": "legal_counselling",
                                   "case.state": "open", "case.opened_at": "2026-01-01"}),
        (set(), {}),
    ])
    def test_exactly_the_fields_of_the_categories(self, categories, expected):
        assert shared_fields(PERSON, CASE, categories) == expected

    def test_never_a_field_no_category_names(self):
        shared = shared_fields(PERSON, CASE, set(Category))
        assert "case.data.advice_summary" not in shared and "person.household_relationship" not in shared
        assert "case.assigned_to" not in shared
        assert set(shared) <= set(fields_of(Category))

    def test_without_a_case_only_person_fields(self):
        assert set(shared_fields(PERSON, None, set(Category))) == {
            f for f in fields_of(Category) if f.startswith("person.")}


class TestConsentsInForce:
    def test_union_of_consents_for_recipient_and_purpose(self):
        grants = [grant(Category.IDENTITY), grant(Category.CONTACT),
                  grant(Category.HEALTH, recipient=OTHER), grant(Category.LEGAL_STATUS, purpose=Purpose.SHELTER)]
        assert covered_categories(grants, recipient_id=PARTNER, purpose=Purpose.LEGAL_ASSISTANCE, today=TODAY) \
            == {Category.IDENTITY, Category.CONTACT}

    @pytest.mark.parametrize("g", [
        grant(Category.IDENTITY, revoked=True),
        grant(Category.IDENTITY, expires=TODAY),
        grant(Category.IDENTITY, given=date(2026, 12, 8)),
    ], ids=["revoked", "expired today", "given tomorrow"])
    def test_revoked_expired_or_future_consent_covers_nothing(self, g):
        assert covered_fields(PERSON, CASE, [g], recipient_id=PARTNER, purpose=Purpose.LEGAL_ASSISTANCE,
                              today=TODAY) == {}

    def test_wanted_narrows_what_consent_allows(self):
        fields = covered_fields(PERSON, CASE, [grant(Category.IDENTITY, Category.HEALTH)], recipient_id=PARTNER,
                                purpose=Purpose.LEGAL_ASSISTANCE, today=TODAY, wanted={Category.IDENTITY})
        assert "case.data.health_conditions" not in fields and fields["person.given_name"] == "Amina"

    def test_wanted_cannot_widen_it(self):
        fields = covered_fields(PERSON, CASE, [grant(Category.IDENTITY)], recipient_id=PARTNER,
                                purpose=Purpose.LEGAL_ASSISTANCE, today=TODAY, wanted=set(Category))
        assert set(fields) == set(FIELDS[Category.IDENTITY])

    def test_missing_names_uncovered_categories_in_order(self):
        missing = missing_categories([Category.LEGAL_STATUS, Category.IDENTITY, Category.CONTACT],
                                     [grant(Category.CONTACT)], recipient_id=PARTNER,
                                     purpose=Purpose.LEGAL_ASSISTANCE, today=TODAY)
        assert missing == [Category.IDENTITY, Category.LEGAL_STATUS]
