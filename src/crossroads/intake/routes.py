"""JSON API for registrations: a person, a household member, or a person with their first case."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from crossroads.auth.deps import ApiUser
from crossroads.cases.schemas import CaseOut
from crossroads.intake import search, service
from crossroads.intake.schemas import PeopleList, PersonFoundOut, RegistrationCreate, RegistrationOut
from crossroads.kit.codes import check_country
from crossroads.kit.errors import Invalid
from crossroads.people.models import Sex
from crossroads.people.schemas import HouseholdMemberCreate, HouseholdMemberOut, PersonCreate, PersonOut, PersonUpdate
from crossroads.web.deps import DbSession

router = APIRouter()


def nationality_filter(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return check_country(value)
    except ValueError as exc:
        raise Invalid(str(exc), field="nationality") from None


@router.get("/people", response_model=PeopleList, tags=["people"])
def search_people(
    session: DbSession,
    principal: ApiUser,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    sex: Sex | None = None,
    born: Annotated[int | None, Query(ge=1900, le=2100)] = None,
    born_within: Annotated[int, Query(ge=0, le=search.MAX_BORN_WITHIN)] = 0,
    nationality: Annotated[str | None, Query(min_length=3, max_length=3)] = None,
    office_id: uuid.UUID | None = None,
    page: Annotated[int, Query(ge=1, le=100)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 25,
):
    """People in your offices by name (any script or spelling, parts, swapped), alias, document or phone."""
    filters = search.PeopleFilters(q=q, sex=sex, born=born, born_within=born_within,
                                   nationality=nationality_filter(nationality), office_id=office_id)
    result = search.search_people(session, principal=principal, filters=filters, page=page, page_size=page_size)
    return PeopleList(
        items=[PersonFoundOut(id=h.person.id, office_id=h.person.office_id, given_name=h.person.given_name,
                              family_name=h.person.family_name, sex=h.person.sex,
                              birth_year=h.person.date_of_birth.year if h.person.date_of_birth else None,
                              date_of_birth_estimated=h.person.date_of_birth_estimated,
                              nationality=h.person.nationality, cases=h.cases, matched=h.matched, score=h.score)
               for h in result.items],
        total=result.total, total_is_capped=result.total_is_capped, page=result.page, page_size=result.page_size)


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
