"""Bad input over HTTP, from the API and from the pages: a 4xx that names the field, and nothing written.

The cases are those an outside test run found answering 500 (on PostgreSQL above all): a NUL in any text,
ids beyond what the database column holds, dates given as numbers.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from crossroads.cases.models import Case, CaseNote
from crossroads.cases.work.models import CaseTask
from crossroads.people.models import Person
from tests.factories import people as pf
from tests.factories import work as wf
from tests.factories.auth import PASSWORD
from tests.factories.people import person_payload
from tests.helpers import csrf, login

HUGE = 2**63  # the reviewer's 9223372036854775808
JUST_OVER = 2**31  # already beyond PostgreSQL's integer keys


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def problem(response, status: int = 422) -> dict:
    assert response.status_code == status, response.text
    return response.json()["detail"][0]


class TestControlCharactersInJson:
    @pytest.mark.parametrize("field", ["email", "password"])
    def test_a_nul_in_the_login_is_422_naming_the_field(self, client, world, field):
        body = {"email": world.users["admin"].email, "password": PASSWORD} | {field: "x\u0000y"}
        detail = problem(client.post("/api/v1/auth/token", json=body))
        assert (detail["field"], detail["type"]) == (field, "control_character")

    @pytest.mark.parametrize(("override", "field", "kind"), [
        ({"given_name": "Ali\u0000"}, "given_name", "control_character"),
        ({"family_name": "\u202eHassan"}, "family_name", "bidi_control"),
        ({"aliases": ["Abu\u0007 Ali"]}, "aliases.0.name", "control_character"),
        ({"documents": [{"document_type": "passport", "number": "N\u2066123"}]}, "documents.0.number",
         "bidi_control"),
        ({"nationality": "SY\u0000"}, "nationality", "control_character"),
    ])
    def test_a_registration_with_control_characters_writes_nothing(self, client, cw, db, override, field, kind):
        before = count(db, Person)
        detail = problem(client.post("/api/v1/people", json=person_payload(**override), headers=cw))
        assert (detail["field"], detail["type"]) == (field, kind)
        assert "Ali" not in detail["message"] and count(db, Person) == before

    def test_a_nul_deep_in_the_case_fields_is_refused(self, client, cw, db):
        before = count(db, Case)
        body = {"person": person_payload(), "case": {"programme": "avrr", "data": {"notes": ["ok", "x\u0000"]}}}
        detail = problem(client.post("/api/v1/registrations", json=body, headers=cw))
        assert detail["field"] == "case.data"
        assert count(db, Case) == before

    def test_a_note_keeps_its_line_breaks_and_refuses_a_nul(self, client, cw, db, world):
        case = pf.case(db, world.principal(db, "caseworker_a"), pf.person(db, world.principal(db, "caseworker_a")))
        url = f"/api/v1/cases/{case.id}/notes"
        assert client.post(url, json={"body": "Called.\r\n\tCall again"}, headers=cw).status_code == 201
        before = count(db, CaseNote)
        assert problem(client.post(url, json={"body": "Called\u0000"}, headers=cw))["field"] == "body"
        assert count(db, CaseNote) == before


class TestControlCharactersInParameters:
    @pytest.mark.parametrize(("url", "field"), [
        ("/api/v1/cases?q=Ali%00", "q"),
        ("/api/v1/cases?field.referral_source=%00", "field.referral_source"),
        ("/api/v1/dedup/candidates?cursor=%00", "cursor"),
        ("/api/v1/programmes/avrr%00/versions", "code"),
    ])
    def test_the_api_refuses_them_naming_the_parameter(self, client, headers, url, field):
        detail = problem(client.get(url, headers=headers("admin") if "programmes" in url else headers("supervisor_a")))
        assert (detail["field"], detail["type"]) == (field, "control_character")

    def test_a_page_refuses_them_naming_the_parameter(self, client, world):
        login(client, world.users["caseworker_a"].email)
        response = client.get("/cases?q=Ali%00")
        assert response.status_code == 422
        assert "<code>q</code>" in response.text


class TestControlCharactersInForms:
    def test_a_registration_form_with_a_nul_writes_nothing(self, client, world, db):
        login(client, world.users["caseworker_a"].email)
        page = client.get("/people/new")
        before = count(db, Person)
        response = client.post("/people/new", data={
            "csrf_token": csrf(page.text), "given_name": "Amina\x00", "family_name": "Yusuf", "sex": "female",
            "nationality": "SOM"})
        assert response.status_code == 422
        assert "<code>given_name</code>" in response.text
        assert count(db, Person) == before

    def test_a_note_form_keeps_line_breaks(self, client, world, db):
        principal = world.principal(db, "caseworker_a")
        case = pf.case(db, principal, pf.person(db, principal))
        login(client, world.users["caseworker_a"].email)
        page = client.get(f"/cases/{case.id}")
        response = client.post(f"/cases/{case.id}/notes", data={"csrf_token": csrf(page.text),
                                                                 "body": "First line\r\nSecond\tline"},
                               follow_redirects=False)
        assert response.status_code == 303

    def test_a_bidi_override_in_a_name_is_shown_beside_the_field(self, client, world, db):
        login(client, world.users["caseworker_a"].email)
        page = client.get("/people/new")
        before = count(db, Person)
        response = client.post("/people/new", data={
            "csrf_token": csrf(page.text), "given_name": "Amina", "family_name": "\u202eYusuf", "sex": "female",
            "nationality": "SOM"})
        assert response.status_code == 422
        assert 'id="family_name-error"' in response.text
        assert count(db, Person) == before


class TestIdsBeyondTheColumn:
    @pytest.mark.parametrize("value", [HUGE, JUST_OVER, 0])
    @pytest.mark.parametrize(("method", "template", "field"), [
        ("post", "/api/v1/tasks/{}/complete", "task_id"),
        ("post", "/api/v1/tasks/{}/reopen", "task_id"),
        ("get", "/api/v1/dedup/candidates/{}", "candidate_id"),
        ("post", "/api/v1/dedup/candidates/{}/confirm", "candidate_id"),
        ("post", "/api/v1/dedup/candidates/{}/reject", "candidate_id"),
        ("get", "/api/v1/dedup/merges/{}", "merge_id"),
        ("post", "/api/v1/dedup/merges/{}/unmerge", "merge_id"),
        ("post", "/api/v1/approvals/{}/decision", "approval_id"),
        ("post", "/api/v1/transfers/{}/cancel", "transfer_id"),
    ])
    def test_path_ids_are_422(self, client, headers, method, template, field, value):
        body = {"approve": True} if "approvals" in template else None
        response = client.request(method.upper(), template.format(value), json=body, headers=headers("supervisor_a"))
        assert problem(response)["field"] == field

    def test_delivering_a_service_with_a_huge_id_is_422(self, client, cw):
        response = client.post(f"/api/v1/case-services/{HUGE}/deliver", json={"delivered_date": "2026-01-05"},
                               headers=cw)
        assert problem(response)["field"] == "service_id"

    def test_a_timeline_page_before_a_huge_position_is_422(self, client, cw, db, world):
        case = wf.case(db, world.principal(db, "caseworker_a"))
        response = client.get(f"/api/v1/cases/{case.id}/timeline", params={"before": 2**63}, headers=cw)
        assert problem(response)["field"] == "before"
        ok = client.get(f"/api/v1/cases/{case.id}/timeline", params={"before": 2**63 - 1}, headers=cw)
        assert ok.status_code == 200 and [i["action"] for d in ok.json()["days"] for i in d["items"]] == ["case.open"]

    @pytest.mark.parametrize("body", [{"candidate_id": HUGE}, {"candidate_id": JUST_OVER}])
    def test_a_merge_naming_a_huge_candidate_is_422(self, client, headers, body):
        body = {"survivor_id": str(uuid.uuid4()), "merged_id": str(uuid.uuid4()), **body}
        assert problem(client.post("/api/v1/dedup/merges", json=body, headers=headers("supervisor_a")))["field"] \
            == "candidate_id"

    def test_a_case_version_beyond_the_column_is_422(self, client, cw, db, world):
        case = wf.case(db, world.principal(db, "caseworker_a"))
        response = client.patch(f"/api/v1/cases/{case.id}", json={"version": HUGE, "data": {}}, headers=cw)
        assert problem(response)["field"] == "version"

    @pytest.mark.parametrize("url", [f"/dedup/review/{HUGE}", f"/cases/{uuid.uuid4()}/timeline?before={HUGE}"])
    def test_pages_answer_422(self, client, world, url):
        login(client, world.users["supervisor_a"].email)
        assert client.get(url).status_code == 422

    def test_completing_a_task_from_its_page_with_a_huge_id_is_422(self, client, world, db):
        principal = world.principal(db, "caseworker_a")
        case = wf.case(db, principal)
        wf.task(db, principal, case)
        login(client, world.users["caseworker_a"].email)
        page = client.get(f"/cases/{case.id}")
        before = count(db, CaseTask)
        response = client.post(f"/tasks/{HUGE}/complete", data={"csrf_token": csrf(page.text)})
        assert response.status_code == 422
        assert count(db, CaseTask) == before


class TestDatesAsNumbers:
    @pytest.mark.parametrize("value", [0, "0", 86400, "1700000000"])
    def test_a_date_of_birth_must_be_written_as_a_date(self, client, cw, db, value):
        before = count(db, Person)
        detail = problem(client.post("/api/v1/people", json=person_payload(date_of_birth=value), headers=cw))
        assert (detail["field"], detail["type"]) == ("date_of_birth", "date_format")
        assert count(db, Person) == before

    def test_a_due_date_must_be_written_as_a_date(self, client, cw, db, world):
        case = wf.case(db, world.principal(db, "caseworker_a"))
        detail = problem(client.post(f"/api/v1/cases/{case.id}/tasks", json={"title": "Call", "due_date": 0},
                                     headers=cw))
        assert (detail["field"], detail["type"]) == ("due_date", "date_format")

    def test_a_filter_date_must_be_written_as_a_date(self, client, headers):
        detail = problem(client.get("/api/v1/cases", params={"opened_from": "0"}, headers=headers("supervisor_a")))
        assert (detail["field"], detail["type"]) == ("opened_from", "date_format")

    def test_the_registration_form_refuses_a_date_of_birth_of_zero(self, client, world, db):
        login(client, world.users["caseworker_a"].email)
        page = client.get("/people/new")
        before = count(db, Person)
        response = client.post("/people/new", data={
            "csrf_token": csrf(page.text), "given_name": "Amina", "family_name": "Yusuf", "sex": "female",
            "date_of_birth": "0", "nationality": "SOM"})
        assert response.status_code == 422
        assert 'id="date_of_birth-error"' in response.text
        assert count(db, Person) == before


class TestTranslatedRefusals:
    @pytest.mark.parametrize(("lang", "text"), [("fr", "ne doit pas contenir de caractères de contrôle"),
                                                ("ar", "يجب ألا يحتوي على محارف تحكم")])
    def test_a_page_says_it_in_the_reader_s_language(self, client, world, lang, text):
        login(client, world.users["caseworker_a"].email)
        response = client.get(f"/cases?q=Ali%00&lang={lang}")
        assert response.status_code == 422
        assert text in response.text
