"""What the case-work API accepts and returns: tasks, services, attachments, links, timeline, dashboards."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

import pycountry
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, computed_field

from crossroads.cases.schemas import CaseOut
from crossroads.db.base import utcnow
from crossroads.kit.inputs import InputModel, IsoDate, MultiLine, SingleLine
from crossroads.people.models import Relationship


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def check_currency_code(code: str) -> str:
    if pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError("must be an ISO 4217 currency code, e.g. EUR, USD, XOF")
    return code


Provider = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), SingleLine]
Notes = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), MultiLine]


# Tasks

class TaskCreate(InputModel):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), SingleLine]
    due_date: IsoDate | None = None
    # Left out: the task is the creator's. null: nobody's yet.
    assigned_to: uuid.UUID | None = None


class TaskOut(_Out):
    id: int
    case_id: uuid.UUID
    title: str
    due_date: date | None
    assigned_to: uuid.UUID | None
    created_by: uuid.UUID | None
    created_at: datetime
    completed_at: datetime | None
    completed_by: uuid.UUID | None

    # pydantic's documented form; mypy does not accept a decorator over a property.
    @computed_field  # type: ignore[prop-decorator]
    @property
    def overdue(self) -> bool:
        # Days are counted in UTC: offices carry no time zone yet.
        return self.completed_at is None and self.due_date is not None and self.due_date < utcnow().date()


class TaskWithCaseOut(TaskOut):
    case_number: str


class TaskList(BaseModel):
    items: list[TaskWithCaseOut]
    has_more: bool


class TaskStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"


# Services

class AssistanceStatus(StrEnum):
    PLANNED = "planned"
    DELIVERED = "delivered"


def _cents(value: Decimal) -> Decimal:
    # 75 and 75.00 are one amount: stored, returned and summed with two decimals.
    return value.quantize(Decimal("0.01"))


Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2, allow_inf_nan=False),
                  AfterValidator(_cents)]
Currency = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=3, max_length=3),
                     SingleLine, AfterValidator(check_currency_code)]


class AssistanceCreate(InputModel):
    service_code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40), SingleLine]
    status: AssistanceStatus = AssistanceStatus.PLANNED
    planned_date: IsoDate | None = None
    delivered_date: IsoDate | None = None
    provider: Provider | None = None
    cost: Money | None = None
    currency: Currency | None = None
    notes: Notes | None = None


class AssistanceDelivery(InputModel):
    delivered_date: IsoDate
    provider: Provider | None = None
    cost: Money | None = None
    currency: Currency | None = None


class AssistanceOut(_Out):
    id: int
    case_id: uuid.UUID
    service_code: str
    status: str
    planned_date: date | None
    delivered_date: date | None
    provider: str | None
    delivered_by: uuid.UUID | None
    cost: Decimal | None
    currency: str | None
    notes: str | None
    created_at: datetime


class CurrencyTotal(_Out):
    currency: str
    planned: Decimal
    delivered: Decimal


class AssistanceList(BaseModel):
    items: list[AssistanceOut]
    totals: list[CurrencyTotal]


# Attachments

class AttachmentOut(_Out):
    id: uuid.UUID
    case_id: uuid.UUID
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: uuid.UUID | None
    uploaded_at: datetime


# Links

class LinkKind(StrEnum):
    FAMILY = "family"
    HOUSEHOLD = "household"
    SAME_PERSON_OTHER_PROGRAMME = "same_person_other_programme"


class LinkCreate(InputModel):
    linked_case_id: uuid.UUID
    kind: LinkKind = LinkKind.FAMILY


class LinkOut(BaseModel):
    case_id: uuid.UUID
    linked_case_id: uuid.UUID
    kind: LinkKind
    created_at: datetime


class LinkedCaseOut(BaseModel):
    kind: LinkKind
    case: CaseOut


class HouseholdCaseOut(BaseModel):
    relationship: Relationship | None
    case: CaseOut


class CaseLinks(BaseModel):
    linked: list[LinkedCaseOut]
    # Cases of the person's household (the person's own other cases included) not already linked above.
    household: list[HouseholdCaseOut]


# Timeline

class TimelineEntryOut(BaseModel):
    # The audit event's id; null for a day's folded views, which stand for several reads.
    id: int | None
    occurred_at: datetime
    action: str
    # One of the kinds the timeline filters by (`kind`).
    kind: str
    actor_id: uuid.UUID | None
    actor_name: str | None
    actor_role: str | None
    # The sentence's message (an English msgid, translated by the pages) and its parameters.
    message: str
    params: dict[str, Any]
    # The sentence in English.
    description: str
    details: dict[str, Any]
    # Folded views: how many reads, by how many people.
    times: int | None = None
    people: int | None = None


class TimelineDayOut(BaseModel):
    day: date
    items: list[TimelineEntryOut]


class Timeline(BaseModel):
    # Newest day first, and newest first within a day.
    days: list[TimelineDayOut]
    # Pass as `before` for older events; null at the end.
    next_before: int | None


# Dashboards

class CaseBriefOut(_Out):
    id: uuid.UUID
    case_number: str
    programme: str
    state: str
    office_id: uuid.UUID
    assigned_to: uuid.UUID | None
    last_activity_at: datetime


class CaseloadCell(BaseModel):
    programme: str
    state: str
    # The state's label in the cases' own programme version.
    label: str
    count: int


class OverdueTasks(BaseModel):
    count: int
    items: list[TaskWithCaseOut]


class InactiveCases(BaseModel):
    days: int
    count: int
    items: list[CaseBriefOut]


class MyDashboard(BaseModel):
    open_cases: int
    caseload: list[CaseloadCell]
    overdue_tasks: OverdueTasks
    inactive_cases: InactiveCases


class AssigneeOverdue(BaseModel):
    assigned_to: uuid.UUID | None
    name: str | None
    count: int


class OfficeDashboard(BaseModel):
    office_id: uuid.UUID
    open_cases: int
    caseload: list[CaseloadCell]
    overdue_tasks: int
    overdue_by_assignee: list[AssigneeOverdue]
    inactive_cases: InactiveCases
