from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from crossroads.audit.models import AuditEvent
from crossroads.auth.models import Office
from crossroads.cases.models import Case
from crossroads.cases.workflow.models import CaseTransfer
from crossroads.cases.workflow.transfers import cancel_transfer, decide_transfer, request_transfer
from crossroads.kit.errors import Conflict, Invalid, NotFound
from tests.factories import auth as af
from tests.factories import cases as cf

API = cf.API


@pytest.fixture
def case(client, cw, staff) -> dict:
    """An AVRR case of office A with some programme data, opened by caseworker A through the API."""
    opened = cf.register_and_open(client, cw, given_name="Zainab", family_name="Okonkwo")
    cf.fill(client, cw, opened["id"], opened["version"], country_of_return="NGA")
    return opened


def transfer(client, headers, case_id, to_office, **body):
    return client.post(f"{API}/cases/{case_id}/transfer", json={"to_office_id": str(to_office), **body},
                       headers=headers)


def decide(client, headers, transfer_id, accept=True, **body):
    return client.post(f"{API}/transfers/{transfer_id}/decision", json={"accept": accept, **body}, headers=headers)


def row(db, case) -> Case:
    return db.get(Case, uuid.UUID(case["id"]))


class TestAssignCase:
    def test_assigns_to_a_colleague_of_the_office(self, client, db, case, cw, staff):
        colleague = staff.users["caseworker_a2"].id
        response = client.post(f"{API}/cases/{case['id']}/assign", json={"user_id": str(colleague)}, headers=cw)
        assert response.status_code == 200
        assert response.json()["assigned_to"] == str(colleague)
        [event] = cf.events(db, case["id"], "case.assign")
        assert event.details == {"from_user": str(staff.users["caseworker_a"].id), "to_user": str(colleague),
                                 "version": response.json()["version"]}

    def test_assigning_the_current_holder_changes_and_records_nothing(self, client, db, case, cw, staff):
        version = row(db, case).version
        holder = staff.users["caseworker_a"].id
        response = client.post(f"{API}/cases/{case['id']}/assign", json={"user_id": str(holder)}, headers=cw)
        assert response.status_code == 200 and response.json()["version"] == version
        assert cf.events(db, case["id"], "case.assign") == []

    def test_supervisor_may_hold_a_case(self, client, case, cw, staff):
        supervisor = staff.users["supervisor_a"].id
        response = client.post(f"{API}/cases/{case['id']}/assign", json={"user_id": str(supervisor)}, headers=cw)
        assert response.status_code == 200

    @pytest.mark.parametrize("key", ["caseworker_b", "supervisor_b", "partner", "admin", "dpo"])
    def test_someone_outside_the_office_or_the_case_work_is_refused(self, client, db, case, cw, staff, key):
        response = client.post(f"{API}/cases/{case['id']}/assign", json={"user_id": str(staff.users[key].id)},
                               headers=cw)
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "user_id"
        assert row(db, case).assigned_to == staff.users["caseworker_a"].id
        assert cf.events(db, case["id"], "case.assign") == []

    def test_inactive_colleague_is_refused(self, client, db, case, cw, staff):
        colleague = staff.users["caseworker_a2"]
        colleague.active = False
        db.flush()
        response = client.post(f"{API}/cases/{case['id']}/assign", json={"user_id": str(colleague.id)}, headers=cw)
        assert response.status_code == 422

    def test_other_office_gets_404(self, client, case, staff, headers):
        response = client.post(f"{API}/cases/{case['id']}/assign",
                               json={"user_id": str(staff.users["caseworker_b"].id)}, headers=headers("caseworker_b"))
        assert response.status_code == 404


class TestRequestTransfer:
    def test_transfer_waits_for_the_receiver_and_the_case_stays(self, client, db, case, cw, staff):
        response = transfer(client, cw, case["id"], staff.office_b.id, reason="Person moved to the other city.")
        assert response.status_code == 201
        body = response.json()
        assert body["status"] == "pending" and body["case_number"] == case["case_number"]
        assert body["from_office"]["id"] == str(staff.office_a.id)
        assert body["to_office"]["id"] == str(staff.office_b.id)
        assert row(db, case).office_id == staff.office_a.id
        [event] = cf.events(db, case["id"], "case.transfer_requested")
        assert event.details == {"transfer": body["id"], "from_office": str(staff.office_a.id),
                                 "to_office": str(staff.office_b.id), "to_user": None,
                                 "version": row(db, case).version}

    def test_second_pending_transfer_is_409(self, client, case, cw, staff):
        first = transfer(client, cw, case["id"], staff.office_b.id)
        second = transfer(client, cw, case["id"], staff.office_b.id)
        assert second.status_code == 409
        assert second.json()["pending_transfer"] == first.json()["id"]

    def test_unknown_office_is_422(self, client, case, cw):
        response = transfer(client, cw, case["id"], uuid.uuid4())
        assert response.status_code == 422 and response.json()["detail"][0]["field"] == "to_office_id"

    def test_office_of_another_organisation_is_422(self, client, db, case, cw, staff):
        elsewhere = af.office(db, staff.partner_org)
        response = transfer(client, cw, case["id"], elsewhere.id)
        assert response.status_code == 422 and response.json()["detail"][0]["field"] == "to_office_id"

    def test_same_office_needs_a_named_colleague(self, client, case, cw, staff):
        response = transfer(client, cw, case["id"], staff.office_a.id)
        assert response.status_code == 422 and response.json()["detail"][0]["field"] == "to_office_id"
        named = transfer(client, cw, case["id"], staff.office_a.id, to_user_id=str(staff.users["caseworker_a2"].id))
        assert named.status_code == 201

    def test_named_colleague_must_work_in_the_receiving_office(self, client, case, cw, staff):
        response = transfer(client, cw, case["id"], staff.office_b.id,
                            to_user_id=str(staff.users["caseworker_a2"].id))
        assert response.status_code == 422 and response.json()["detail"][0]["field"] == "to_user_id"

    def test_other_office_gets_404(self, client, case, staff, headers):
        assert transfer(client, headers("caseworker_b"), case["id"], staff.office_b.id).status_code == 404

    def test_malformed_office_id_is_422(self, client, case, cw):
        response = transfer(client, cw, case["id"], "not-a-uuid")
        assert response.status_code == 422 and response.json()["detail"][0]["field"] == "to_office_id"


