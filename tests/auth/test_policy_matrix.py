"""Every operation of the API × every kind of user, with the answer each must get written down and checked.

`OPERATIONS` holds one row per operation of `app.openapi()` and one expected status per column of `ACTORS`:
the operation's success status where the user may call it, 403 where their role or office is refused, 404
where the record lies outside their scope (it looks the same as a record that does not exist), and 401
without a token. `test_every_operation_has_an_answer_for_every_user` fails when a route is added without its
row, so nobody adds a route without deciding who may call it.

Each request is real: its path names the module's records and its body is valid, so that an allowed
request succeeds (every row has a user who succeeds with the very same request) and a refused one is
refused by the policy, never by validation. A refusal must say which kind it is (`forbidden`, `not_found`,
`unauthenticated`), so neither a 404 for an unknown path nor a 422 passes for one, and it must leave every
table's row count as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from crossroads.auth.roles import Role
from crossroads.auth.service import issue_token
from crossroads.cases.work import tasks
from crossroads.cases.workflow import transfers, transitions
from crossroads.db.base import Base
from crossroads.dedup.learning import train_version
from crossroads.dedup.merges import merge_people
from crossroads.dedup.models import CandidateStatus
from crossroads.dedup.review import decide_candidate
from crossroads.dedup.service import activate_model
from crossroads.directory.service import link_partner
from crossroads.disclosure import agreements
from crossroads.disclosure import service as disclosure
from crossroads.disclosure.engine import exchange
from crossroads.disclosure.schemas import PackageIssue
from crossroads.eligibility import decisions as eligibility_decisions
from crossroads.eligibility import rule_admin, rulesets
from crossroads.eligibility.schemas import AppealCreate, RuleSetCreate
from crossroads.notify import secretbox
from crossroads.notify import service as notify
from crossroads.notify.models import OutboxState
from crossroads.notify.schemas import WebhookCreate
from crossroads.programmes.service import current_version
from crossroads.referrals import service as referrals
from tests.conftest import TEST_SECRET
from tests.factories import auth as af
from tests.factories import cases as cf
from tests.factories import consent as consent_factory
from tests.factories import dedup as df
from tests.factories import directory as directory_factory
from tests.factories import eligibility as ef
from tests.factories import people as pf
from tests.factories import referrals as referral_factory
from tests.factories import releases as rf
from tests.factories import work as wf

API = "/api/v1"

# The columns of the matrix. Office A holds every record the requests name; caseworker_b and supervisor_b
# work in office B, so for them those records are out of scope.
ACTORS = ("anonymous", "caseworker_a", "caseworker_b", "supervisor_a", "supervisor_b", "partner", "data_officer",
          "dpo", "admin")

SUCCESS = frozenset({200, 201, 202, 204})
# A refusal's status and the `type` its body must carry: the kind of refusal, not an unknown path or bad input.
REFUSALS = {401: "unauthenticated", 403: "forbidden", 404: "not_found"}
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

Records = Mapping[str, Any]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # as app.openapi() names it, without the /api/v1 prefix
    answers: str  # one status per column of ACTORS
    # Path parameters filled from a record other than the one of the parameter's own name.
    ids: Mapping[str, str] = field(default_factory=dict)
    body: Callable[[Records], Any] | None = None
    query: Mapping[str, str] | None = None
    upload: bool = False  # the body is a multipart file

    @property
    def key(self) -> tuple[str, str]:
        return self.method, API + self.path

    @property
    def expected(self) -> dict[str, int]:
        statuses = [int(s) for s in self.answers.split()]
        if len(statuses) != len(ACTORS):
            raise ValueError(f"{self.method} {self.path}: {len(statuses)} answers for {len(ACTORS)} users")
        unknown = set(statuses) - SUCCESS - set(REFUSALS)
        if unknown:
            raise ValueError(f"{self.method} {self.path}: {sorted(unknown)} is neither a success nor a refusal")
        if not set(statuses) & SUCCESS:
            # Someone must succeed with the same request, which shows that the path and body are right.
            raise ValueError(f"{self.method} {self.path}: nobody may call it")
        return dict(zip(ACTORS, statuses, strict=True))

    def url(self, records: Records) -> str:
        values = {**records, **{param: records[key] for param, key in self.ids.items()}}
        return API + self.path.format(**values)


def person_body(r: Records, **overrides: Any) -> dict:
    return pf.person_payload(office_id=r["office_id"], **overrides)


# The expected answers. Columns: anonymous, caseworker A, caseworker B, supervisor A, supervisor B, partner,
# data officer, DPO, admin.
OPERATIONS = [
    # Logging in needs no token; a user who has one may log in again.
    Operation("POST", "/auth/token", "200 200 200 200 200 200 200 200 200",
              body=lambda r: {"email": r["caseworker_a_email"], "password": af.PASSWORD}),
    # Administration: accounts, offices and organisations are the administrator's alone.
    Operation("GET", "/organisations", "401 403 403 403 403 403 403 403 200"),
    Operation("POST", "/organisations", "401 403 403 403 403 403 403 403 201",
              body=lambda r: {"name": "Clinic of Hope", "kind": "partner"}),
    Operation("GET", "/offices", "401 403 403 403 403 403 403 403 200"),
    Operation("POST", "/offices", "401 403 403 403 403 403 403 403 201",
              body=lambda r: {"organisation_id": r["agency_id"], "code": "MTX-1", "name": "Matrix office"}),
    Operation("GET", "/users", "401 403 403 403 403 403 403 403 200"),
    Operation("POST", "/users", "401 403 403 403 403 403 403 403 201",
              body=lambda r: {"email": "new.colleague@example.org", "full_name": "New Colleague",
                              "role": "caseworker", "organisation_id": r["agency_id"],
                              "office_ids": [r["office_id"]], "password": af.PASSWORD}),
    Operation("PATCH", "/users/{user_id}", "401 403 403 403 403 403 403 403 200",
              body=lambda r: {"full_name": "Renamed Colleague"}),
    # People: the registry roles of the person's office.
    # Searching answers every registry role, each with the people of their own offices only.
    Operation("GET", "/people", "401 200 200 200 200 403 403 403 403", query={"q": "Hadad"}),
    Operation("GET", "/people/{person_id}", "401 200 404 200 404 403 403 403 403"),
    Operation("PATCH", "/people/{person_id}", "401 200 404 200 404 403 403 403 403",
              body=lambda r: {"version": r["person_version"], "phone": "+216 20 123 456"}),
    Operation("GET", "/people/{person_id}/household", "401 200 404 200 404 403 403 403 403"),
    Operation("POST", "/people/{person_id}/household", "401 201 404 201 404 403 403 403 403",
              body=lambda r: {"relationship": "child", "person": pf.person_payload(given_name="Ana")}),
    # Registering in office A: B's staff are refused the office (403), not shown a record.
    Operation("POST", "/people", "401 201 403 201 403 403 403 403 403", body=person_body),
    Operation("POST", "/registrations", "401 201 403 201 403 403 403 403 403",
              body=lambda r: {"person": person_body(r), "case": {"programme": "avrr"}}),
    Operation("POST", "/people/check-duplicates", "401 200 403 200 403 403 403 403 403", body=person_body),
    # Programmes: read by staff (partners see nothing of the registry, its forms included); publishing a
    # version is the administrator's.
    Operation("GET", "/programmes", "401 200 200 200 200 403 200 200 200"),
    Operation("GET", "/programmes/{code}/versions", "401 200 200 200 200 403 200 200 200"),
    Operation("POST", "/programmes/{code}/versions", "401 403 403 403 403 403 403 403 201",
              body=lambda r: {"config": r["programme_config"], "comment": "Republished unchanged."}),
    # Cases of office A.
    Operation("POST", "/cases", "401 201 404 201 404 403 403 403 403",
              body=lambda r: {"person_id": r["person_id"], "programme": "legal_counselling"}),
    # Every registry user lists the cases of their own offices (test_case_list_shows_only_own_office).
    Operation("GET", "/cases", "401 200 200 200 200 403 403 403 403"),
    Operation("GET", "/cases/{case_id}", "401 200 404 200 404 403 403 403 403"),
    Operation("PATCH", "/cases/{case_id}", "401 200 404 200 404 403 403 403 403",
              body=lambda r: {"version": r["case_version"], "flags": ["urgent"]}),
    Operation("POST", "/cases/{case_id}/notes", "401 201 404 201 404 403 403 403 403",
              body=lambda r: {"body": "Follow-up."}),
    Operation("GET", "/cases/{case_id}/transitions", "401 200 404 200 404 403 403 403 403"),
    Operation("POST", "/cases/{case_id}/transitions", "401 200 404 200 404 403 403 403 403",
              body=lambda r: {"to_state": "counselling"}),
    # Reopening an ended (withdrawn) AVRR case, which this programme lets its caseworkers do without approval.
    Operation("POST", "/cases/{case_id}/reopen", "401 200 404 200 404 403 403 403 403",
              ids={"case_id": "ended_case_id"}, body=lambda r: {"reason": "She came back to the office."}),
    Operation("GET", "/approvals", "401 200 200 200 200 403 403 403 403"),
    # Deciding a caseworker's request is a supervisor's, of the case's office.
    Operation("POST", "/approvals/{approval_id}/decision", "401 403 403 200 404 403 403 403 403",
              body=lambda r: {"approve": True, "comment": "Checked."}),
    Operation("POST", "/cases/{case_id}/assign", "401 200 404 200 404 403 403 403 403",
              body=lambda r: {"user_id": r["supervisor_a_id"]}),
    Operation("POST", "/cases/{case_id}/transfer", "401 201 404 201 404 403 403 403 403",
              body=lambda r: {"to_office_id": r["office_b_id"], "reason": "Closer to the family."}),
    Operation("GET", "/transfers", "401 200 200 200 200 403 403 403 403"),
    # A transfer from office B to office A is decided in A, and one from A to B is cancelled in A.
    Operation("POST", "/transfers/{transfer_id}/decision", "401 200 404 200 404 403 403 403 403",
              ids={"transfer_id": "incoming_transfer_id"}, body=lambda r: {"accept": True}),
    Operation("POST", "/transfers/{transfer_id}/cancel", "401 200 404 200 404 403 403 403 403",
              ids={"transfer_id": "outgoing_transfer_id"}),
    Operation("POST", "/cases/{case_id}/tasks", "401 201 404 201 404 403 403 403 403",
              body=lambda r: {"title": "Call the embassy"}),
    Operation("GET", "/cases/{case_id}/tasks", "401 200 404 200 404 403 403 403 403"),
    Operation("POST", "/tasks/{task_id}/complete", "401 200 404 200 404 403 403 403 403",
              ids={"task_id": "open_task_id"}),
    Operation("POST", "/tasks/{task_id}/reopen", "401 200 404 200 404 403 403 403 403",
              ids={"task_id": "done_task_id"}),
    Operation("GET", "/tasks", "401 200 200 200 200 403 403 403 403"),
    Operation("POST", "/cases/{case_id}/services", "401 201 404 201 404 403 403 403 403",
              body=lambda r: {"service_code": "return_counselling"}),
    Operation("GET", "/cases/{case_id}/services", "401 200 404 200 404 403 403 403 403"),
    Operation("POST", "/case-services/{service_id}/deliver", "401 200 404 200 404 403 403 403 403",
              body=lambda r: {"delivered_date": str(wf.days_from_today(0))}),
    Operation("POST", "/cases/{case_id}/attachments", "401 201 404 201 404 403 403 403 403", upload=True),
    Operation("GET", "/cases/{case_id}/attachments", "401 200 404 200 404 403 403 403 403"),
    Operation("GET", "/attachments/{attachment_id}", "401 200 404 200 404 403 403 403 403"),
    Operation("POST", "/cases/{case_id}/links", "401 201 404 201 404 403 403 403 403",
              body=lambda r: {"linked_case_id": r["other_case_id"], "kind": "family"}),
    Operation("GET", "/cases/{case_id}/links", "401 200 404 200 404 403 403 403 403"),
    Operation("DELETE", "/cases/{case_id}/links/{linked_case_id}", "401 204 404 204 404 403 403 403 403"),
    Operation("GET", "/cases/{case_id}/timeline", "401 200 404 200 404 403 403 403 403"),
    Operation("GET", "/dashboard/me", "401 200 200 200 200 403 403 403 403"),
    # What waits for the user: everyone signed in has a home page, with counts only of their own scope.
    Operation("GET", "/home", "401 200 200 200 200 200 200 200 200"),
    # An office's dashboard is for its supervisors.
    Operation("GET", "/dashboard/office/{office_id}", "401 403 403 200 403 403 403 403 403"),
    # Duplicates: a supervisor reviews and merges the records of their offices.
    Operation("GET", "/dedup/candidates", "401 403 403 200 200 403 403 403 403"),
    Operation("GET", "/dedup/candidates/{candidate_id}", "401 403 403 200 404 403 403 403 403"),
    Operation("POST", "/dedup/candidates/{candidate_id}/confirm", "401 403 403 200 404 403 403 403 403",
              body=lambda r: {"comment": "Same passport."}),
    Operation("POST", "/dedup/candidates/{candidate_id}/reject", "401 403 403 200 404 403 403 403 403",
              body=lambda r: {"comment": "Different people."}),
    Operation("POST", "/dedup/merges", "401 403 403 201 404 403 403 403 403",
              body=lambda r: {"survivor_id": r["person_id"], "merged_id": r["duplicate_id"]}),
    Operation("GET", "/dedup/merges/{merge_id}", "401 403 403 200 404 403 403 403 403"),
    Operation("POST", "/dedup/merges/{merge_id}/unmerge", "401 403 403 200 404 403 403 403 403",
              body=lambda r: {"comment": "Two people after all."}),
    # The engine's versions: supervisors teach it from their decisions in any office (its figures are counts,
    # never a person's data); they and administrators activate and roll back.
    Operation("GET", "/dedup/teaching", "401 403 403 200 200 403 403 403 403"),
    Operation("GET", "/dedup/models", "401 403 403 200 200 403 403 403 200"),
    Operation("POST", "/dedup/models", "401 403 403 201 201 403 403 403 403", body=lambda r: {"strength": 50}),
    Operation("GET", "/dedup/models/{version}", "401 403 403 200 200 403 403 403 200"),
    Operation("POST", "/dedup/models/{version}/activate", "401 403 403 200 200 403 403 403 200"),
    Operation("POST", "/dedup/model-rollback", "401 403 403 200 200 403 403 403 200"),
    # Disclosure: the data officer prepares and issues, the DPO sets budgets and agreements and decides.
    Operation("GET", "/disclosure/datasets", "401 403 403 403 403 403 200 200 403"),
    Operation("POST", "/disclosure/datasets", "401 403 403 403 403 403 403 201 403",
              body=lambda r: {"name": "Matrix dataset", "epsilon_budget": 1.0}),
    Operation("GET", "/disclosure/datasets/{dataset_id}/columns", "401 403 403 403 403 403 200 200 403"),
    Operation("GET", "/disclosure/datasets/{dataset_id}/summary", "401 403 403 403 403 403 200 200 403",
              query={"by": "sex"}),
    Operation("GET", "/disclosure/datasets/{dataset_id}/ledger", "401 403 403 403 403 403 403 200 403"),
    Operation("GET", "/disclosure/releases", "401 403 403 403 403 403 200 200 403"),
    Operation("POST", "/disclosure/releases/microdata", "401 403 403 403 403 403 201 403 403",
              body=lambda r: {"dataset_id": r["dataset_id"], "title": "Matrix microdata", "spec": {
                  "k": 2, "max_suppression": 0.5,
                  "columns": {"person_id": {"role": "identifier"}, "sex": {"role": "quasi"}}}}),
    Operation("POST", "/disclosure/releases/dp-table", "401 403 403 403 403 403 201 403 403",
              body=lambda r: {"dataset_id": r["dataset_id"], "title": "Matrix table", "dimensions": ["sex"],
                              "epsilon": 0.1}),
    Operation("GET", "/disclosure/releases/{release_id}", "401 403 403 403 403 403 200 200 403",
              ids={"release_id": "draft_id"}),
    Operation("POST", "/disclosure/releases/{release_id}/submit", "401 403 403 403 403 403 200 403 403",
              ids={"release_id": "draft_id"}),
    # Prepared by another data officer, so that four eyes never decide the DPO's answer.
    Operation("POST", "/disclosure/releases/{release_id}/approve", "401 403 403 403 403 403 403 200 403",
              ids={"release_id": "pending_id"}, body=lambda r: {"comment": "Checked the report."}),
    Operation("POST", "/disclosure/releases/{release_id}/reject", "401 403 403 403 403 403 403 200 403",
              ids={"release_id": "pending_id"}, body=lambda r: {"comment": "Too fine-grained."}),
    Operation("GET", "/disclosure/releases/{release_id}/files/{name}", "401 403 403 403 403 403 200 200 403",
              ids={"release_id": "approved_id", "name": "release_file"}),
    # Agreements are read by the DPO who makes them and by the data officer who issues packages under them.
    Operation("GET", "/disclosure/agreements", "401 403 403 403 403 403 200 200 403"),
    Operation("POST", "/disclosure/agreements", "401 403 403 403 403 403 403 201 403",
              body=lambda r: {"organisation_id": r["partner_org_id"], "title": "DSA", "purpose": "Monitoring",
                              "fields": ["sex"], "valid_from": "2026-01-01", "expires_on": "2030-01-01"}),
    Operation("GET", "/disclosure/agreements/{agreement_id}", "401 403 403 403 403 403 200 200 403"),
    Operation("POST", "/disclosure/agreements/{agreement_id}/keys", "401 403 403 403 403 403 403 201 403",
              body=lambda r: {"label": "Second desk", "public_key": r["spare_public_key"]}),
    Operation("POST", "/disclosure/agreements/{agreement_id}/packages", "401 403 403 403 403 403 201 403 403",
              body=lambda r: {"release_id": r["approved_id"]}),
    Operation("GET", "/disclosure/agreements/{agreement_id}/packages", "401 403 403 403 403 403 200 200 403"),
    Operation("GET", "/disclosure/packages/{package_id}/download", "401 403 403 403 403 403 200 403 403"),
    Operation("GET", "/disclosure/exchange/signer", "401 403 403 403 403 403 200 200 403"),
    # The service directory holds no one's personal data: everyone who assists or refers people reads it, partners
    # included; only the administrator edits it.
    Operation("GET", "/services", "401 200 200 200 200 200 403 403 200", query={"need": "legal_aid"}),
    Operation("GET", "/services/{service_id}", "401 200 200 200 200 200 403 403 200",
              ids={"service_id": "directory_service_id"}),
    Operation("PATCH", "/services/{service_id}", "401 403 403 403 403 403 403 403 200",
              ids={"service_id": "directory_service_id"}, body=lambda r: {"acknowledgement_hours": 48}),
    Operation("GET", "/directory/needs", "401 200 200 200 200 200 403 403 200"),
    Operation("PATCH", "/directory/organizations/{organization_id}", "401 403 403 403 403 403 403 403 200",
              ids={"organization_id": "directory_organization_id"},
              body=lambda r: {"partner_organisation_id": r["partner_org_id"]}),
    # Notifications: webhook subscriptions and the outbox are the administrator's.
    Operation("GET", "/webhooks", "401 403 403 403 403 403 403 403 200"),
    Operation("POST", "/webhooks", "401 403 403 403 403 403 403 403 201",
              body=lambda r: {"organisation_id": r["partner_org_id"], "url": "https://partner.example/hooks"}),
    Operation("PATCH", "/webhooks/{subscription_id}", "401 403 403 403 403 403 403 403 200",
              body=lambda r: {"active": False}),
    Operation("POST", "/webhooks/{subscription_id}/rotate-secret", "401 403 403 403 403 403 403 403 200"),
    Operation("GET", "/outbox", "401 403 403 403 403 403 403 403 200", query={"state": "dead"}),
    Operation("POST", "/outbox/{outbox_id}/retry", "401 403 403 403 403 403 403 403 200"),
    # Consent: recorded, read and revoked by those who assist the person, in the person's offices.
    Operation("POST", "/people/{person_id}/consents", "401 201 404 201 404 403 403 403 403",
              body=lambda r: consent_factory.consent_payload(r["partner_org_id"])),
    Operation("GET", "/people/{person_id}/consents", "401 200 404 200 404 403 403 403 403"),
    Operation("POST", "/consents/{consent_id}/revoke", "401 200 404 200 404 403 403 403 403",
              body=lambda r: {"reason": "Withdrawn at the person's request"}),
    # Referrals: made and sent by the case's office; answered, and their consented data read, by the partner they
    # are addressed to; the referring side reads but never answers for the partner (403), other offices see
    # nothing (404). Measured by supervisors.
    Operation("POST", "/referrals", "401 201 404 201 404 403 403 403 403",
              body=lambda r: {"case_id": r["case_id"], "service_id": "svc-legal-tunis", "purpose": "legal_assistance",
                              "categories": ["identity"]}),
    Operation("GET", "/referrals", "401 200 200 200 200 403 403 403 403"),
    Operation("GET", "/referrals/inbox", "401 200 200 200 200 200 403 403 403"),
    Operation("GET", "/referrals/analytics", "401 403 403 200 200 403 403 403 403"),
    Operation("GET", "/referrals/{referral_id}", "401 200 404 200 404 200 403 403 403",
              ids={"referral_id": "sent_referral_id"}),
    Operation("GET", "/referrals/{referral_id}/shared", "401 403 404 403 404 200 403 403 403",
              ids={"referral_id": "sent_referral_id"}),
    Operation("POST", "/referrals/{referral_id}/send", "401 200 404 200 404 403 403 403 403",
              ids={"referral_id": "draft_referral_id"}),
    Operation("POST", "/referrals/{referral_id}/accept", "401 403 404 403 404 200 403 403 403",
              ids={"referral_id": "sent_referral_id"}),
    Operation("POST", "/referrals/{referral_id}/decline", "401 403 404 403 404 200 403 403 403",
              ids={"referral_id": "sent_referral_id"}, body=lambda r: {"reason": "no_capacity"}),
    Operation("POST", "/referrals/{referral_id}/start", "401 403 404 403 404 200 403 403 403",
              ids={"referral_id": "accepted_referral_id"}),
    Operation("POST", "/referrals/{referral_id}/complete", "401 403 404 403 404 200 403 403 403",
              ids={"referral_id": "accepted_referral_id"}, body=lambda r: {"outcome": "service_provided"}),
    Operation("POST", "/referrals/{referral_id}/no-show", "401 403 404 403 404 200 403 403 403",
              ids={"referral_id": "accepted_referral_id"}),
    Operation("POST", "/referrals/{referral_id}/close", "401 403 404 403 404 200 403 403 403",
              ids={"referral_id": "accepted_referral_id"}),
    # Eligibility: screened, determined, overridden and appealed by those who assist the person, in the case's
    # office; overrides that wait and appeals are decided by its supervisors. Rule sets are read by the staff who
    # explain them and drafted, compared and activated by the administrator alone.
    Operation("POST", "/cases/{case_id}/screenings", "401 201 404 201 404 403 403 403 403",
              body=lambda r: {"instrument": "return_counselling", "answers": {"wishes_to_return": True}}),
    Operation("GET", "/cases/{case_id}/screenings", "401 200 404 200 404 403 403 403 403"),
    Operation("POST", "/cases/{case_id}/determinations", "401 201 404 201 404 403 403 403 403"),
    Operation("GET", "/cases/{case_id}/determinations", "401 200 404 200 404 403 403 403 403"),
    Operation("POST", "/determinations/{determination_id}/overrides", "401 201 404 201 404 403 403 403 403",
              body=lambda r: {"outcome": "eligible", "reason": "The embassy confirmed the document."}),
    Operation("GET", "/overrides/pending", "401 403 403 200 200 403 403 403 403"),
    Operation("POST", "/overrides/{override_id}/decision", "401 403 403 200 404 403 403 403 403",
              body=lambda r: {"approve": True, "note": "Letter seen."}),
    Operation("POST", "/determinations/{determination_id}/appeals", "401 201 404 201 404 403 403 403 403",
              body=lambda r: {"grounds": "Her passport was not asked for."}),
    Operation("POST", "/appeals/{appeal_id}/decision", "401 403 403 200 404 403 403 403 403",
              body=lambda r: {"status": "under_review"}),
    Operation("GET", "/programmes/{code}/rule-sets", "401 200 200 200 200 403 403 403 200"),
    Operation("POST", "/programmes/{code}/rule-sets", "401 403 403 403 403 403 403 403 201",
              body=lambda r: {"version": "matrix-new", "source": r["rule_source"]}),
    Operation("GET", "/rule-sets/{rule_set_id}", "401 200 200 200 200 403 403 403 200"),
    Operation("POST", "/rule-sets/{rule_set_id}/diff", "401 403 403 403 403 403 403 403 200"),
    Operation("POST", "/rule-sets/{rule_set_id}/activate", "401 403 403 403 403 403 403 403 200",
              ids={"rule_set_id": "diffed_rule_set_id"}),
]

MATRIX = [(op, actor, status) for op in OPERATIONS for actor, status in op.expected.items()]


def test_every_operation_has_an_answer_for_every_user(app):
    methods = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}
    served = {(m.upper(), path) for path, item in app.openapi()["paths"].items() for m in item if m in methods}
    listed = [op.key for op in OPERATIONS]
    assert len(listed) == len(set(listed)), "an operation is listed twice"
    assert sorted(served - set(listed)) == [], "add these operations to OPERATIONS with an answer for every user"
    assert sorted(set(listed) - served) == [], "these operations are no longer served"


@cache
def _row_counts_query() -> Select:
    # Built once: composing a count for each of the schema's tables costs more than running them.
    return select(*(select(func.count()).select_from(t).scalar_subquery().label(t.name)
                    for t in Base.metadata.sorted_tables))


def row_counts(db: Session) -> dict[str, int]:
    """The number of rows of every table, in one statement."""
    return dict(db.execute(_row_counts_query()).one()._mapping)


@pytest.fixture(scope="module")
def records(module_db):
    """Users of every role with their tokens, and in office A every record the operations name.

    Built once for the module; each test runs in a savepoint of it (`db` below), so every test starts from
    these records whatever the one before it changed.
    """
    db = module_db
    world = af.world(db)
    users = {key: world.users[key] for key in ("caseworker_a", "caseworker_b", "supervisor_a", "partner",
                                                 "data_officer", "dpo", "admin")}
    users["supervisor_b"] = af.user(db, world.agency, Role.SUPERVISOR, [world.office_b])
    cw_a, cw_b = world.principal(db, "caseworker_a"), world.principal(db, "caseworker_b")
    supervisor_a = world.principal(db, "supervisor_a")

    # People and cases.
    person = pf.person(db, cw_a)
    case = pf.case(db, cw_a, person)
    other_case = wf.case(db, cw_a, given_name="Amina", family_name="Osman", date_of_birth="1979-01-20",
                         nationality="SOM")
    linked_case = wf.case(db, cw_a, given_name="Yusuf", family_name="Osman", date_of_birth="1977-06-02",
                          nationality="SOM")
    wf.link(db, cw_a, case, linked_case)
    open_task = wf.task(db, cw_a, case)
    done_task = wf.task(db, cw_a, case, title="Book the interpreter")
    tasks.complete_task(db, principal=cw_a, task_id=done_task.id)
    service = wf.service(db, cw_a, case)
    attachment = wf.attachment(db, cw_a, case)
    # A move that the programme reserves for a supervisor's approval, asked for by A's caseworker.
    waiting = cf.case_in_state(db, cw_a, "uasc", data={"closure_reason": "other"}, given_name="Samir",
                               family_name="Haddad", date_of_birth="2010-09-09", nationality="SYR")
    approval = transitions.transition_case(db, principal=cw_a, case_id=waiting.id, to_state="closed",
                                           reason="Reunited with her family.").approval
    ended = cf.case_in_state(db, cw_a, "avrr", given_name="Rania", family_name="Aziz", date_of_birth="1990-02-02",
                             nationality="EGY")
    transitions.transition_case(db, principal=cw_a, case_id=ended.id, to_state="withdrawn",
                                reason="Decided to stay.")
    # A transfer from office B to office A, and one from office A to office B.
    from_b = wf.case(db, cw_b, given_name="Lina", family_name="Saleh", date_of_birth="1995-05-05",
                     nationality="IRQ")
    incoming = transfers.request_transfer(db, principal=cw_b, case_id=from_b.id, to_office_id=world.office_a.id)
    outgoing = transfers.request_transfer(db, principal=cw_a, case_id=other_case.id,
                                          to_office_id=world.office_b.id)

    # Duplicates: the person's likely duplicate on the queue, and two other records already merged.
    activate_model(db, actor=None, model=df.match_model())
    duplicate = pf.person(db, cw_a, given_name="Jose", family_name="Munoz")
    candidate = df.pair(db, person, duplicate)
    merged = [df.person(db, cw_a, df.ORIGINAL), df.person(db, cw_a, df.VARIANT)]
    merge = merge_people(db, principal=supervisor_a, survivor_id=merged[0].id, merged_id=merged[1].id)
    # Decided pairs to learn from (two, so that one at least trains whichever is held out), and a version
    # learnt from them waiting to be activated.
    for i in range(2):
        decided = df.pair(db, df.person(db, cw_a, df.ORIGINAL, given_name=f"Mahmud{i}"),
                          df.person(db, cw_a, df.VARIANT, family_name=f"Mahmud{i}"))
        decide_candidate(db, principal=supervisor_a, candidate_id=decided.id, status=CandidateStatus.REJECTED)
    learnt = train_version(db, principal=supervisor_a)

    # Disclosure: a dataset, releases in draft, pending and approved states, an agreement with a recipient key
    # and a package issued under it. A second data officer prepares them, so that the DPO's four-eyes rule
    # never decides the DPO's answer.
    dpo = world.principal(db, "dpo")
    preparer = af.principal(db, af.user(db, world.agency, Role.DATA_OFFICER))
    dataset = rf.dataset(db, dpo)
    draft = rf.release(db, preparer, dataset)
    pending = rf.release(db, preparer, dataset)
    disclosure.submit_release(db, principal=preparer, release_id=pending.id)
    approved = rf.approved(db, preparer, dpo, dataset)
    signing_key = exchange.signing_key_text(exchange.generate_signing_key())
    agreement = rf.agreement(db, dpo, world.partner_org.id, key=exchange.generate_recipient_key())
    package = agreements.issue_package(db, principal=preparer, agreement_id=agreement.id,
                                       data=PackageIssue(release_id=approved.id), signing_key_text=signing_key)

    # The service directory.
    directory_factory.directory(db)

    # Notifications: a partner's webhook, and a message that gave up.
    subscription, _ = notify.create_webhook(db, principal=None, data=WebhookCreate(
        organisation_id=world.partner_org.id, url="https://partner.example/hooks"),
        key=secretbox.box_key(TEST_SECRET), allow_http=False)
    dead = notify.enqueue_email(db, recipient_user_id=world.users["partner"].id, message_code="referral.received",
                                params={"reference": "REF-2026-000001", "path": "/referrals/1"})
    dead.state, dead.attempts, dead.last_error = OutboxState.DEAD, 8, "HTTP 500"

    # A consent to share the person's identity with the partner, and referrals of the case to the partner's legal
    # aid service: a draft, one sent, one accepted.
    consent = consent_factory.consent(db, cw_a, person.id, world.partner_org.id)
    link_partner(db, principal=world.principal(db, "admin"), organization_id="org-tunis-aid",
                 partner_organisation_id=world.partner_org.id)
    referral_scene = referral_factory.Scene(person, case, cw_a)
    draft_referral = referral_factory.referral(db, referral_scene, send=False, categories=["identity"])
    sent_referral = referral_factory.referral(db, referral_scene, categories=["identity"])
    accepted_referral = referral_factory.referral(db, referral_scene, categories=["identity"])
    referrals.respond(db, principal=world.principal(db, "partner"), referral_id=accepted_referral.id, step="accept")

    # Eligibility: AVRR's shipped rules in force, the case determined, the linked case determined with an override
    # waiting for approval and an appeal lodged, and two drafts of new rules, one already compared.
    ef.active(db, "avrr")
    determination = ef.determination(db, cw_a, case.id)
    waiting_determination = ef.determination(db, cw_a, linked_case.id)
    pending_override = ef.override(db, cw_a, waiting_determination.id)
    appeal = eligibility_decisions.lodge_appeal(db, principal=cw_a, determination_id=waiting_determination.id,
                                                data=AppealCreate(grounds="Her passport was not asked for."))
    admin = world.principal(db, "admin")
    rule_source = rulesets.shipped_ruleset_text("avrr")
    draft_rules = rule_admin.draft_rule_set(db, principal=admin, programme="avrr",
                                            data=RuleSetCreate(version="matrix-draft", source=rule_source))
    diffed_rules = rule_admin.draft_rule_set(db, principal=admin, programme="avrr",
                                             data=RuleSetCreate(version="matrix-diffed", source=rule_source))
    rule_admin.diff_rule_set(db, principal=admin, rule_set_id=diffed_rules.id)

    # Tokens as the login endpoint issues them (tested in test_routes), one per user rather than one per test.
    headers = {key: {"Authorization": f"Bearer {issue_token(db, user=u, kind='api', lifetime=timedelta(hours=8))}"}
               for key, u in users.items()}
    headers["anonymous"] = {}
    _, version, _ = current_version(db, "avrr")
    db.commit()
    db.refresh(case)
    db.refresh(person)
    return {
        "headers": headers, "signing_key": signing_key,
        "caseworker_a_email": users["caseworker_a"].email, "user_id": str(users["caseworker_b"].id),
        "supervisor_a_id": str(users["supervisor_a"].id), "agency_id": str(world.agency.id),
        "office_id": str(world.office_a.id), "office_b_id": str(world.office_b.id),
        "partner_org_id": str(world.partner_org.id),
        "code": "avrr", "programme_config": version.config,
        "person_id": str(person.id), "person_version": person.version,
        "case_id": str(case.id), "case_version": case.version,
        "other_case_id": str(other_case.id), "linked_case_id": str(linked_case.id),
        "open_task_id": open_task.id, "done_task_id": done_task.id, "service_id": service.id,
        "attachment_id": str(attachment.id), "approval_id": approval.id, "ended_case_id": str(ended.id),
        "incoming_transfer_id": incoming.transfer.id, "outgoing_transfer_id": outgoing.transfer.id,
        "duplicate_id": str(duplicate.id), "candidate_id": candidate.id, "merge_id": merge.id,
        "version": learnt.version,
        "dataset_id": str(dataset.id), "draft_id": str(draft.id), "pending_id": str(pending.id),
        "approved_id": str(approved.id), "release_file": "release.csv", "agreement_id": str(agreement.id),
        "spare_public_key": exchange.public_key_text(exchange.generate_recipient_key()),
        "package_id": str(package.id),
        "directory_service_id": "svc-legal-tunis", "directory_organization_id": "org-tunis-aid",
        "subscription_id": str(subscription.id), "outbox_id": dead.id,
        "consent_id": str(consent.id), "draft_referral_id": str(draft_referral.id),
        "sent_referral_id": str(sent_referral.id), "accepted_referral_id": str(accepted_referral.id),
        "determination_id": str(determination.id), "override_id": str(pending_override.id),
        "appeal_id": str(appeal.id), "rule_set_id": draft_rules.id, "diffed_rule_set_id": diffed_rules.id,
        "rule_source": rule_source,
    }


@pytest.fixture
def db(savepoint_db):
    return savepoint_db


@pytest.fixture(scope="module")
def open_clients() -> Iterator[dict[FastAPI, TestClient]]:
    clients: dict[FastAPI, TestClient] = {}
    yield clients
    for client in clients.values():
        client.__exit__(None, None, None)


@pytest.fixture
def client(app, open_clients):
    """A client of the test's application, opened once for the module.

    The application is the same object in every test (conftest's `reusable_app`), handed each test's session by
    `app`. A client per test started and stopped an event-loop thread around every one of the module's
    one-request tests, which cost more than the requests themselves.
    """
    if app not in open_clients:
        open_clients[app] = TestClient(app).__enter__()
    return open_clients[app]


@pytest.fixture
def settings(settings, records):
    # Packages are signed with the agency's key, and the signer endpoint shows it.
    settings.exchange_signing_key = records["signing_key"]
    return settings


def call(client, records: Records, op: Operation, actor: str):
    kwargs: dict[str, Any] = {"headers": records["headers"][actor], "params": op.query}
    if op.upload:
        kwargs["files"] = {"file": ("letter.pdf", wf.PDF_BYTES, "application/pdf")}
    elif op.body is not None:
        kwargs["json"] = op.body(records)
    return client.request(op.method, op.url(records), **kwargs)


@pytest.mark.parametrize(("op", "actor", "expected"), MATRIX,
                         ids=[f"{op.method} {op.path} {actor}" for op, actor, _ in MATRIX])
def test_policy_matrix(client, db, records, op, actor, expected):
    before = row_counts(db) if op.method in UNSAFE and expected not in SUCCESS else None
    response = call(client, records, op, actor)
    assert response.status_code == expected, response.text
    if expected in SUCCESS:
        return
    assert response.json()["detail"][0]["type"] == REFUSALS[expected], response.text
    if expected == 401:
        assert response.headers["www-authenticate"] == "Bearer"
    if before is not None:
        after = row_counts(db)
        assert {t: (before[t], after[t]) for t in before if before[t] != after[t]} == {}, "a refusal wrote rows"


@pytest.mark.parametrize("actor", ACTORS[1:])
def test_case_list_shows_only_own_office(client, records, actor):
    response = client.get(f"{API}/cases", headers=records["headers"][actor])
    if response.status_code == 403:
        assert actor in ("partner", "data_officer", "dpo", "admin")
        return
    ids = {c["id"] for c in response.json()["items"]}
    assert (records["case_id"] in ids) == actor.endswith("_a")
