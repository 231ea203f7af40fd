"""What the cases API accepts and returns."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from crossroads.kit.inputs import InputModel, SingleLine, Version
from crossroads.people.models import Sex

Flag = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[a-z][a-z0-9_]{0,39}$")]
ProgrammeCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40), SingleLine]


class CaseOpening(InputModel):
    """The case part of opening a case: programme, office, programme fields and flags."""

    programme: ProgrammeCode
    office_id: uuid.UUID | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    flags: list[Flag] = Field(default_factory=list, max_length=20)


class CaseCreate(CaseOpening):
    person_id: uuid.UUID


class CaseUpdate(InputModel):
    """A change to a case, made against the version the editor saw; null removes a field's value."""

    version: Version
    data: dict[str, Any] | None = None
    flags: list[Flag] | None = Field(None, max_length=20)


class NoteCreate(InputModel):
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]


class CasePersonOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    given_name: str
    family_name: str
    sex: Sex
    date_of_birth: date | None
    nationality: str | None


class CaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    case_number: str
    programme: str
    programme_version_id: int | None
    state: str
    office_id: uuid.UUID
    assigned_to: uuid.UUID | None
    opened_at: datetime
    last_activity_at: datetime
    closed_at: datetime | None
    flags: list[str]
    person: CasePersonOut
    version: int


class NoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    body: str
    author_id: uuid.UUID | None
    created_at: datetime


class CaseDetailOut(CaseOut):
    data: dict[str, Any]
    notes: list[NoteOut]


class CaseList(BaseModel):
    items: list[CaseOut]
    # Counted up to a cap, on the first page only (null on cursor pages: the first page gave it).
    total: int | None
    total_is_capped: bool
    next_cursor: str | None
    page: int
    page_size: int
