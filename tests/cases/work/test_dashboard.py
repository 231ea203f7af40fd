from __future__ import annotations

from datetime import timedelta

import pytest

from crossroads.auth.roles import Role
from crossroads.cases.models import Case
from crossroads.db.base import utcnow
from tests.factories import auth as af
from tests.factories import work
from tests.factories.work import days_from_today
from tests.helpers import login, token_headers


@pytest.fixture
def sup(client, world):
    return token_headers(client, world.users["supervisor_a"].email)


def go_quiet(db, case: Case, days: int) -> None:
    db.get(Case, case.id).last_activity_at = utcnow() - timedelta(days=days)
    db.commit()


def close(db, case: Case) -> None:
    db.get(Case, case.id).closed_at = utcnow()
    db.commit()


def hand_to(db, case: Case, user_id) -> None:
    db.get(Case, case.id).assigned_to = user_id
    db.commit()


class TestMyDashboard:
    def test_counts_my_open_cases_by_programme_and_state(self, client, cw, db, world, cw_a):
        work.case(db, cw_a, "avrr")
        work.case(db, cw_a, "avrr")
        work.case(db, cw_a, "uasc")
        close(db, work.case(db, cw_a, "uasc"))
        hand_to(db, work.case(db, cw_a, "avrr"), world.users["supervisor_a"].id)
        body = client.get("/api/v1/dashboard/me", headers=cw).json()
        assert body["open_cases"] == 3
        assert {(c["programme"], c["count"]) for c in body["caseload"]} == {("avrr", 2), ("uasc", 1)}

    def test_counts_my_overdue_tasks_and_shows_the_first_20(self, client, cw, db, world, cw_a):
        c = work.case(db, cw_a)
        for i in range(25):
            work.task(db, cw_a, c, due_date=days_from_today(-1 - i))
        work.task(db, cw_a, c, due_date=days_from_today(1))
        work.task(db, cw_a, c, due_date=days_from_today(-1), assigned_to=world.users["supervisor_a"].id)
        overdue = client.get("/api/v1/dashboard/me", headers=cw).json()["overdue_tasks"]
        assert overdue["count"] == 25
        assert len(overdue["items"]) == 20
        assert overdue["items"][0]["due_date"] == days_from_today(-25).isoformat()
        assert overdue["items"][0]["case_number"] == c.case_number

    def test_lists_my_cases_without_activity_for_30_days(self, client, cw, db, cw_a):
        quiet, busy, closed = work.case(db, cw_a), work.case(db, cw_a), work.case(db, cw_a)
        go_quiet(db, quiet, 31)
        go_quiet(db, busy, 29)
        go_quiet(db, closed, 60)
        close(db, closed)
        inactive = client.get("/api/v1/dashboard/me", headers=cw).json()["inactive_cases"]
        assert inactive["days"] == 30 and inactive["count"] == 1
        assert [c["id"] for c in inactive["items"]] == [str(quiet.id)]

    def test_shows_nothing_of_another_office(self, client, db, world, cw_a):
        c = work.case(db, cw_a)
        work.task(db, cw_a, c, due_date=days_from_today(-3))
        other = token_headers(client, world.users["caseworker_b"].email)
        body = client.get("/api/v1/dashboard/me", headers=other).json()
        assert body["open_cases"] == 0 and body["overdue_tasks"]["count"] == 0

    def test_partner_is_refused(self, client, world):
        partner = token_headers(client, world.users["partner"].email)
        assert client.get("/api/v1/dashboard/me", headers=partner).status_code == 403

    def test_statements_are_the_same_for_1_or_20_of_everything(self, client, db, engine, world):
        def busy_user(key: str, n: int) -> dict[str, str]:
            principal = world.principal(db, key)
            for i in range(n):
                c = work.case(db, principal, "avrr" if i % 2 else "uasc")
                work.task(db, principal, c, due_date=days_from_today(-2))
                go_quiet(db, c, 40)
            return token_headers(client, world.users[key].email)

        light, heavy = busy_user("caseworker_a", 1), busy_user("supervisor_a", 20)
        small, few = work.measured_get(client, engine, db, "/api/v1/dashboard/me", light)
        large, many = work.measured_get(client, engine, db, "/api/v1/dashboard/me", heavy)
        assert (small.json()["open_cases"], large.json()["open_cases"]) == (1, 20)
        assert (len(small.json()["inactive_cases"]["items"]), len(large.json()["inactive_cases"]["items"])) == (1, 20)
        assert few == many


