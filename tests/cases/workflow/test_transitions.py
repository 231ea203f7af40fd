from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from crossroads.audit.models import AuditEvent
from crossroads.cases.models import Case, CaseNote
from crossroads.cases.workflow.models import CaseApproval, CaseStateChange
from crossroads.cases.workflow.transitions import decide_approval, transition_case
from crossroads.kit.errors import Conflict, Forbidden, Invalid
from tests.factories import cases as cf

API = cf.API


def avrr_at(db, staff, state: str, **data) -> Case:
    return cf.case_in_state(db, staff.principal(db, "caseworker_a"), "avrr", state, data)


class TestAvailableTransitions:
    def test_lists_next_states_with_labels_and_approval_flags(self, client, cw):
        case = cf.register_and_open(client, cw)
        options = client.get(f"{API}/cases/{case['id']}/transitions", headers=cw).json()
        assert options == [
            {"to_state": "counselling", "label": "Start return counselling", "requires_approval": False,
             "missing_fields": [], "reason_required": False},
            {"to_state": "withdrawn", "label": "Withdraw from return", "requires_approval": False,
             "missing_fields": [], "reason_required": True},
        ]

    def test_names_the_fields_a_move_still_needs(self, client, db, staff, cw):
        case = avrr_at(db, staff, "travel_documents", country_of_return="IRQ", eligibility_decision="eligible")
        options = client.get(f"{API}/cases/{case.id}/transitions", headers=cw).json()
        approve = next(o for o in options if o["to_state"] == "travel_approved")
        assert approve["requires_approval"] is True
        assert approve["missing_fields"] == ["travel_document_type"]

    def test_terminal_state_offers_no_moves(self, client, db, staff, cw):
        case = avrr_at(db, staff, "withdrawn")
        assert client.get(f"{API}/cases/{case.id}/transitions", headers=cw).json() == []

    def test_other_office_gets_404(self, client, cw, headers):
        case = cf.register_and_open(client, cw)
        assert client.get(f"{API}/cases/{case['id']}/transitions", headers=headers("caseworker_b")).status_code == 404