class TestDecideTransfer:
    def test_accepted_transfer_moves_the_case_to_the_receiving_office(self, client, db, case, cw, staff, headers):
        tid = transfer(client, cw, case["id"], staff.office_b.id).json()["id"]
        version = row(db, case).version
        response = decide(client, headers("caseworker_b"), tid, comment="We take it.")
        assert response.status_code == 200 and response.json()["status"] == "accepted"
        moved = row(db, case)
        assert moved.office_id == staff.office_b.id
        assert moved.assigned_to == staff.users["caseworker_b"].id
        assert client.get(f"{API}/cases/{case['id']}", headers=headers("caseworker_b")).status_code == 200
        assert client.get(f"{API}/cases/{case['id']}", headers=cw).status_code == 404
        [event] = cf.events(db, case["id"], "case.transfer_accepted")
        assert event.office_id == staff.office_b.id
        assert event.details == {"transfer": tid, "from_office": str(staff.office_a.id),
                                 "to_office": str(staff.office_b.id),
                                 "assigned_to": str(staff.users["caseworker_b"].id), "version": version + 1}

    def test_declined_transfer_leaves_the_case_where_it_was(self, client, db, case, cw, staff, headers):
        tid = transfer(client, cw, case["id"], staff.office_b.id).json()["id"]
        response = decide(client, headers("supervisor_b"), tid, accept=False, comment="No capacity this month.")
        assert response.status_code == 200 and response.json()["status"] == "declined"
        assert row(db, case).office_id == staff.office_a.id
        assert client.get(f"{API}/cases/{case['id']}", headers=cw).status_code == 200
        assert client.get(f"{API}/cases/{case['id']}", headers=headers("supervisor_b")).status_code == 404
        [event] = cf.events(db, case["id"], "case.transfer_declined")
        assert "capacity" not in str(event.details)

    def test_transfer_to_a_named_colleague_is_decided_only_by_them(self, client, db, case, cw, staff, headers):
        tid = transfer(client, cw, case["id"], staff.office_b.id,
                       to_user_id=str(staff.users["caseworker_b"].id)).json()["id"]
        assert decide(client, headers("supervisor_b"), tid).status_code == 404
        assert decide(client, headers("caseworker_b"), tid).status_code == 200

    def test_transfer_within_the_office_to_a_colleague(self, client, db, case, cw, staff, headers):
        colleague = staff.users["caseworker_a2"]
        tid = transfer(client, cw, case["id"], staff.office_a.id, to_user_id=str(colleague.id)).json()["id"]
        assert decide(client, headers("caseworker_a2"), tid).status_code == 200
        assert row(db, case).assigned_to == colleague.id and row(db, case).office_id == staff.office_a.id

    def test_sender_cannot_accept_their_own_transfer(self, client, case, cw, staff):
        tid = transfer(client, cw, case["id"], staff.office_b.id).json()["id"]
        assert decide(client, cw, tid).status_code == 404

    def test_decided_transfer_cannot_be_decided_again(self, client, case, cw, staff, headers):
        tid = transfer(client, cw, case["id"], staff.office_b.id).json()["id"]
        assert decide(client, headers("caseworker_b"), tid, accept=False).status_code == 200
        again = decide(client, headers("supervisor_b"), tid)
        assert again.status_code == 409 and again.json()["status"] == "declined"

    def test_role_without_case_work_gets_403(self, client, case, cw, staff, headers):
        tid = transfer(client, cw, case["id"], staff.office_b.id).json()["id"]
        assert decide(client, headers("partner"), tid).status_code == 403


