from __future__ import annotations

from crossroads.auth.models import User
from crossroads.cases.models import Case
from crossroads.cases.work.models import CaseTask
from tests.factories import work
from tests.factories.work import days_from_today
from tests.helpers import token_headers


def add(client, headers, case_id, **body):
    return client.post(f"/api/v1/cases/{case_id}/tasks", json={"title": "Call the embassy", **body},
                       headers=headers)


class TestAddTask:
    def test_task_is_the_creators_by_default(self, client, cw, world, a_case):
        response = add(client, cw, a_case.id, due_date="2030-01-15")
        assert response.status_code == 201
        body = response.json()
        assert body["assigned_to"] == str(world.users["caseworker_a"].id)
        assert body["due_date"] == "2030-01-15" and body["completed_at"] is None and body["overdue"] is False

    def test_assigns_to_a_colleague_of_the_case_office(self, client, cw, world, a_case):
        supervisor = world.users["supervisor_a"].id
        response = add(client, cw, a_case.id, assigned_to=str(supervisor))
        assert response.status_code == 201
        assert response.json()["assigned_to"] == str(supervisor)

    def test_explicit_null_leaves_the_task_unassigned(self, client, cw, a_case):
        assert add(client, cw, a_case.id, assigned_to=None).json()["assigned_to"] is None

    def test_assignee_of_another_office_is_422_and_nothing_is_written(self, client, cw, db, world, a_case):
        before = work.count(db, CaseTask)
        response = add(client, cw, a_case.id, assigned_to=str(world.users["caseworker_b"].id))
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "assigned_to"
        assert work.count(db, CaseTask) == before
        assert work.events(db, "case.task_add", a_case.id) == []

    def test_inactive_assignee_is_422(self, client, cw, db, world, a_case):
        db.get(User, world.users["supervisor_a"].id).active = False
        db.flush()
        response = add(client, cw, a_case.id, assigned_to=str(world.users["supervisor_a"].id))
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "assigned_to"

    def test_title_over_300_characters_is_422_naming_title(self, client, cw, db, a_case):
        before = work.count(db, CaseTask)
        response = add(client, cw, a_case.id, title="x" * 301)
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "title"
        assert work.count(db, CaseTask) == before

    def test_blank_title_is_422(self, client, cw, a_case):
        response = add(client, cw, a_case.id, title="   ")
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "title"

    def test_malformed_due_date_is_422_naming_due_date(self, client, cw, a_case):
        response = add(client, cw, a_case.id, due_date="next week")
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "due_date"

    def test_caseworker_of_another_office_gets_404(self, client, world, a_case):
        other = token_headers(client, world.users["caseworker_b"].email)
        assert add(client, other, a_case.id).status_code == 404

    def test_partner_is_refused(self, client, world, a_case):
        partner = token_headers(client, world.users["partner"].email)
        assert add(client, partner, a_case.id).status_code == 403

    def test_audit_names_the_task_not_its_title_and_the_case_is_touched(self, client, cw, db, a_case):
        before = a_case.last_activity_at
        task_id = add(client, cw, a_case.id, title="Secret-sentinel").json()["id"]
        [event] = work.events(db, "case.task_add", a_case.id)
        assert event.details["task"] == task_id
        assert event.details["version"] == db.get(Case, a_case.id).version
        assert event.office_id == a_case.office_id
        assert "sentinel" not in str(event.details)
        assert db.get(Case, a_case.id).last_activity_at > before


class TestCompleteTask:
    def test_completes_an_open_task(self, client, cw, db, world, cw_a, a_case):
        task = work.task(db, cw_a, a_case)
        response = client.post(f"/api/v1/tasks/{task.id}/complete", headers=cw)
        assert response.status_code == 200
        assert response.json()["completed_at"] is not None
        assert response.json()["completed_by"] == str(world.users["caseworker_a"].id)
        [event] = work.events(db, "case.task_complete", a_case.id)
        assert event.details["task"] == task.id

    def test_completing_twice_is_409(self, client, cw, db, cw_a, a_case):
        task = work.task(db, cw_a, a_case)
        client.post(f"/api/v1/tasks/{task.id}/complete", headers=cw)
        response = client.post(f"/api/v1/tasks/{task.id}/complete", headers=cw)
        assert response.status_code == 409
        assert len(work.events(db, "case.task_complete", a_case.id)) == 1

    def test_caseworker_of_another_office_gets_404(self, client, db, world, cw_a, a_case):
        task = work.task(db, cw_a, a_case)
        other = token_headers(client, world.users["caseworker_b"].email)
        assert client.post(f"/api/v1/tasks/{task.id}/complete", headers=other).status_code == 404
        assert db.get(CaseTask, task.id).completed_at is None

    def test_unknown_task_is_404(self, client, cw):
        response = client.post("/api/v1/tasks/999999/complete", headers=cw)
        assert response.status_code == 404
        assert response.json()["detail"][0]["field"] == "task_id"


class TestReopenTask:
    def test_reopens_a_completed_task(self, client, cw, db, cw_a, a_case):
        task = work.task(db, cw_a, a_case)
        client.post(f"/api/v1/tasks/{task.id}/complete", headers=cw)
        response = client.post(f"/api/v1/tasks/{task.id}/reopen", headers=cw)
        assert response.status_code == 200
        assert response.json()["completed_at"] is None and response.json()["completed_by"] is None
        assert len(work.events(db, "case.task_reopen", a_case.id)) == 1

    def test_reopening_an_open_task_is_409(self, client, cw, db, cw_a, a_case):
        task = work.task(db, cw_a, a_case)
        assert client.post(f"/api/v1/tasks/{task.id}/reopen", headers=cw).status_code == 409


