"""JSON API for registrations: a person, a household member, or a person with their first case."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from crossroads.auth.deps import ApiUser
from crossroads.cases.schemas import CaseOut
from crossroads.intake import service
from crossroads.intake.schemas import RegistrationCreate, RegistrationOut
from crossroads.people.schemas import (
    HouseholdMemberCreate,
    HouseholdMemberOut,
    PersonCreate,
    PersonOut,
    PersonUpdate,
)
from crossroads.web.deps import DbSession

router = APIRouter()


@router.post("/people", response_model=PersonOut, status_code=201, tags=["people"])
def register_person(body: PersonCreate, session: DbSession, principal: ApiUser):
    person = service.register_person(session, principal=principal, data=body)
    return PersonOut.model_validate(person)


@router.patch("/people/{person_id}", response_model=PersonOut, responses={409: {}}, tags=["people"])
def edit_person(person_id: uuid.UUID, body: PersonUpdate, session: DbSession, principal: ApiUser):
    """Correct a person's details against `version`; fields left out stay as they are."""
    person = service.edit_person(session, principal=principal, person_id=person_id, data=body)
    return PersonOut.model_validate(person)


@router.post("/people/{person_id}/household", response_model=HouseholdMemberOut, status_code=201,
             tags=["people"])
def add_household_member(person_id: uuid.UUID, body: HouseholdMemberCreate, session: DbSession,
                         principal: ApiUser):
    member = service.add_household_member(session, principal=principal, person_id=person_id, data=body)
    return HouseholdMemberOut.model_validate(member)


@router.post("/registrations", response_model=RegistrationOut, status_code=201, tags=["cases"])
def register_with_case(body: RegistrationCreate, session: DbSession, principal: ApiUser):
    case = service.register_with_case(session, principal=principal, data=body)
    return RegistrationOut(person=PersonOut.model_validate(case.person), case=CaseOut.model_validate(case))