class TestReceiverView:
    def test_receiver_sees_number_programme_reason_and_sender_but_no_identity(self, client, case, cw, staff,
                                                                               headers):
        transfer(client, cw, case["id"], staff.office_b.id, reason="Moved to office B's area.")
        response = client.get(f"{API}/transfers", params={"direction": "incoming"}, headers=headers("caseworker_b"))
        [item] = response.json()
        assert item["case_number"] == case["case_number"] and item["programme"] == "avrr"
        assert item["reason"] == "Moved to office B's area."
        assert item["from_office"]["code"] == staff.office_a.code
        assert "Zainab" not in response.text and "Okonkwo" not in response.text and "NGA" not in response.text
        assert not {"person", "data", "person_id"} & set(item)
        b = headers("caseworker_b")
        assert client.get(f"{API}/cases/{case['id']}", headers=b).status_code == 404
        assert client.get(f"{API}/cases/{case['id']}/transitions", headers=b).status_code == 404


class TestCancelTransfer:
    def test_sender_office_cancels_a_pending_transfer(self, client, db, case, cw, staff, headers):
        tid = transfer(client, cw, case["id"], staff.office_b.id).json()["id"]
        response = client.post(f"{API}/transfers/{tid}/cancel", headers=headers("supervisor_a"))
        assert response.status_code == 200 and response.json()["status"] == "cancelled"
        assert decide(client, headers("caseworker_b"), tid).status_code == 409
        assert transfer(client, cw, case["id"], staff.office_b.id).status_code == 201
        [event] = cf.events(db, case["id"], "case.transfer_cancelled")
        assert event.details["transfer"] == tid

    def test_receiver_cannot_cancel(self, client, case, cw, staff, headers):
        tid = transfer(client, cw, case["id"], staff.office_b.id).json()["id"]
        assert client.post(f"{API}/transfers/{tid}/cancel", headers=headers("caseworker_b")).status_code == 404

    def test_accepted_transfer_cannot_be_cancelled(self, client, case, cw, staff, headers):
        tid = transfer(client, cw, case["id"], staff.office_b.id).json()["id"]
        decide(client, headers("caseworker_b"), tid)
        assert client.post(f"{API}/transfers/{tid}/cancel", headers=cw).status_code == 409


class TestListTransfers:
    def test_each_side_sees_its_own_direction(self, client, db, case, cw, staff, headers):
        tid = transfer(client, cw, case["id"], staff.office_b.id).json()["id"]
        b = headers("caseworker_b")
        assert [t["id"] for t in client.get(f"{API}/transfers", params={"direction": "outgoing"},
                                            headers=cw).json()] == [tid]
        assert client.get(f"{API}/transfers", params={"direction": "incoming"}, headers=cw).json() == []
        assert client.get(f"{API}/transfers", params={"direction": "outgoing"}, headers=b).json() == []
        assert [t["id"] for t in client.get(f"{API}/transfers", headers=b).json()] == [tid]
        listed = db.scalar(select(AuditEvent).where(AuditEvent.action == "case.transfer_list")
                           .order_by(AuditEvent.id.desc()))
        assert listed.details == {"direction": "incoming", "status": "pending", "shown": [case["id"]]}

    def test_filters_by_status(self, client, case, cw, staff, headers):
        tid = transfer(client, cw, case["id"], staff.office_b.id).json()["id"]
        decide(client, headers("caseworker_b"), tid)
        b = headers("caseworker_b")
        assert client.get(f"{API}/transfers", headers=b).json() == []
        accepted = client.get(f"{API}/transfers", params={"status": "accepted"}, headers=b).json()
        assert [t["id"] for t in accepted] == [tid]

    def test_bad_direction_is_422(self, client, cw):
        response = client.get(f"{API}/transfers", params={"direction": "sideways"}, headers=cw)
        assert response.status_code == 422 and response.json()["detail"][0]["field"] == "direction"


class TestTransferServices:
    def test_cancelled_transfer_cannot_be_accepted(self, db, staff):
        sender = staff.principal(db, "caseworker_a")
        opened = cf.case_in_state(db, sender, "avrr")
        item = request_transfer(db, principal=sender, case_id=opened.id, to_office_id=staff.office_b.id)
        cancel_transfer(db, principal=sender, transfer_id=item.transfer.id)
        with pytest.raises(Conflict):
            decide_transfer(db, principal=staff.principal(db, "caseworker_b"), transfer_id=item.transfer.id,
                            accept=True)
        assert db.get(CaseTransfer, item.transfer.id).status == "cancelled"

    def test_inactive_office_cannot_receive(self, db, staff):
        sender = staff.principal(db, "caseworker_a")
        opened = cf.case_in_state(db, sender, "avrr")
        closed_office = db.get(Office, staff.office_b.id)
        closed_office.active = False
        db.flush()
        with pytest.raises(Invalid) as refused:
            request_transfer(db, principal=sender, case_id=opened.id, to_office_id=closed_office.id)
        assert refused.value.field == "to_office_id"

    def test_transfer_of_a_case_out_of_scope_is_not_found(self, db, staff):
        opened = cf.case_in_state(db, staff.principal(db, "caseworker_a"), "avrr")
        with pytest.raises(NotFound):
            request_transfer(db, principal=staff.principal(db, "caseworker_b"), case_id=opened.id,
                             to_office_id=staff.office_b.id)