class TestTransitionCase:
    def test_avrr_case_walks_from_intake_to_closed(self, client, db, cw, headers):
        case = cf.register_and_open(client, cw)
        cid, version = case["id"], case["version"]

        def step(to_state: str, reason: str | None = None, **data) -> dict:
            nonlocal version
            if data:
                version = cf.fill(client, cw, cid, version, **data)
            response = cf.move(client, cw, cid, to_state, **({"reason": reason} if reason else {}))
            assert response.status_code == 200, response.text
            assert response.json()["state"] == to_state and response.json()["approval"] is None
            version = response.json()["case_version"]
            return response.json()

        step("counselling")
        step("eligibility", country_of_return="IRQ")
        step("travel_documents", eligibility_decision="eligible")
        version = cf.fill(client, cw, cid, version, travel_document_type="passport")
        asked = cf.move(client, cw, cid, "travel_approved")
        assert asked.status_code == 202
        assert asked.json()["state"] == "travel_documents"
        approval = asked.json()["approval"]
        assert approval["status"] == "pending" and approval["to_state"] == "travel_approved"
        decided = cf.decide(client, headers("supervisor_a2"), approval["id"])
        assert decided.status_code == 200, decided.text
        assert decided.json()["state"] == "travel_approved"
        assert decided.json()["approval"]["status"] == "approved"
        version = decided.json()["case_version"]
        step("departed", departure_date="2027-03-01")
        step("reintegration", reintegration_plan="Small grocery shop with the family.")
        step("closed", reason="Reintegration plan completed.", closure_reason="reintegration_completed")

        detail = client.get(f"{API}/cases/{cid}", headers=cw).json()
        assert detail["state"] == "closed" and detail["closed_at"] is not None
        moves = [(e.details["from"], e.details["to"]) for e in cf.events(db, cid, "case.transition")]
        assert moves == [("intake", "counselling"), ("counselling", "eligibility"),
                         ("eligibility", "travel_documents"), ("travel_documents", "travel_approved"),
                         ("travel_approved", "departed"), ("departed", "reintegration"), ("reintegration", "closed")]

    def test_counter_trafficking_case_moves_through_its_states(self, client, cw, headers):
        case = cf.register_and_open(client, cw, programme="counter_trafficking")
        cid = case["id"]
        assert case["state"] == "identification"
        cf.fill(client, cw, cid, case["version"], identification_date="2026-10-02", consent_to_assistance=True)
        assert cf.move(client, cw, cid, "protection_and_assistance").status_code == 200
        refused = cf.move(client, cw, cid, "recovery")
        assert refused.status_code == 422 and refused.json()["missing_fields"] == ["risk_assessment"]
        version = client.get(f"{API}/cases/{cid}", headers=cw).json()["version"]
        version = cf.fill(client, cw, cid, version, risk_assessment="medium")
        assert cf.move(client, cw, cid, "recovery").status_code == 200
        assert cf.move(client, cw, cid, "protection_and_assistance").json()["state"] == "protection_and_assistance"
        assert cf.move(client, cw, cid, "recovery").json()["state"] == "recovery"
        version = client.get(f"{API}/cases/{cid}", headers=cw).json()["version"]
        cf.fill(client, cw, cid, version, closure_reason="recovery_completed")
        asked = cf.move(client, cw, cid, "closed", reason="Recovery completed.")
        assert asked.status_code == 202
        closed = cf.decide(client, headers("supervisor_a"), asked.json()["approval"]["id"])
        assert closed.json()["state"] == "closed"

    def test_skipping_a_state_is_refused_with_the_reason_and_possible_states(self, client, db, cw):
        case = cf.register_and_open(client, cw)
        response = cf.move(client, cw, case["id"], "departed")
        assert response.status_code == 422
        body = response.json()
        assert body["detail"][0]["field"] == "to_state"
        assert "cannot move to “Departed”" in body["detail"][0]["message"]
        assert body["possible_states"] == ["counselling", "withdrawn"]
        assert db.get(Case, uuid.UUID(case["id"])).state == "intake"

    def test_missing_field_is_refused_naming_it(self, client, db, staff, cw):
        case = avrr_at(db, staff, "counselling")
        response = cf.move(client, cw, str(case.id), "eligibility")
        assert response.status_code == 422
        assert response.json()["missing_fields"] == ["country_of_return"]
        assert "Country of return" in response.json()["detail"][0]["message"]

    def test_unknown_state_is_422(self, client, cw):
        case = cf.register_and_open(client, cw)
        response = cf.move(client, cw, case["id"], "nirvana")
        assert response.status_code == 422 and response.json()["detail"][0]["field"] == "to_state"

    def test_missing_to_state_is_422(self, client, cw):
        case = cf.register_and_open(client, cw)
        response = client.post(f"{API}/cases/{case['id']}/transitions", json={}, headers=cw)
        assert response.status_code == 422 and response.json()["detail"][0]["field"] == "to_state"

    def test_terminal_state_refuses_further_moves(self, client, db, staff, cw):
        case = avrr_at(db, staff, "intake")
        assert cf.move(client, cw, str(case.id), "withdrawn", reason="Stays with family here.").status_code == 200
        assert case.closed_at is not None
        response = cf.move(client, cw, str(case.id), "counselling")
        assert response.status_code == 422
        assert response.json()["possible_states"] == []
        assert "the case is closed" in response.json()["detail"][0]["message"]

    def test_refused_move_writes_nothing(self, client, db, cw):
        case = cf.register_and_open(client, cw)
        before = db.scalar(select(func.count()).select_from(AuditEvent))
        assert cf.move(client, cw, case["id"], "closed").status_code == 422
        assert db.scalar(select(func.count()).select_from(AuditEvent)) == before
        assert db.get(Case, uuid.UUID(case["id"])).version == case["version"]

    def test_move_is_audited_with_states_and_version_but_not_the_comment(self, client, db, cw):
        case = cf.register_and_open(client, cw)
        response = cf.move(client, cw, case["id"], "counselling", comment="Person wants to go home soon.")
        [event] = cf.events(db, case["id"], "case.transition")
        assert event.details["from"] == "intake" and event.details["to"] == "counselling"
        assert event.details["version"] == response.json()["case_version"] == case["version"] + 1
        assert "home" not in str(event.details)
        note = db.get(CaseNote, event.details["note"])
        assert note.body == "Person wants to go home soon."

    def test_move_needing_approval_waits_in_its_state(self, client, db, staff, cw):
        case = avrr_at(db, staff, "travel_documents", country_of_return="IRQ", eligibility_decision="eligible",
                       travel_document_type="passport")
        version = case.version
        response = cf.move(client, cw, str(case.id), "travel_approved", comment="Passport valid until 2030.")
        assert response.status_code == 202
        assert response.json()["state"] == "travel_documents"
        assert response.json()["case_version"] == version
        assert response.json()["approval"]["comment"] == "Passport valid until 2030."
        [event] = cf.events(db, case.id, "case.approval_requested")
        assert event.details == {"approval": response.json()["approval"]["id"], "from": "travel_documents",
                                 "to": "travel_approved", "version": version}

    def test_supervisors_own_request_also_waits_for_another_supervisor(self, client, db, staff, headers):
        case = avrr_at(db, staff, "travel_documents", country_of_return="IRQ", eligibility_decision="eligible",
                       travel_document_type="passport")
        response = cf.move(client, headers("supervisor_a"), str(case.id), "travel_approved")
        assert response.status_code == 202
        assert db.get(Case, case.id).state == "travel_documents"

    def test_second_pending_request_is_409(self, client, db, staff, cw):
        case = avrr_at(db, staff, "eligibility", country_of_return="IRQ", eligibility_decision="not_eligible",
                       closure_reason="not_eligible")
        first = cf.move(client, cw, str(case.id), "closed", reason="Not eligible.")
        assert first.status_code == 202
        second = cf.move(client, cw, str(case.id), "closed", reason="Not eligible.")
        assert second.status_code == 409
        assert second.json()["pending_approval"] == first.json()["approval"]["id"]

    def test_direct_move_supersedes_a_pending_request(self, client, db, staff, cw):
        case = avrr_at(db, staff, "eligibility", country_of_return="IRQ", eligibility_decision="eligible",
                       closure_reason="not_eligible")
        approval_id = cf.move(client, cw, str(case.id), "closed", reason="Not eligible.").json()["approval"]["id"]
        assert cf.move(client, cw, str(case.id), "travel_documents").status_code == 200
        assert db.get(CaseApproval, approval_id).status == "superseded"
        [event] = cf.events(db, case.id, "case.transition")
        assert event.details["superseded_approval"] == approval_id

    def test_other_office_gets_404(self, client, cw, headers):
        case = cf.register_and_open(client, cw)
        assert cf.move(client, headers("caseworker_b"), case["id"], "counselling").status_code == 404

    def test_role_without_case_work_gets_403(self, client, cw, headers):
        case = cf.register_and_open(client, cw)
        assert cf.move(client, headers("partner"), case["id"], "counselling").status_code == 403


