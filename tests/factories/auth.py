"""Organisations, offices and users for tests, created through the services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from crossroads.auth import service
from crossroads.auth.models import Office, Organisation, User
from crossroads.auth.policy import Principal
from crossroads.auth.roles import OrganisationKind, Role
from crossroads.auth.schemas import OfficeCreate, OrganisationCreate, UserCreate

PASSWORD = "correct horse battery staple"


def organisation(db: Session, *, kind: OrganisationKind = OrganisationKind.AGENCY) -> Organisation:
    return service.create_organisation(db, actor=None, data=OrganisationCreate(
        name=f"Org {uuid.uuid4().hex[:8]}", kind=kind))


def office(db: Session, org: Organisation, code: str | None = None) -> Office:
    return service.create_office(db, actor=None, data=OfficeCreate(
        organisation_id=org.id, code=code or uuid.uuid4().hex[:6].upper(), name="Field office"))


def user(db: Session, org: Organisation, role: Role, offices: list[Office] = (), email: str | None = None) -> User:
    return service.create_user(db, actor=None, data=UserCreate(
        email=email or f"{role.value}-{uuid.uuid4().hex[:8]}@example.org", full_name="Test User", role=role,
        organisation_id=org.id, office_ids=[o.id for o in offices], password=PASSWORD))


def principal(db: Session, u: User) -> Principal:
    return service.principal_for(db, u)


@dataclass
class World:
    """Two offices of the agency and a partner, with one user of every role."""

    agency: Organisation
    partner_org: Organisation
    office_a: Office
    office_b: Office
    users: dict[str, User]

    def principal(self, db: Session, key: str) -> Principal:
        return service.principal_for(db, self.users[key])


def world(db: Session) -> World:
    agency = organisation(db)
    partner_org = organisation(db, kind=OrganisationKind.PARTNER)
    a, b = office(db, agency), office(db, agency)
    users = {
        "caseworker_a": user(db, agency, Role.CASEWORKER, [a]),
        "caseworker_b": user(db, agency, Role.CASEWORKER, [b]),
        "supervisor_a": user(db, agency, Role.SUPERVISOR, [a]),
        "partner": user(db, partner_org, Role.PARTNER),
        "data_officer": user(db, agency, Role.DATA_OFFICER),
        "dpo": user(db, agency, Role.DPO),
        "admin": user(db, agency, Role.ADMIN),
    }
    db.flush()
    return World(agency=agency, partner_org=partner_org, office_a=a, office_b=b, users=users)
