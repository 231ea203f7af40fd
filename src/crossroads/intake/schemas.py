"""What the registration API accepts and returns."""

from __future__ import annotations

from pydantic import BaseModel

from crossroads.cases.schemas import CaseOpening, CaseOut
from crossroads.kit.inputs import InputModel
from crossroads.people.schemas import PersonCreate, PersonOut


class RegistrationCreate(InputModel):
    """A person registered and their first case opened in one request and one transaction."""

    person: PersonCreate
    case: CaseOpening


class RegistrationOut(BaseModel):
    person: PersonOut
    case: CaseOut
