"""What the referrals API accepts and returns."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from crossroads.consent.coverage import Category, Purpose
from crossroads.kit.inputs import InputModel, MultiLine, SingleLine
from crossroads.referrals.models import DeclineReason, Outcome, ReferralKind, ReferralState

ServiceId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=250), SingleLine]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40), SingleLine]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), MultiLine]


class ReferralCreate(InputModel):
    case_id: uuid.UUID
    # External: a service of the directory whose organisation is linked to a partner organisation.
    service_id: ServiceId | None = None
    # Internal: an office of the agency, and optionally the programme asked to take the person on.
    to_office_id: uuid.UUID | None = None
    to_programme: Code | None = None
    purpose: Purpose
    categories: list[Category] = Field(min_length=1, max_length=len(Category))


class ReferralDecline(InputModel):
    reason: DeclineReason


class ReferralComplete(InputModel):
    outcome: Outcome
    note: Note | None = None


class ReferralOut(BaseModel):
    id: uuid.UUID
    reference: str
    kind: ReferralKind
    state: ReferralState
    purpose: Purpose
    categories: list[Category]
    service_id: str | None
    service_name: str | None
    to_organisation_id: uuid.UUID
    to_organisation_name: str | None
    to_office_id: uuid.UUID | None
    to_programme: str | None
    # The referring side's own records; None for the receiver, who reads only the shared fields.
    case_id: uuid.UUID | None
    person_id: uuid.UUID | None
    created_at: datetime
    sent_at: datetime | None
    due_at: datetime | None
    accepted_at: datetime | None
    declined_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    closed_at: datetime | None
    no_show_at: datetime | None
    decline_reason: DeclineReason | None
    outcome: Outcome | None
    outcome_note: str | None
    overdue: bool
    # Whether consent in force still covers what the referral shares (always true inside the agency).
    consent_in_force: bool


class ReferralPage(BaseModel):
    items: list[ReferralOut]
    next_cursor: str | None


class SharedOut(BaseModel):
    reference: str
    categories: list[Category]
    fields: dict[str, Any]


class AnalyticsRow(BaseModel):
    to_organisation_id: uuid.UUID
    to_organisation_name: str | None
    service_id: str | None
    service_name: str | None
    sent: int
    accepted: int
    declined: int
    completed: int
    open: int
    median_hours_to_accept: float | None
    completion_rate: float | None
    declines_by_reason: dict[str, int]


class AnalyticsOut(BaseModel):
    rows: list[AnalyticsRow]
    total: AnalyticsRow | None
