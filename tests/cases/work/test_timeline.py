from __future__ import annotations

import pytest

from crossroads.audit.service import record_event
from crossroads.cases.work.attachments import PDF
from crossroads.cases.work.timeline import describe
from tests.factories import work
from tests.factories.work import days_from_today
from tests.helpers import token_headers


def timeline(client, headers, case_id, **params):
    return client.get(f"/api/v1/cases/{case_id}/timeline", headers=headers, params=params)


class TestDescribe:
    @pytest.mark.parametrize(("action", "details", "expected"), [
        ("case.open", {"programme": "avrr", "state": "intake"}, "case opened in avrr, state intake"),
        ("case.transition", {"from": "intake", "to": "counselling"}, "moved from intake to counselling"),
        ("case.approval_decided", {"from": "a", "to": "b", "decision": "approved"}, "move from a to b approved"),
        ("case.update", {"fields": ["destination", "flags"]}, "updated: destination, flags"),
        ("case.task_add", {"task": 3}, "task added"),
        ("case.service_add", {"code": "shelter", "status": "planned"}, "service planned: shelter"),
        ("case.service_deliver", {"code": "shelter"}, "service delivered: shelter"),
        ("case.attachment_add", {"type": PDF, "size": 2048}, "attachment added (PDF, 2 KB)"),
        ("case.link", {"kind": "same_person_other_programme"},
         "linked to another case (same person other programme)"),
        ("case.flag_added", {}, "flag added"),
    ])
    def test_tells_each_event_in_a_short_sentence(self, action, details, expected):
        assert describe(action, details) == expected


class TestCaseTimeline:
    def test_lists_the_case_events_oldest_first_with_actor_names(self, client, cw, db, world, cw_a, a_case):
        work.task(db, cw_a, a_case)
        work.service(db, cw_a, a_case, status="delivered", delivered_date=days_from_today(0))
        items = timeline(client, cw, a_case.id).json()["items"]
        assert [i["action"] for i in items] == ["case.open", "case.task_add", "case.service_add"]
        assert [i["id"] for i in items] == sorted(i["id"] for i in items)
        assert {i["actor_name"] for i in items} == {world.users["caseworker_a"].full_name}
        assert items[2]["description"] == "service delivered: return_counselling"

    def test_describes_moves_between_states(self, client, cw, db, cw_a, a_case):
        record_event(db, actor=cw_a, action="case.transition", entity_type="case", entity_id=a_case.id,
                     office_id=a_case.office_id, details={"from": "intake", "to": "counselling", "version": 2})
        db.commit()
        items = timeline(client, cw, a_case.id).json()["items"]
        assert items[-1]["description"] == "moved from intake to counselling"

    def test_reading_is_audited_and_never_shown(self, client, cw, db, a_case):
        timeline(client, cw, a_case.id)
        items = timeline(client, cw, a_case.id).json()["items"]
        assert "case.timeline_read" not in {i["action"] for i in items}
        reads = work.events(db, "case.timeline_read", a_case.id)
        assert len(reads) == 2 and reads[0].office_id == a_case.office_id

    def test_shows_only_this_case(self, client, cw, db, cw_a, a_case):
        other = work.case(db, cw_a)
        work.task(db, cw_a, other)
        assert [i["action"] for i in timeline(client, cw, a_case.id).json()["items"]] == ["case.open"]

    def test_pages_after_a_position(self, client, cw, db, cw_a, a_case):
        for _ in range(3):
            work.task(db, cw_a, a_case)
        first = timeline(client, cw, a_case.id, limit=2).json()
        rest = timeline(client, cw, a_case.id, after=first["next_after"], limit=2).json()
        assert [i["action"] for i in first["items"] + rest["items"]] == ["case.open"] + ["case.task_add"] * 3
        assert rest["next_after"] is None

    def test_caseworker_of_another_office_gets_404_and_nothing_is_recorded(self, client, db, world, a_case):
        other = token_headers(client, world.users["caseworker_b"].email)
        assert timeline(client, other, a_case.id).status_code == 404
        assert work.events(db, "case.timeline_read", a_case.id) == []

    def test_limit_over_the_maximum_is_422(self, client, cw, a_case):
        response = timeline(client, cw, a_case.id, limit=10_000)
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "limit"

    def test_statements_do_not_grow_with_the_number_of_events(self, client, cw, db, engine, world, cw_a):
        short, long = work.case(db, cw_a), work.case(db, cw_a)
        supervisor = world.principal(db, "supervisor_a")
        for i in range(19):
            work.task(db, supervisor if i % 2 else cw_a, long)
        small, few = work.measured_get(client, engine, db, f"/api/v1/cases/{short.id}/timeline", cw)
        large, many = work.measured_get(client, engine, db, f"/api/v1/cases/{long.id}/timeline", cw)
        assert (len(small.json()["items"]), len(large.json()["items"])) == (1, 20)
        assert few == many