class TestOfficeDashboard:
    def url(self, world, office="office_a"):
        return f"/api/v1/dashboard/office/{getattr(world, office).id}"

    def test_states_are_labelled_by_their_own_programme(self, client, sup, db, world, cw_a):
        for programme in ("avrr", "legal_counselling"):
            c = work.case(db, cw_a, programme)
            db.get(Case, c.id).state = "counselling"
        db.commit()
        body = client.get(self.url(world), headers=sup).json()
        labels = {(c["programme"], c["state"]): c["label"] for c in body["caseload"]}
        assert labels == {("avrr", "counselling"): "Return counselling",
                          ("legal_counselling", "counselling"): "Counselling"}
        login(client, world.users["supervisor_a"].email)
        page = client.get(f"/offices/{world.office_a.id}/dashboard").text
        assert "<td>Counselling</td>" in page and "<td>Return counselling</td>" in page

    def test_caseload_by_programme_and_state_with_the_open_count(self, client, sup, db, world, cw_a):
        work.case(db, cw_a, "avrr")
        work.case(db, cw_a, "avrr")
        work.case(db, cw_a, "uasc")
        close(db, work.case(db, cw_a, "uasc"))
        work.case(db, world.principal(db, "caseworker_b"), "avrr")
        body = client.get(self.url(world), headers=sup).json()
        assert body["open_cases"] == 3
        assert sorted((c["programme"], c["count"]) for c in body["caseload"]) == [("avrr", 2), ("uasc", 1)]

    def test_overdue_tasks_by_assignee(self, client, sup, db, world, cw_a):
        c = work.case(db, cw_a)
        for _ in range(3):
            work.task(db, cw_a, c, due_date=days_from_today(-1))
        work.task(db, cw_a, c, due_date=days_from_today(-1), assigned_to=world.users["supervisor_a"].id)
        work.task(db, cw_a, c, due_date=days_from_today(-1), assigned_to=None)
        work.task(db, cw_a, c, due_date=days_from_today(2))
        body = client.get(self.url(world), headers=sup).json()
        assert body["overdue_tasks"] == 5
        assert [(a["assigned_to"], a["count"]) for a in body["overdue_by_assignee"]][0] == \
            (str(world.users["caseworker_a"].id), 3)
        assert {a["assigned_to"]: a["count"] for a in body["overdue_by_assignee"]} == {
            str(world.users["caseworker_a"].id): 3, str(world.users["supervisor_a"].id): 1, None: 1}
        assert body["overdue_by_assignee"][0]["name"] == world.users["caseworker_a"].full_name

    def test_inactive_days_is_a_parameter(self, client, sup, db, world, cw_a):
        c = work.case(db, cw_a)
        go_quiet(db, c, 10)
        assert client.get(self.url(world), headers=sup).json()["inactive_cases"]["count"] == 0
        body = client.get(self.url(world), params={"inactive_days": 7}, headers=sup).json()
        assert body["inactive_cases"]["days"] == 7 and body["inactive_cases"]["count"] == 1

    def test_inactive_days_below_one_is_422(self, client, sup, world):
        response = client.get(self.url(world), params={"inactive_days": 0}, headers=sup)
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "inactive_days"

    def test_caseworker_is_refused(self, client, cw, world):
        assert client.get(self.url(world), headers=cw).status_code == 403

    def test_supervisor_of_another_office_is_refused(self, client, sup, world):
        response = client.get(self.url(world, "office_b"), headers=sup)
        assert response.status_code == 403
        assert response.json()["detail"][0]["field"] == "office_id"

    def test_statements_are_the_same_for_1_or_20_of_everything(self, client, sup, db, engine, world):
        def fill(n: int, office: str) -> None:
            principal = world.principal(db, "supervisor_a" if office == "office_a" else "caseworker_b")
            for i in range(n):
                c = work.case(db, principal, "avrr" if i % 2 else "uasc")
                work.task(db, principal, c, due_date=days_from_today(-2))
                go_quiet(db, c, 40)

        fill(1, "office_b")
        fill(20, "office_a")
        # The world has a supervisor in office A only.
        sup_b = af.user(db, world.agency, Role.SUPERVISOR, [world.office_b])
        db.commit()
        small, few = work.measured_get(client, engine, db, self.url(world, "office_b"),
                                       token_headers(client, sup_b.email))
        large, many = work.measured_get(client, engine, db, self.url(world), sup)
        assert (small.json()["open_cases"], large.json()["open_cases"]) == (1, 20)
        assert (small.json()["overdue_tasks"], large.json()["overdue_tasks"]) == (1, 20)
        assert few == many
