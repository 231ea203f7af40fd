"""Workflow staff, cases placed in a state, and small API helpers for the transition and transfer tests."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from crossroads.audit.models import AuditEvent
from crossroads.auth.policy import Principal
from crossroads.auth.roles import Role
from crossroads.cases.models import Case
from tests.factories import auth as af
from tests.factories import people as pf

API = "/api/v1"


def add_workflow_staff(db: Session, world: af.World) -> af.World:
    """A second supervisor and caseworker of office A and a supervisor of office B, added to `world.users`."""
    world.users["supervisor_a2"] = af.user(db, world.agency, Role.SUPERVISOR, [world.office_a])
    world.users["caseworker_a2"] = af.user(db, world.agency, Role.CASEWORKER, [world.office_a])
    world.users["supervisor_b"] = af.user(db, world.agency, Role.SUPERVISOR, [world.office_b])
    db.flush()
    return world


def case_in_state(db: Session, principal: Principal, programme: str, state: str | None = None,
                  data: dict[str, Any] | None = None, **person: Any) -> Case:
    """A case of a new person, placed directly in `state` with `data`, as if its workflow had got there."""
    case = pf.case(db, principal, pf.person(db, principal, **person), programme)
    if state is not None:
        case.state = state
    if data is not None:
        case.data = data
    db.flush()
    return case


def events(db: Session, case_id: uuid.UUID | str, action: str) -> list[AuditEvent]:
    """Audit events of one action on a case, oldest first (written when the transaction commits)."""
    return list(db.scalars(select(AuditEvent).where(AuditEvent.entity_type == "case",
                                                    AuditEvent.entity_id == str(case_id),
                                                    AuditEvent.action == action).order_by(AuditEvent.id)))


# Through the API


def register_and_open(client: TestClient, headers: dict[str, str], programme: str = "avrr", **person: Any) -> dict:
    response = client.post(f"{API}/people", json=pf.person_payload(**person), headers=headers)
    assert response.status_code == 201, response.text
    response = client.post(f"{API}/cases", json={"person_id": response.json()["id"], "programme": programme},
                           headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def fill(client: TestClient, headers: dict[str, str], case_id: str, version: int, **data: Any) -> int:
    """Set programme fields with PATCH; return the case's new version."""
    response = client.patch(f"{API}/cases/{case_id}", json={"version": version, "data": data}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["version"]


def move(client: TestClient, headers: dict[str, str], case_id: str, to_state: str, **body: Any):
    return client.post(f"{API}/cases/{case_id}/transitions", json={"to_state": to_state, **body}, headers=headers)


def decide(client: TestClient, headers: dict[str, str], approval_id: int, approve: bool = True, **body: Any):
    return client.post(f"{API}/approvals/{approval_id}/decision", json={"approve": approve, **body},
                       headers=headers)