class TestListCaseTasks:
    def test_open_tasks_first_soonest_due_first(self, client, cw, db, cw_a, a_case):
        done = work.task(db, cw_a, a_case, title="done", due_date=days_from_today(-9))
        later = work.task(db, cw_a, a_case, title="later", due_date=days_from_today(5))
        undated = work.task(db, cw_a, a_case, title="undated")
        late = work.task(db, cw_a, a_case, title="late", due_date=days_from_today(-2))
        client.post(f"/api/v1/tasks/{done.id}/complete", headers=cw)
        items = client.get(f"/api/v1/cases/{a_case.id}/tasks", headers=cw).json()
        assert [i["id"] for i in items] == [late.id, later.id, undated.id, done.id]
        assert [i["overdue"] for i in items] == [True, False, False, False]

    def test_caseworker_of_another_office_gets_404(self, client, world, a_case):
        other = token_headers(client, world.users["caseworker_b"].email)
        assert client.get(f"/api/v1/cases/{a_case.id}/tasks", headers=other).status_code == 404

    def test_statements_do_not_grow_with_the_number_of_tasks(self, client, cw, db, engine, cw_a):
        one, twenty = work.case(db, cw_a), work.case(db, cw_a)
        work.task(db, cw_a, one)
        for i in range(20):
            work.task(db, cw_a, twenty, title=f"task {i}")
        small, few = work.measured_get(client, engine, db, f"/api/v1/cases/{one.id}/tasks", cw)
        large, many = work.measured_get(client, engine, db, f"/api/v1/cases/{twenty.id}/tasks", cw)
        assert (len(small.json()), len(large.json())) == (1, 20)
        assert few == many


class TestFindTasks:
    def test_me_lists_only_my_tasks_with_their_case_numbers(self, client, cw, db, world, cw_a, a_case):
        mine = work.task(db, cw_a, a_case)
        work.task(db, cw_a, a_case, assigned_to=world.users["supervisor_a"].id)
        items = client.get("/api/v1/tasks", params={"assigned_to": "me"}, headers=cw).json()["items"]
        assert [(i["id"], i["case_number"]) for i in items] == [(mine.id, a_case.case_number)]

    def test_by_user_id(self, client, cw, db, world, cw_a, a_case):
        theirs = work.task(db, cw_a, a_case, assigned_to=world.users["supervisor_a"].id)
        items = client.get("/api/v1/tasks", params={"assigned_to": str(world.users["supervisor_a"].id)},
                           headers=cw).json()["items"]
        assert [i["id"] for i in items] == [theirs.id]

    def test_overdue_means_open_and_due_before_today(self, client, cw, db, cw_a, a_case):
        late = work.task(db, cw_a, a_case, due_date=days_from_today(-1))
        work.task(db, cw_a, a_case, due_date=days_from_today(0))
        work.task(db, cw_a, a_case)
        done = work.task(db, cw_a, a_case, due_date=days_from_today(-3))
        client.post(f"/api/v1/tasks/{done.id}/complete", headers=cw)
        items = client.get("/api/v1/tasks", params={"assigned_to": "me", "overdue": "true"}, headers=cw).json()
        assert [i["id"] for i in items["items"]] == [late.id]
        assert items["items"][0]["overdue"] is True

    def test_never_shows_tasks_of_another_office(self, client, db, world, cw_a, a_case):
        work.task(db, cw_a, a_case, assigned_to=None)
        other = token_headers(client, world.users["caseworker_b"].email)
        assert client.get("/api/v1/tasks", headers=other).json()["items"] == []

    def test_office_filter_outside_my_offices_is_403(self, client, cw, world):
        response = client.get("/api/v1/tasks", params={"office_id": str(world.office_b.id)}, headers=cw)
        assert response.status_code == 403
        assert response.json()["detail"][0]["field"] == "office_id"

    def test_malformed_assigned_to_is_422(self, client, cw):
        response = client.get("/api/v1/tasks", params={"assigned_to": "someone"}, headers=cw)
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "assigned_to"

    def test_limit_says_when_there_are_more(self, client, cw, db, cw_a, a_case):
        for _ in range(3):
            work.task(db, cw_a, a_case)
        body = client.get("/api/v1/tasks", params={"assigned_to": "me", "limit": 2}, headers=cw).json()
        assert len(body["items"]) == 2 and body["has_more"] is True

    def test_statements_do_not_grow_with_the_number_of_tasks(self, client, cw, db, engine, world, cw_a):
        one, twenty = work.case(db, cw_a), work.case(db, cw_a)
        work.task(db, cw_a, one, due_date=days_from_today(-1))
        for _ in range(20):
            work.task(db, cw_a, twenty, due_date=days_from_today(-1), assigned_to=world.users["supervisor_a"].id)
        me, few = work.measured_get(client, engine, db, "/api/v1/tasks", cw, assigned_to="me", overdue="true")
        them, many = work.measured_get(client, engine, db, "/api/v1/tasks", cw, overdue="true",
                                       assigned_to=str(world.users["supervisor_a"].id))
        assert (len(me.json()["items"]), len(them.json()["items"])) == (1, 20)
        assert few == many
