"""JSON API for people and households."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from crossroads.people import service
from crossroads.people.schemas import (
    HouseholdMemberCreate,
    HouseholdMemberOut,
    HouseholdOut,
    PersonCreate,
    PersonOut,
)
from crossroads.web.deps import ApiUser, DbSession

router = APIRouter(prefix="/people", tags=["people"])


@router.post("", response_model=PersonOut, status_code=201)
def register_person(body: PersonCreate, session: DbSession, principal: ApiUser):
    person = service.register_person(session, principal=principal, data=body)
    return PersonOut.model_validate(person)


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


@router.post("/{person_id}/household", response_model=HouseholdMemberOut, status_code=201)
def add_household_member(person_id: uuid.UUID, body: HouseholdMemberCreate, session: DbSession,
                         principal: ApiUser):
    member = service.add_household_member(session, principal=principal, person_id=person_id, data=body)
    return HouseholdMemberOut.model_validate(member)