class TestDecideApproval:
    @pytest.fixture
    def pending(self, db, staff):
        """A request by caseworker A to approve travel of a case ready for it."""
        case = avrr_at(db, staff, "travel_documents", country_of_return="IRQ", eligibility_decision="eligible",
                       travel_document_type="passport")
        outcome = transition_case(db, principal=staff.principal(db, "caseworker_a"), case_id=case.id,
                                  to_state="travel_approved")
        db.commit()
        return outcome.approval

    def test_supervisor_approves_and_the_case_moves(self, client, db, pending, headers):
        response = cf.decide(client, headers("supervisor_a"), pending.id, comment="Checked the passport.")
        assert response.status_code == 200
        assert response.json()["state"] == "travel_approved"
        assert response.json()["approval"]["decision_comment"] == "Checked the passport."
        [decided] = cf.events(db, pending.case_id, "case.approval_decided")
        [moved] = cf.events(db, pending.case_id, "case.transition")
        assert decided.details == {"approval": pending.id, "decision": "approved", "from": "travel_documents",
                                   "to": "travel_approved", "version": response.json()["case_version"]}
        assert moved.details["approval"] == pending.id and moved.actor_id == pending.decided_by

    def test_rejection_leaves_the_state(self, client, db, pending, headers):
        version = db.get(Case, pending.case_id).version
        response = cf.decide(client, headers("supervisor_a"), pending.id, approve=False)
        assert response.status_code == 200
        assert response.json()["state"] == "travel_documents"
        assert response.json()["case_version"] == version
        assert response.json()["approval"]["status"] == "rejected"
        [decided] = cf.events(db, pending.case_id, "case.approval_decided")
        assert decided.details["decision"] == "rejected"
        assert cf.events(db, pending.case_id, "case.transition") == []

    def test_caseworker_cannot_approve(self, client, db, pending, headers):
        assert cf.decide(client, headers("caseworker_a2"), pending.id).status_code == 403
        assert db.get(CaseApproval, pending.id).status == "pending"

    def test_requester_cannot_decide_their_own_request(self, db, staff):
        case = avrr_at(db, staff, "travel_documents", country_of_return="IRQ", eligibility_decision="eligible",
                       travel_document_type="passport")
        supervisor = staff.principal(db, "supervisor_a")
        approval = transition_case(db, principal=supervisor, case_id=case.id, to_state="travel_approved").approval
        with pytest.raises(Forbidden):
            decide_approval(db, principal=supervisor, approval_id=approval.id, approve=True)
        outcome = decide_approval(db, principal=staff.principal(db, "supervisor_a2"), approval_id=approval.id,
                                  approve=True)
        assert outcome.case.state == "travel_approved"

    def test_supervisor_of_another_office_gets_404(self, client, pending, headers):
        assert cf.decide(client, headers("supervisor_b"), pending.id).status_code == 404

    def test_decided_request_cannot_be_decided_again(self, client, pending, headers):
        assert cf.decide(client, headers("supervisor_a"), pending.id, approve=False).status_code == 200
        again = cf.decide(client, headers("supervisor_a2"), pending.id)
        assert again.status_code == 409 and again.json()["status"] == "rejected"

    def test_approval_rechecks_the_current_data(self, client, db, pending, headers):
        case = db.get(Case, pending.case_id)
        cf.fill(client, headers("caseworker_a"), str(case.id), case.version, travel_document_type=None)
        response = cf.decide(client, headers("supervisor_a"), pending.id)
        assert response.status_code == 422
        assert response.json()["missing_fields"] == ["travel_document_type"]
        assert db.get(CaseApproval, pending.id).status == "pending"
        assert db.get(Case, pending.case_id).state == "travel_documents"

    def test_unknown_request_is_404(self, client, staff, headers):
        assert cf.decide(client, headers("supervisor_a"), 2_000_000_000).status_code == 404
        assert cf.decide(client, headers("supervisor_a"), 10**12).status_code == 422


