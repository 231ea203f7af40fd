"""People and cases for tests, created through the services."""

from __future__ import annotations

from sqlalchemy.orm import Session

from crossroads.auth.policy import Principal
from crossroads.cases.models import Case
from crossroads.cases.schemas import CaseCreate
from crossroads.cases.service import open_case
from crossroads.intake.service import register_person
from crossroads.people.models import Person
from crossroads.people.schemas import PersonCreate


def person_payload(**overrides) -> dict:
    payload = {
        "given_name": "José",
        "family_name": "Muñoz",
        "sex": "male",
        "date_of_birth": "1990-04-12",
        "nationality": "VEN",
    }
    payload.update(overrides)
    return payload


def person(db: Session, principal: Principal, **overrides) -> Person:
    return register_person(db, principal=principal, data=PersonCreate(**person_payload(**overrides)))


def case(db: Session, principal: Principal, p: Person, programme: str = "avrr") -> Case:
    return open_case(db, principal=principal, data=CaseCreate(person_id=p.id, programme=programme))


