"""JSON API for reading people and households (registering them is the intake's)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from crossroads.auth.deps import ApiUser
from crossroads.people import service
from crossroads.people.schemas import (
    HouseholdMemberOut,
    HouseholdOut,
    PersonOut,
)
from crossroads.web.deps import DbSession

router = APIRouter(prefix="/people", tags=["people"])


@router.get("/{person_id}", response_model=PersonOut)
def get_person(person_id: uuid.UUID, session: DbSession, principal: ApiUser):
    return PersonOut.model_validate(service.get_person(session, principal=principal, person_id=person_id))


@router.get("/{person_id}/household", response_model=HouseholdOut | None)
def get_household(person_id: uuid.UUID, session: DbSession, principal: ApiUser):
    person = service.get_person(session, principal=principal, person_id=person_id)
    if person.household_id is None:
        return None
    members = service.household_members(session, principal=principal, person=person)
    return HouseholdOut(id=person.household_id, members=[HouseholdMemberOut.model_validate(m) for m in members])