class TestListApprovals:
    def test_supervisor_sees_pending_requests_of_their_offices_only(self, client, db, staff, headers):
        case = avrr_at(db, staff, "travel_documents", country_of_return="IRQ", eligibility_decision="eligible",
                       travel_document_type="passport")
        transition_case(db, principal=staff.principal(db, "caseworker_a"), case_id=case.id,
                        to_state="travel_approved")
        db.commit()
        own = client.get(f"{API}/approvals", headers=headers("supervisor_a")).json()
        assert [(a["case_number"], a["to_state"]) for a in own] == [(case.case_number, "travel_approved")]
        assert client.get(f"{API}/approvals", headers=headers("supervisor_b")).json() == []

    def test_filters_by_status(self, client, db, staff, headers):
        case = avrr_at(db, staff, "travel_documents", country_of_return="IRQ", eligibility_decision="eligible",
                       travel_document_type="passport")
        approval = transition_case(db, principal=staff.principal(db, "caseworker_a"), case_id=case.id,
                                   to_state="travel_approved").approval
        db.commit()
        cf.decide(client, headers("supervisor_a"), approval.id, approve=False)
        sup = headers("supervisor_a")
        assert client.get(f"{API}/approvals", headers=sup).json() == []
        rejected = client.get(f"{API}/approvals", params={"status": "rejected"}, headers=sup).json()
        assert [a["id"] for a in rejected] == [approval.id]

    def test_unknown_status_is_422(self, client, cw):
        response = client.get(f"{API}/approvals", params={"status": "maybe"}, headers=cw)
        assert response.status_code == 422 and response.json()["detail"][0]["field"] == "status"


