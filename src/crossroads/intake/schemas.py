"""What the registration API accepts and returns."""

from __future__ import annotations

import uuid

from pydantic import BaseModel

from crossroads.cases.schemas import CaseOpening, CaseOut
from crossroads.kit.inputs import InputModel
from crossroads.people.models import Sex
from crossroads.people.schemas import PersonCreate, PersonOut


class RegistrationCreate(InputModel):
    """A person registered and their first case opened in one request and one transaction."""

    person: PersonCreate
    case: CaseOpening


class RegistrationOut(BaseModel):
    person: PersonOut
    case: CaseOut


class PersonFoundOut(BaseModel):
    """One person a search found: enough to tell them apart, not their whole record (GET /people/{id})."""

    id: uuid.UUID
    office_id: uuid.UUID
    given_name: str
    family_name: str
    sex: Sex
    birth_year: int | None
    date_of_birth_estimated: bool
    nationality: str | None
    # Cases of this person in the user's offices.
    cases: int
    # What the query matched: "name", "document" or "phone".
    matched: str
    # The name match weight (log2 odds) the duplicate engine gives the query and the person's closest name.
    score: float


class PeopleList(BaseModel):
    items: list[PersonFoundOut]
    total: int
    # More people shared the query's name keys than were ranked: add a word or a filter.
    total_is_capped: bool
    page: int
    page_size: int
