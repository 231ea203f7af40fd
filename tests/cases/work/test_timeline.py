from __future__ import annotations

import pytest

from crossroads.audit.service import record_event
from crossroads.cases.service import get_case
from crossroads.cases.work.attachments import PDF
from crossroads.cases.work.timeline import describe
from crossroads.programmes.config import ProgrammeConfig
from crossroads.programmes.defaults import AVRR, LEGAL_COUNSELLING
from tests.factories import work
from tests.factories.work import days_from_today
from tests.helpers import login, token_headers


def timeline(client, headers, case_id, **params):
    return client.get(f"/api/v1/cases/{case_id}/timeline", headers=headers, params=params)


def items(body: dict) -> list[dict]:
    return [i for d in body["days"] for i in d["items"]]


AVRR_CONFIG = ProgrammeConfig.model_validate(AVRR)
LEGAL_CONFIG = ProgrammeConfig.model_validate(LEGAL_COUNSELLING)


class TestDescribe:
    @pytest.mark.parametrize(("action", "details", "expected"), [
        ("case.open", {"programme": "avrr", "state": "intake"},
         "Case opened in Assisted voluntary return and reintegration, in the state Intake"),
        ("case.transition", {"from": "intake", "to": "counselling"}, "Moved from Intake to Return counselling"),
        ("case.approval_decided", {"from": "travel_documents", "to": "travel_approved", "decision": "approved"},
         "Move from Travel documents to Travel approved approved"),
        ("case.task_add", {"task": 3}, "Task added"),
        ("case.service_add", {"code": "return_counselling", "status": "planned"},
         "Service planned: Return counselling"),
        ("case.service_deliver", {"code": "return_counselling"}, "Service delivered: Return counselling"),
        ("case.attachment_add", {"type": PDF, "size": 2048}, "Attachment added (PDF, 2 kB)"),
        ("case.link", {"kind": "same_person_other_programme"},
         "Linked to another case (same person, other programme)"),
        ("case.flag_added", {}, "Recorded: case.flag_added"),
    ])
    def test_tells_each_event_in_a_sentence_with_the_programme_labels(self, action, details, expected):
        assert describe(action, details, AVRR_CONFIG).text(lambda s: s) == expected

    def test_a_state_is_named_by_the_case_own_programme(self):
        details = {"from": "intake", "to": "counselling"}
        assert describe("case.transition", details, LEGAL_CONFIG).text(lambda s: s) == \
            "Moved from Intake to Counselling"
        assert describe("case.transition", details, AVRR_CONFIG).text(lambda s: s) == \
            "Moved from Intake to Return counselling"

    def test_fields_are_named_by_their_labels(self):
        sentence = describe("case.update", {"fields": ["return_destination_city", "flags"]}, AVRR_CONFIG)
        assert sentence.message == "Details updated: %(fields)s"
        assert sentence.params() == {"fields": "Destination city or town, flags"}

    def test_the_message_and_its_labels_are_translated(self):
        french = {"Moved from %(from)s to %(to)s": "Passé de %(from)s à %(to)s", "Intake": "Accueil"}
        sentence = describe("case.transition", {"from": "intake", "to": "counselling"}, LEGAL_CONFIG)
        assert sentence.text(lambda s: french.get(s, s)) == "Passé de Accueil à Counselling"


