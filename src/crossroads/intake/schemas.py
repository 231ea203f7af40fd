"""What the registration API accepts and returns."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from crossroads.cases.schemas import CaseOpening, CaseOut
from crossroads.people.schemas import PersonCreate, PersonOut


class RegistrationCreate(BaseModel):
    """A person registered and their first case opened in one request and one transaction."""

    model_config = ConfigDict(extra="forbid")
    person: PersonCreate
    case: CaseOpening


class RegistrationOut(BaseModel):
    person: PersonOut
    case: CaseOut
