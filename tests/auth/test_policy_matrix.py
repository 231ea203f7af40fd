"""Every role × endpoint × office combination, with the expected answer derived from the policy's grants."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest

from crossroads.auth.policy import GRANTS
from crossroads.auth.roles import Action, Role
from crossroads.auth.service import issue_token
from crossroads.dedup.merges import merge_people
from crossroads.dedup.service import activate_model
from crossroads.disclosure import service as disclosure
from tests.factories import auth as af
from tests.factories import dedup as df
from tests.factories import people as pf
from tests.factories import releases as rf


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # formatted with person_id and case_id of the target record
    action: Action
    scoped: bool  # the target record lives in an office
    body: Callable[[dict], dict] | None = None
    success: int = 200


ENDPOINTS = [
    Endpoint("GET", "/api/v1/people/{person_id}", Action.PERSON_READ, True),
    Endpoint("GET", "/api/v1/people/{person_id}/household", Action.PERSON_READ, True),
    Endpoint("POST", "/api/v1/people/{person_id}/household", Action.HOUSEHOLD_MANAGE, True,
             lambda t: {"relationship": "child", "person": pf.person_payload(given_name="Ana")}, 201),
    Endpoint("POST", "/api/v1/people", Action.PERSON_CREATE, True,
             lambda t: pf.person_payload(office_id=t["office_id"]), 201),
    Endpoint("GET", "/api/v1/cases/{case_id}", Action.CASE_READ, True),
    Endpoint("POST", "/api/v1/cases/{case_id}/notes", Action.CASE_NOTE, True, lambda t: {"body": "Follow-up."}, 201),
    Endpoint("POST", "/api/v1/cases", Action.CASE_CREATE, True,
             lambda t: {"person_id": t["person_id"], "programme": "legal_counselling"}, 201),
    Endpoint("POST", "/api/v1/registrations", Action.PERSON_CREATE, True,
             lambda t: {"person": pf.person_payload(office_id=t["office_id"]), "case": {"programme": "avrr"}}, 201),
    Endpoint("GET", "/api/v1/cases/{case_id}/transitions", Action.CASE_TRANSITION, True),
    Endpoint("PATCH", "/api/v1/cases/{case_id}", Action.CASE_UPDATE, True,
             lambda t: {"version": 1, "flags": ["urgent"]}),
    Endpoint("GET", "/api/v1/cases/{case_id}/tasks", Action.CASE_TASK, True),
    Endpoint("GET", "/api/v1/cases/{case_id}/timeline", Action.CASE_READ, True),
    Endpoint("GET", "/api/v1/approvals", Action.CASE_TRANSITION, False),
    Endpoint("GET", "/api/v1/transfers", Action.CASE_TRANSFER, False),
    Endpoint("POST", "/api/v1/people/check-duplicates", Action.DEDUP_CHECK, True,
             lambda t: pf.person_payload(office_id=t["office_id"])),
    Endpoint("GET", "/api/v1/dedup/candidates", Action.DEDUP_REVIEW, False),
    Endpoint("GET", "/api/v1/dedup/candidates/{candidate_id}", Action.DEDUP_REVIEW, True),
    Endpoint("POST", "/api/v1/dedup/candidates/{candidate_id}/reject", Action.DEDUP_REVIEW, True),
    Endpoint("POST", "/api/v1/dedup/merges", Action.DEDUP_MERGE, True,
             lambda t: {"survivor_id": t["person_id"], "merged_id": t["duplicate_id"]}, 201),
    Endpoint("GET", "/api/v1/dedup/merges/{merge_id}", Action.DEDUP_MERGE, True),
    Endpoint("POST", "/api/v1/dedup/merges/{merge_id}/unmerge", Action.DEDUP_MERGE, True),
    Endpoint("GET", "/api/v1/users", Action.ADMIN_MANAGE, False),
    Endpoint("GET", "/api/v1/offices", Action.ADMIN_MANAGE, False),
    Endpoint("POST", "/api/v1/organisations", Action.ADMIN_MANAGE, False,
             lambda t: {"name": "Clinic of Hope", "kind": "partner"}, 201),
]

# Disclosure endpoints need releases in every state.
DISCLOSURE_ENDPOINTS = [
    Endpoint("GET", "/api/v1/disclosure/datasets", Action.RELEASE_READ, False),
    Endpoint("POST", "/api/v1/disclosure/datasets", Action.DATASET_MANAGE, False,
             lambda t: {"name": "Matrix dataset", "epsilon_budget": 1.0}, 201),
    Endpoint("GET", "/api/v1/disclosure/datasets/{dataset_id}/ledger", Action.LEDGER_READ, False),
    Endpoint("GET", "/api/v1/disclosure/releases", Action.RELEASE_READ, False),
    Endpoint("GET", "/api/v1/disclosure/releases/{release_id}", Action.RELEASE_READ, False),
    Endpoint("POST", "/api/v1/disclosure/releases/{release_id}/submit", Action.RELEASE_PREPARE, False),
    Endpoint("POST", "/api/v1/disclosure/releases/{pending_id}/approve", Action.RELEASE_APPROVE, False,
             lambda t: {}),
    Endpoint("GET", "/api/v1/disclosure/releases/{approved_id}/files/release.csv", Action.RELEASE_DOWNLOAD, False),
    Endpoint("GET", "/api/v1/disclosure/agreements", Action.AGREEMENT_MANAGE, False),
    Endpoint("POST", "/api/v1/disclosure/agreements", Action.AGREEMENT_MANAGE, False,
             lambda t: {"organisation_id": t["partner_org_id"], "title": "DSA", "purpose": "Monitoring",
                        "fields": ["sex"], "valid_from": "2026-01-01", "expires_on": "2030-01-01"}, 201),
]

DISCLOSURE_IDS = ("dataset_id", "release_id", "pending_id", "approved_id", "partner_org_id")

# Users of every role; caseworker and supervisor exist in both offices, others have none.
ACTORS = [
    ("caseworker", "a"), ("caseworker", "b"), ("supervisor", "a"), ("supervisor", "b"),
    ("partner", None), ("data_officer", None), ("dpo", None), ("admin", None),
]


# Endpoints that either of two actions opens: agreements are read by the DPO who makes them and by the data
# officer who issues packages under them.
ALSO_ALLOWED = {"/api/v1/disclosure/agreements": {("GET", Action.EXCHANGE_ISSUE)}}


def expected_status(role: Role, office: str | None, endpoint: Endpoint) -> set[int]:
    alternatives = {a for m, a in ALSO_ALLOWED.get(endpoint.path, set()) if m == endpoint.method}
    if endpoint.action not in GRANTS[role] and not alternatives & GRANTS[role]:
        return {403}
    if endpoint.scoped and office != "a":
        # Records of another office are invisible (404); writing into it is refused (403).
        return {403, 404}
    return {endpoint.success}


@pytest.fixture(scope="module")
def records(module_db):
    """A user of each role, logged in; a person and case in office A, created by A's caseworker; releases.

    Also in office A: a duplicate of the person on the review queue, and two other records already merged. For the
    disclosure endpoints: a dataset and releases in draft, pending and approved states. Built once for the module;
    each test runs in a savepoint of it (`db` below), so every test starts from these records.
    """
    db = module_db
    world = af.world(db)
    users = {
        ("caseworker", "a"): world.users["caseworker_a"],
        ("caseworker", "b"): world.users["caseworker_b"],
        ("supervisor", "a"): world.users["supervisor_a"],
        ("supervisor", "b"): af.user(db, world.agency, Role.SUPERVISOR, [world.office_b]),
        ("partner", None): world.users["partner"],
        ("data_officer", None): world.users["data_officer"],
        ("dpo", None): world.users["dpo"],
        ("admin", None): world.users["admin"],
    }
    principal = world.principal(db, "caseworker_a")
    person = pf.person(db, principal)
    case = pf.case(db, principal, person)
    activate_model(db, actor=None, model=df.match_model())
    duplicate = pf.person(db, principal, given_name="Jose", family_name="Munoz")
    candidate = df.pair(db, person, duplicate)
    merged = [df.person(db, principal, df.ORIGINAL), df.person(db, principal, df.VARIANT)]
    merge = merge_people(db, principal=world.principal(db, "supervisor_a"), survivor_id=merged[0].id,
                         merged_id=merged[1].id)

    dpo = world.principal(db, "dpo")
    # Prepared by another data officer, so that the DPO's four-eyes rule never decides the answer.
    preparer = af.principal(db, af.user(db, world.agency, Role.DATA_OFFICER))
    dataset = rf.dataset(db, dpo)
    draft = rf.release(db, preparer, dataset)
    pending = rf.release(db, preparer, dataset)
    disclosure.submit_release(db, principal=preparer, release_id=pending.id)
    approved = rf.approved(db, preparer, dpo, dataset)

    # Tokens as the login endpoint issues them (tested in test_routes), one per user rather than one per test.
    headers = {key: {"Authorization": f"Bearer {issue_token(db, user=u, kind='api', lifetime=timedelta(hours=8))}"}
               for key, u in users.items()}
    db.commit()
    return {"headers": headers, "person_id": str(person.id), "case_id": str(case.id),
            "office_id": str(world.office_a.id), "duplicate_id": str(duplicate.id), "candidate_id": candidate.id,
            "merge_id": merge.id, "dataset_id": str(dataset.id), "release_id": str(draft.id),
            "pending_id": str(pending.id), "approved_id": str(approved.id), "partner_org_id": str(world.partner_org.id)}


@pytest.fixture(scope="module")
def target(records):
    """The records but the disclosure ones, whose ids test_anonymous_gets_401 draws at random."""
    return {k: v for k, v in records.items() if k not in DISCLOSURE_IDS}


@pytest.fixture(scope="module")
def disclosure_target(records):
    return records


@pytest.fixture
def db(savepoint_db):
    return savepoint_db


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method} {e.path}")
@pytest.mark.parametrize(("role", "office"), ACTORS, ids=lambda v: str(v))
def test_policy_matrix(client, target, endpoint, role, office):
    headers = target["headers"][(role, office)]
    url = endpoint.path.format(**target)
    body = endpoint.body(target) if endpoint.body else None
    response = client.request(endpoint.method, url, headers=headers, json=body)
    assert response.status_code in expected_status(Role(role), office, endpoint), response.text


@pytest.mark.parametrize("endpoint", DISCLOSURE_ENDPOINTS, ids=lambda e: f"{e.method} {e.path}")
@pytest.mark.parametrize(("role", "office"), ACTORS, ids=lambda v: str(v))
def test_disclosure_policy_matrix(client, disclosure_target, endpoint, role, office):
    test_policy_matrix(client, disclosure_target, endpoint, role, office)


@pytest.mark.parametrize("endpoint", ENDPOINTS + DISCLOSURE_ENDPOINTS, ids=lambda e: f"{e.method} {e.path}")
def test_anonymous_gets_401(client, target, endpoint):
    ids = {"dataset_id": uuid.uuid4(), "release_id": uuid.uuid4(), "pending_id": uuid.uuid4(),
           "approved_id": uuid.uuid4(), "partner_org_id": str(uuid.uuid4())}
    body = endpoint.body({**target, **ids}) if endpoint.body else None
    response = client.request(endpoint.method, endpoint.path.format(**target, **ids), json=body)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(("role", "office"), ACTORS, ids=lambda v: str(v))
def test_case_list_shows_only_own_office(client, target, role, office):
    response = client.get("/api/v1/cases", headers=target["headers"][(role, office)])
    if Action.CASE_READ not in GRANTS[Role(role)]:
        assert response.status_code == 403
        return
    ids = {c["id"] for c in response.json()["items"]}
    assert (target["case_id"] in ids) == (office == "a")