class TestCaseTimeline:
    def test_lists_the_case_events_newest_first_with_actor_names(self, client, cw, db, world, cw_a, a_case):
        work.task(db, cw_a, a_case)
        work.service(db, cw_a, a_case, status="delivered", delivered_date=days_from_today(0))
        listed = items(timeline(client, cw, a_case.id).json())
        assert [i["action"] for i in listed] == ["case.service_add", "case.task_add", "case.open"]
        assert [i["id"] for i in listed] == sorted((i["id"] for i in listed), reverse=True)
        assert {i["actor_name"] for i in listed} == {world.users["caseworker_a"].full_name}
        assert listed[0]["description"] == "Service delivered: Return counselling"
        assert listed[0]["message"] == "Service delivered: %(service)s"
        assert listed[0]["params"] == {"service": "Return counselling"}
        assert listed[0]["kind"] == "services"

    def test_groups_events_by_day(self, client, cw, db, a_case):
        body = timeline(client, cw, a_case.id).json()
        assert [d["day"] for d in body["days"]] == [a_case.opened_at.date().isoformat()]

    def test_describes_moves_between_states_by_their_labels(self, client, cw, db, cw_a, a_case):
        record_event(db, actor=cw_a, action="case.transition", entity_type="case", entity_id=a_case.id,
                     office_id=a_case.office_id, details={"from": "intake", "to": "counselling", "version": 2})
        db.commit()
        assert items(timeline(client, cw, a_case.id).json())[0]["description"] == \
            "Moved from Intake to Return counselling"

    def test_views_are_folded_into_one_line_a_day_and_each_stays_audited(self, client, cw, db, world, cw_a, a_case):
        supervisor = world.principal(db, "supervisor_a")
        for reader in (cw_a, cw_a, cw_a, supervisor):
            get_case(db, principal=reader, case_id=a_case.id)
        db.commit()
        listed = items(timeline(client, cw, a_case.id).json())
        views = [i for i in listed if i["kind"] == "views"]
        assert len(views) == 1
        assert (views[0]["people"], views[0]["times"], views[0]["description"]) == (2, 4, "Viewed by 2 people")
        assert views[0]["id"] is None
        assert len(work.events(db, "case.read", a_case.id)) == 4

    def test_filters_by_kind(self, client, cw, db, cw_a, a_case):
        work.task(db, cw_a, a_case)
        get_case(db, principal=cw_a, case_id=a_case.id)
        db.commit()
        assert [i["action"] for i in items(timeline(client, cw, a_case.id, kind="tasks").json())] == \
            ["case.task_add"]
        assert [i["kind"] for i in items(timeline(client, cw, a_case.id, kind="views").json())] == ["views"]

    def test_an_unknown_kind_is_422_naming_it(self, client, cw, a_case):
        response = timeline(client, cw, a_case.id, kind="gossip")
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "kind"

    def test_reading_is_audited_and_never_shown(self, client, cw, db, a_case):
        timeline(client, cw, a_case.id)
        listed = items(timeline(client, cw, a_case.id).json())
        assert "case.timeline_read" not in {i["action"] for i in listed}
        reads = work.events(db, "case.timeline_read", a_case.id)
        assert len(reads) == 2 and reads[0].office_id == a_case.office_id

    def test_shows_only_this_case(self, client, cw, db, cw_a, a_case):
        other = work.case(db, cw_a)
        work.task(db, cw_a, other)
        assert [i["action"] for i in items(timeline(client, cw, a_case.id).json())] == ["case.open"]

    def test_pages_before_a_position(self, client, cw, db, cw_a, a_case):
        for _ in range(3):
            work.task(db, cw_a, a_case)
        first = timeline(client, cw, a_case.id, limit=2).json()
        rest = timeline(client, cw, a_case.id, before=first["next_before"], limit=2).json()
        assert [i["action"] for i in items(first) + items(rest)] == ["case.task_add"] * 3 + ["case.open"]
        assert rest["next_before"] is None

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
            get_case(db, principal=supervisor if i % 2 else cw_a, case_id=long.id)
        db.commit()
        small, few = work.measured_get(client, engine, db, f"/api/v1/cases/{short.id}/timeline", cw)
        large, many = work.measured_get(client, engine, db, f"/api/v1/cases/{long.id}/timeline", cw)
        assert (len(items(small.json())), len(items(large.json()))) == (1, 21)
        assert few == many


class TestTimelinePage:
    def test_is_translated_with_the_programme_labels(self, client, db, world, cw_a, a_case):
        record_event(db, actor=cw_a, action="case.transition", entity_type="case", entity_id=a_case.id,
                     office_id=a_case.office_id, details={"from": "intake", "to": "counselling", "version": 2})
        get_case(db, principal=cw_a, case_id=a_case.id)
        db.commit()
        login(client, world.users["caseworker_a"].email)
        page = client.get(f"/cases/{a_case.id}/timeline?lang=fr")
        assert page.status_code == 200
        assert "Passé de Accueil à Conseil au retour" in page.text
        assert "Consulté par 1 personne" in page.text

    def test_a_printed_summary_is_a_line_of_its_own_beside_the_folded_views(self, client, db, world, cw_a, a_case):
        get_case(db, principal=cw_a, case_id=a_case.id)
        db.commit()
        login(client, world.users["caseworker_a"].email)
        assert client.get(f"/cases/{a_case.id}/summary").status_code == 200
        page = client.get(f"/cases/{a_case.id}/timeline?lang=fr")
        assert page.status_code == 200
        assert "Résumé ouvert pour impression" in page.text
        assert "Consulté par 1 personne" in page.text

    def test_an_unknown_kind_is_422(self, client, world, a_case):
        login(client, world.users["caseworker_a"].email)
        assert client.get(f"/cases/{a_case.id}/timeline?kind=gossip").status_code == 422
