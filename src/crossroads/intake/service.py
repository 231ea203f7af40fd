"""Registering people: a person with their matching keys and likely duplicates queued, household members, and
a registration that opens the person's first case, each in the caller's one transaction."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from crossroads.auth.policy import Principal
from crossroads.cases.models import Case
from crossroads.cases.service import open_case_for
from crossroads.dedup.index import index_person
from crossroads.dedup.service import queue_duplicates_of
from crossroads.intake.schemas import RegistrationCreate
from crossroads.kit.errors import DomainError
from crossroads.people import service as people
from crossroads.people.models import Person
from crossroads.people.schemas import HouseholdMemberCreate, PersonCreate, PersonUpdate


def register_person(session: Session, *, principal: Principal, data: PersonCreate,
                    registered_anyway: str | None = None) -> Person:
    """Register a person in one of the user's offices; `registered_anyway` says why, when duplicates were shown."""
    person = people.add_person(session, principal=principal, data=data)
    # The blocking index is part of the registration: a person without keys would be invisible to the
    # duplicate check of the next registration.
    index_person(session, person, fresh=True)
    queue_duplicates_of(session, actor=principal, person=person, registration_reason=registered_anyway)
    return person


def add_household_member(
    session: Session, *, principal: Principal, person_id: uuid.UUID, data: HouseholdMemberCreate,
    registered_anyway: str | None = None,
) -> Person:
    """Put a registered or newly registered person into this person's household."""
    head = people.household_head(session, principal=principal, person_id=person_id)
    if data.person is not None:
        person_data = data.person.model_copy(update={"office_id": data.person.office_id or head.office_id})
        member = register_person(session, principal=principal, data=person_data, registered_anyway=registered_anyway)
    else:
        assert data.person_id is not None
        member = people.load_person(session, principal, data.person_id, full=False)
    return people.join_household(session, principal=principal, head=head, member=member,
                                 relationship=data.relationship)


def register_with_case(session: Session, *, principal: Principal, data: RegistrationCreate) -> Case:
    """Register a person and open their first case together, as an intake does."""
    try:
        person = register_person(session, principal=principal, data=data.person)
    except DomainError as exc:
        raise exc.within("person") from None
    try:
        return open_case_for(session, principal=principal, person=person, data=data.case)
    except DomainError as exc:
        # The request's transaction rolls back, so the person registered above is not kept either.
        raise exc.within("case") from None


def edit_person(session: Session, *, principal: Principal, person_id: uuid.UUID, data: PersonUpdate) -> Person:
    """Correct a person's details; their matching keys follow in the same transaction."""
    person, changed = people.update_person(session, principal=principal, person_id=person_id, data=data)
    if people.MATCHED & set(changed):
        # As at registration: a duplicate check, a batch run or a search after the commit sees the new values, and
        # a likely duplicate the correction reveals goes to a supervisor.
        index_person(session, person)
        queue_duplicates_of(session, actor=principal, person=person)
    return person
