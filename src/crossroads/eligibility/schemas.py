"""What the eligibility API accepts and returns."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from crossroads.eligibility.models import AppealStatus, Outcome, OverrideStatus, RuleSetStatus
from crossroads.kit.inputs import InputModel, MultiLine, SingleLine

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), MultiLine]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), MultiLine]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60,
                                        pattern=r"^[a-z][a-z0-9_]*$"), SingleLine]
# A rule file is configuration, not a document: a generous bound that still refuses a stray upload.
SOURCE_MAX = 200_000
# One answer: a yes/no, a number, a choice, a date or a short text; the instrument checks which. Numbers are
# bounded (counts, ages, scores) so a huge integer is a 422 naming the answer, not a database or engine error.
ANSWER_NUMBER_MAX = 10**9
Answer = (bool | Annotated[int, Field(ge=-ANSWER_NUMBER_MAX, le=ANSWER_NUMBER_MAX)]
          | Annotated[float, Field(ge=-ANSWER_NUMBER_MAX, le=ANSWER_NUMBER_MAX, allow_inf_nan=False)]
          | Annotated[str, StringConstraints(max_length=2000), MultiLine] | None)


class ScreeningCreate(InputModel):
    instrument: Code
    answers: dict[Annotated[str, StringConstraints(max_length=60), SingleLine], Answer] = Field(max_length=200)


class ScreeningOut(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    instrument: str
    instrument_version: str
    # Only the answers whose sensitivity class the reader may read.
    answers: dict[str, Any]
    hidden: int
    score: int | None
    screened_by: uuid.UUID | None
    screened_at: datetime


class OverrideCreate(InputModel):
    outcome: Outcome
    reason: Reason


class OverrideDecision(InputModel):
    approve: bool
    note: Note | None = None


class OverrideOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    determination_id: uuid.UUID
    case_id: uuid.UUID
    outcome: Outcome
    reason: str
    needs_approval: bool
    status: OverrideStatus
    requested_by: uuid.UUID | None
    requested_at: datetime
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    decision_note: str | None
    appeal_id: uuid.UUID | None


class AppealCreate(InputModel):
    grounds: Reason


class AppealDecision(InputModel):
    status: Literal["under_review", "upheld", "overturned", "withdrawn"]
    decision: Note | None = None
    # Required when the appeal is overturned: the outcome the person gets instead.
    new_outcome: Outcome | None = None


class AppealOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    determination_id: uuid.UUID
    case_id: uuid.UUID
    grounds: str
    lodged_by: uuid.UUID | None
    lodged_at: datetime
    status: AppealStatus
    decision: str | None
    new_outcome: Outcome | None
    decided_by: uuid.UUID | None
    decided_at: datetime | None


class DeterminationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    case_id: uuid.UUID
    rule_set_id: int
    rule_set_version: str = ""
    inputs: dict[str, Any]
    trace: dict[str, Any]
    outcome: Outcome
    # The outcome in force: the determination's, or that of the override that replaced it.
    effective_outcome: Outcome | None = None
    priority: int
    determined_by: uuid.UUID | None
    determined_at: datetime
    superseded: bool
    superseded_at: datetime | None
    overrides: list[OverrideOut] = []
    appeals: list[AppealOut] = []


class RuleSetCreate(InputModel):
    version: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40), SingleLine]
    source: Annotated[str, StringConstraints(min_length=1, max_length=SOURCE_MAX), MultiLine]
    approve_every_override: bool = False


class RuleSetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    programme: str
    version: str
    status: RuleSetStatus
    approve_every_override: bool
    created_by: uuid.UUID | None
    created_at: datetime
    diff_at: datetime | None
    activated_at: datetime | None
    retired_at: datetime | None


class RuleSetDetail(RuleSetOut):
    source: str
    diff_report: dict[str, Any] | None
