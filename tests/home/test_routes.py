from __future__ import annotations

from crossroads.dedup import review
from tests.factories import releases as rf
from tests.factories import work
from tests.factories.work import days_from_today
from tests.helpers import token_headers
from tests.home.conftest import asked_approval, duplicate_pair_in_a, transfer_to_a


def waiting(client, staff, key: str) -> dict:
    response = client.get("/api/v1/home", headers=token_headers(client, staff.users[key].email))
    assert response.status_code == 200, response.text
    return response.json()


class TestWhatWaits:
    def test_a_caseworker_sees_their_cases_overdue_tasks_and_transfers_for_the_office(self, client, db, staff):
        cw = staff.principal(db, "caseworker_a")
        case = work.case(db, cw)
        work.task(db, cw, case, due_date=days_from_today(-2), assigned_to=cw.user_id)
        transfer_to_a(db, staff)
        body = waiting(client, staff, "caseworker_a")
        assert (body["my_open_cases"], body["my_overdue_tasks"], body["incoming_transfers"]) == (1, 1, 1)
        assert body["approvals_waiting"] is None and body["duplicates_to_review"] is None
        assert body["releases_to_decide"] is None

    def test_a_supervisor_counts_approvals_duplicates_and_overdue_work_of_their_offices(self, client, db, staff):
        asked_approval(db, staff)
        duplicate_pair_in_a(db, staff)
        cw = staff.principal(db, "caseworker_a")
        work.task(db, cw, work.case(db, cw), due_date=days_from_today(-1))
        queue = review.list_candidates(db, principal=staff.principal(db, "supervisor_a"))
        body = waiting(client, staff, "supervisor_a")
        assert (body["approvals_waiting"], body["office_overdue_tasks"]) == (1, 1)
        assert body["duplicates_to_review"] == len(queue) >= 1

    def test_counts_stay_inside_the_office_scope(self, client, db, staff):
        asked_approval(db, staff)
        duplicate_pair_in_a(db, staff)
        body = waiting(client, staff, "supervisor_b")
        assert (body["approvals_waiting"], body["duplicates_to_review"], body["office_overdue_tasks"]) == (0, 0, 0)
        assert waiting(client, staff, "supervisor_a")["approvals_waiting"] == 1

    def test_a_supervisor_own_request_is_not_waiting_for_them(self, client, db, staff):
        asked_approval(db, staff, key="supervisor_a")
        assert waiting(client, staff, "supervisor_a")["approvals_waiting"] == 0
        assert waiting(client, staff, "supervisor_a2")["approvals_waiting"] == 1

    def test_the_dpo_sees_releases_to_decide_and_the_officer_their_drafts(self, client, db, staff):
        officer, dpo = staff.principal(db, "data_officer"), staff.principal(db, "dpo")
        ds = rf.dataset(db, dpo)
        rf.release(db, officer, ds)
        submitted = rf.release(db, officer, ds)
        from crossroads.disclosure import service

        service.submit_release(db, principal=officer, release_id=submitted.id)
        db.commit()
        assert waiting(client, staff, "dpo")["releases_to_decide"] == 1
        body = waiting(client, staff, "data_officer")
        assert (body["release_drafts"], body["releases_to_decide"], body["my_open_cases"]) == (1, None, None)

    def test_a_partner_has_nothing_waiting_and_no_refusal(self, client, db, staff):
        body = waiting(client, staff, "partner")
        assert set(body.values()) == {None}


class TestCost:
    def test_statements_do_not_grow_with_the_work_waiting(self, client, db, engine, staff):
        headers = token_headers(client, staff.users["supervisor_a"].email)
        _, few = work.measured_get(client, engine, db, "/api/v1/home", headers)
        cw = staff.principal(db, "caseworker_a")
        for _ in range(5):
            asked_approval(db, staff)
            work.task(db, cw, work.case(db, cw), due_date=days_from_today(-1))
        duplicate_pair_in_a(db, staff)
        transfer_to_a(db, staff)
        response, many = work.measured_get(client, engine, db, "/api/v1/home", headers)
        assert response.json()["approvals_waiting"] == 5
        assert few == many
