"""What the cases API accepts and returns."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from crossroads.people.models import Sex


class CaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_id: uuid.UUID
    programme: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    office_id: uuid.UUID | None = None


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]


class ProgrammeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    name: str


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
    state: str
    office_id: uuid.UUID
    opened_at: datetime
    person: CasePersonOut
    version: int


class NoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    body: str
    author_id: uuid.UUID | None
    created_at: datetime


class CaseDetailOut(CaseOut):
    notes: list[NoteOut]