class TestServiceRules:
    def test_conflict_and_refusal_are_domain_errors(self, db, staff):
        principal = staff.principal(db, "caseworker_a")
        case = avrr_at(db, staff, "eligibility", country_of_return="IRQ", closure_reason="not_eligible")
        with pytest.raises(Invalid) as refused:
            transition_case(db, principal=principal, case_id=case.id, to_state="travel_documents")
        assert refused.value.extra["missing_fields"] == ["eligibility_decision"]
        transition_case(db, principal=principal, case_id=case.id, to_state="closed", reason="Not eligible.")
        with pytest.raises(Conflict):
            transition_case(db, principal=principal, case_id=case.id, to_state="closed", reason="Not eligible.")

    def test_overlong_comment_is_422(self, db, staff):
        case = avrr_at(db, staff, "intake")
        with pytest.raises(Invalid) as refused:
            transition_case(db, principal=staff.principal(db, "caseworker_a"), case_id=case.id,
                            to_state="counselling", comment="x" * 2001)
        assert refused.value.field == "comment"


class TestEndingMoves:
    def test_a_move_that_ends_the_case_without_a_reason_is_422_naming_reason(self, client, db, staff, cw):
        case = avrr_at(db, staff, "counselling")
        db.commit()
        before = db.scalar(select(func.count()).select_from(AuditEvent))
        for body in ({}, {"reason": "   "}, {"comment": "Only a comment."}):
            response = cf.move(client, cw, str(case.id), "withdrawn", **body)
            assert response.status_code == 422, response.text
            assert response.json()["detail"][0]["field"] == "reason"
        assert db.get(Case, case.id).state == "counselling"
        assert db.scalar(select(func.count()).select_from(AuditEvent)) == before
        assert db.scalar(select(func.count()).select_from(CaseStateChange)) == 0

    def test_the_reason_is_kept_with_the_move_and_the_trail_points_at_it(self, client, db, staff, cw):
        case = avrr_at(db, staff, "counselling")
        response = cf.move(client, cw, str(case.id), "withdrawn", reason="Decided to stay with her sister.")
        assert response.status_code == 200 and response.json()["state"] == "withdrawn"
        [change] = db.scalars(select(CaseStateChange).where(CaseStateChange.case_id == case.id)).all()
        assert (change.from_state, change.to_state, change.reason, change.reopened) == \
            ("counselling", "withdrawn", "Decided to stay with her sister.", False)
        [event] = cf.events(db, case.id, "case.transition")
        assert event.details["state_change"] == change.id and event.details["fields"] == ["reason"]
        assert "sister" not in str(event.details)

    def test_an_ending_that_needs_approval_keeps_the_reason_until_it_is_applied(self, client, db, staff, cw, headers):
        case = avrr_at(db, staff, "eligibility", country_of_return="IRQ", eligibility_decision="not_eligible",
                       closure_reason="not_eligible")
        asked = cf.move(client, cw, str(case.id), "closed", reason="Not eligible under the programme rules.")
        assert asked.status_code == 202
        assert asked.json()["approval"]["reason"] == "Not eligible under the programme rules."
        decided = cf.decide(client, headers("supervisor_a"), asked.json()["approval"]["id"])
        assert decided.json()["state"] == "closed"
        change = db.scalar(select(CaseStateChange).where(CaseStateChange.case_id == case.id))
        assert change.reason == "Not eligible under the programme rules."
        assert change.approval_id == asked.json()["approval"]["id"]

    def test_a_move_that_keeps_the_case_open_needs_no_reason(self, client, db, staff, cw):
        case = avrr_at(db, staff, "intake")
        assert cf.move(client, cw, str(case.id), "counselling").status_code == 200


def reopen(client, headers, case_id, **body):
    return client.post(f"{API}/cases/{case_id}/reopen", json=body, headers=headers)


