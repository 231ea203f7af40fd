"""What the consent API accepts and returns."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from crossroads.consent.coverage import Category, Method, Purpose
from crossroads.kit.inputs import InputModel, IsoDate, MultiLine, SingleLine

GuardianText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), SingleLine]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000), MultiLine]


class ConsentCreate(InputModel):
    recipient_organisation_id: uuid.UUID
    purpose: Purpose
    categories: list[Category] = Field(min_length=1, max_length=len(Category))
    method: Method
    guardian_name: GuardianText | None = None
    guardian_relationship: GuardianText | None = None
    # Defaults to the day it is recorded.
    given_on: IsoDate | None = None
    expires_on: IsoDate


class ConsentRevoke(InputModel):
    reason: Reason


class ConsentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    person_id: uuid.UUID
    recipient_organisation_id: uuid.UUID
    purpose: Purpose
    categories: list[Category]
    method: Method
    guardian_name: str | None
    guardian_relationship: str | None
    given_on: date
    expires_on: date
    created_at: datetime
    revoked_at: datetime | None
    revocation_reason: str | None
    in_force: bool = False