class TestReopenCase:
    def test_a_withdrawn_case_goes_back_to_the_state_it_left(self, client, db, staff, cw):
        case = avrr_at(db, staff, "eligibility", country_of_return="IRQ")
        assert cf.move(client, cw, str(case.id), "withdrawn", reason="Wants to stay.").status_code == 200
        response = reopen(client, cw, case.id, reason="Changed her mind; wants to return after all.")
        assert response.status_code == 200, response.text
        assert response.json()["state"] == "eligibility" and response.json()["approval"] is None
        stored = db.get(Case, case.id)
        assert stored.state == "eligibility" and stored.closed_at is None
        change = db.scalars(select(CaseStateChange).where(CaseStateChange.case_id == case.id)
                            .order_by(CaseStateChange.id.desc())).first()
        assert (change.from_state, change.to_state, change.reopened) == ("withdrawn", "eligibility", True)
        assert change.reason == "Changed her mind; wants to return after all."
        [_withdrawn, reopened] = cf.events(db, case.id, "case.transition")
        assert reopened.details["reopened"] is True and reopened.details["fields"] == ["reason"]
        assert "mind" not in str(reopened.details)
        assert cf.move(client, cw, str(case.id), "travel_documents").status_code == 422  # walks on from there

    def test_a_case_ended_before_its_moves_were_kept_goes_back_to_the_initial_state(self, client, db, staff, cw):
        case = avrr_at(db, staff, "withdrawn")
        response = reopen(client, cw, case.id, reason="Came back to the office.")
        assert response.status_code == 200 and response.json()["state"] == "intake"

    def test_reason_is_required(self, client, db, staff, cw):
        case = avrr_at(db, staff, "withdrawn")
        db.commit()
        for body in ({}, {"reason": ""}, {"reason": "  "}):
            response = reopen(client, cw, case.id, **body)
            assert response.status_code == 422
            assert response.json()["detail"][0]["field"] == "reason"
        assert db.get(Case, case.id).state == "withdrawn"

    def test_an_open_case_cannot_be_reopened(self, client, db, staff, cw):
        case = avrr_at(db, staff, "counselling")
        db.commit()
        response = reopen(client, cw, case.id, reason="Again.")
        assert response.status_code == 409
        assert response.json()["detail"][0]["field"] == "state"

    def test_where_the_programme_says_so_a_supervisor_approves_the_reopening(self, client, db, staff, cw, headers):
        case = cf.register_and_open(client, cw, programme="counter_trafficking")
        cid = case["id"]
        cf.fill(client, cw, cid, case["version"], identification_date="2026-10-02", consent_to_assistance=True,
                referred_to="Clinic of Hope")
        assert cf.move(client, cw, cid, "referred_out", reason="The clinic takes over.").status_code == 200
        asked = reopen(client, cw, cid, reason="The clinic could not take her in.")
        assert asked.status_code == 202, asked.text
        approval = asked.json()["approval"]
        assert (approval["from_state"], approval["to_state"]) == ("referred_out", "identification")
        assert approval["reason"] == "The clinic could not take her in."
        assert db.get(Case, uuid.UUID(cid)).state == "referred_out"
        [requested] = cf.events(db, cid, "case.approval_requested")
        assert requested.details["reopened"] is True and "clinic" not in str(requested.details)
        assert reopen(client, cw, cid, reason="Again.").status_code == 409  # one request at a time

        assert cf.decide(client, headers("caseworker_a2"), approval["id"]).status_code == 403
        decided = cf.decide(client, headers("supervisor_a"), approval["id"])
        assert decided.status_code == 200, decided.text
        assert decided.json()["state"] == "identification"
        stored = db.get(Case, uuid.UUID(cid))
        assert stored.closed_at is None
        change = db.scalars(select(CaseStateChange).where(CaseStateChange.case_id == stored.id)
                            .order_by(CaseStateChange.id.desc())).first()
        assert change.reopened and change.reason == "The clinic could not take her in."
        assert change.approval_id == approval["id"]

    def test_a_rejected_reopening_leaves_the_case_ended(self, client, db, staff, cw, headers):
        case = cf.case_in_state(db, staff.principal(db, "caseworker_a"), "uasc", "closed",
                                {"closure_reason": "other"})
        asked = reopen(client, cw, case.id, reason="New information from the family.")
        assert asked.status_code == 202
        decided = cf.decide(client, headers("supervisor_a"), asked.json()["approval"]["id"], approve=False)
        assert decided.json()["state"] == "closed"
        assert db.get(Case, case.id).state == "closed"

    def test_other_office_gets_404_and_partner_403(self, client, db, staff, headers):
        case = avrr_at(db, staff, "withdrawn")
        db.commit()
        assert reopen(client, headers("caseworker_b"), case.id, reason="x").status_code == 404
        assert reopen(client, headers("partner"), case.id, reason="x").status_code == 403
