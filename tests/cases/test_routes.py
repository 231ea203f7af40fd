from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crossroads.audit.models import AuditEvent
from crossroads.cases import service
from crossroads.cases.models import Case
from crossroads.people.models import Person
from tests.factories.people import person_payload
from tests.helpers import token_headers


def register(client, headers, **overrides) -> str:
    response = client.post("/api/v1/people", json=person_payload(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def open_case(client, headers, person_id, programme="avrr"):
    return client.post("/api/v1/cases", json={"person_id": person_id, "programme": programme}, headers=headers)


class TestProgrammes:
    def test_all_agency_programmes_are_available(self, client, cw):
        codes = {p["code"] for p in client.get("/api/v1/programmes", headers=cw).json()}
        assert codes == {"counter_trafficking", "avrr", "uasc", "family_reunification", "labour_mobility",
                         "resettlement", "legal_counselling"}


class TestOpenCase:
    def test_opens_with_a_case_number_of_the_office(self, client, cw, world):
        response = open_case(client, cw, register(client, cw))
        assert response.status_code == 201
        assert response.json()["case_number"].startswith(f"{world.office_a.code}-")

    def test_case_numbers_are_sequential_per_office(self, client, cw):
        pid = register(client, cw)
        first = open_case(client, cw, pid).json()["case_number"]
        second = open_case(client, cw, pid, "legal_counselling").json()["case_number"]
        assert int(second.rsplit("-", 1)[1]) == int(first.rsplit("-", 1)[1]) + 1

    def test_unknown_programme_is_422_and_writes_nothing(self, client, cw, db):
        pid = register(client, cw)
        before = db.scalar(select(func.count()).select_from(Case))
        response = open_case(client, cw, pid, "astrology")
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "programme"
        assert db.scalar(select(func.count()).select_from(Case)) == before

    def test_person_of_another_office_is_not_found(self, client, cw, world):
        pid = register(client, cw)
        other = token_headers(client, world.users["caseworker_b"].email)
        assert open_case(client, other, pid).status_code == 404

    def test_malformed_person_id_is_422(self, client, cw):
        response = client.post("/api/v1/cases", json={"person_id": "not-a-uuid", "programme": "avrr"}, headers=cw)
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "person_id"


class TestRegisterWithCase:
    def test_registers_the_person_and_opens_the_case_in_their_office(self, client, cw, world, db):
        body = {"person": person_payload(aliases=["خوسيه"]), "case": {"programme": "avrr", "flags": ["urgent"]}}
        response = client.post("/api/v1/registrations", json=body, headers=cw)
        assert response.status_code == 201, response.text
        out = response.json()
        assert out["person"]["aliases"][0]["name"] == "خوسيه"
        assert out["case"]["person"]["id"] == out["person"]["id"]
        assert out["case"]["office_id"] == out["person"]["office_id"] == str(world.office_a.id)
        assert out["case"]["case_number"].startswith(f"{world.office_a.code}-")
        assert out["case"]["flags"] == ["urgent"]
        actions = db.scalars(select(AuditEvent.action).where(
            AuditEvent.entity_id.in_([out["person"]["id"], out["case"]["id"]]))).all()
        assert sorted(actions) == ["case.open", "person.create"]
        found = client.get("/api/v1/cases", params={"q": "jose munoz"}, headers=cw).json()["items"]
        assert [c["id"] for c in found] == [out["case"]["id"]]

    def test_a_bad_case_part_names_its_field_and_keeps_no_person(self, client, cw, db):
        people = db.scalar(select(func.count()).select_from(Person))
        body = {"person": person_payload(), "case": {"programme": "astrology"}}
        response = client.post("/api/v1/registrations", json=body, headers=cw)
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "case.programme"
        assert db.scalar(select(func.count()).select_from(Person)) == people

    def test_a_bad_person_part_names_its_field(self, client, cw):
        body = {"person": person_payload(nationality="ZZZ"), "case": {"programme": "avrr"}}
        response = client.post("/api/v1/registrations", json=body, headers=cw)
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "person.nationality"

    def test_an_office_of_another_user_is_refused(self, client, cw, world, db):
        people = db.scalar(select(func.count()).select_from(Person))
        body = {"person": person_payload(office_id=str(world.office_b.id)), "case": {"programme": "avrr"}}
        response = client.post("/api/v1/registrations", json=body, headers=cw)
        assert response.status_code == 403
        assert response.json()["detail"][0]["field"] == "person.office_id"
        assert db.scalar(select(func.count()).select_from(Person)) == people


class TestSearchCases:
    def test_finds_a_name_typed_without_accents_or_case(self, client, cw):
        pid = register(client, cw, given_name="Hélène", family_name="Lefèvre", nationality="FRA")
        open_case(client, cw, pid)
        items = client.get("/api/v1/cases", params={"q": "HELENE lefevre"}, headers=cw).json()["items"]
        assert [i["person"]["id"] for i in items] == [pid]

    def test_finds_an_arabic_script_name_by_an_alias_and_by_romanisation(self, client, cw):
        pid = register(client, cw, given_name="محمد", family_name="حسين", nationality="SYR",
                       aliases=["Mohammed Hussein"])
        open_case(client, cw, pid)
        assert client.get("/api/v1/cases", params={"q": "mohammed"}, headers=cw).json()["total"] == 1
        assert client.get("/api/v1/cases", params={"q": "محمد"}, headers=cw).json()["total"] == 1

    @pytest.mark.parametrize("q", ["Yusef Hadad", "Hadad", "Yousef", "Hadad Yusef", "يوسف الحداد"])
    def test_finds_the_spellings_the_people_search_and_duplicate_check_agree_on(self, client, cw, q):
        pid = register(client, cw, given_name="Youssef", family_name="Al-Haddad", nationality="SYR")
        open_case(client, cw, pid)
        items = client.get("/api/v1/cases", params={"q": q}, headers=cw).json()["items"]
        assert [i["person"]["id"] for i in items] == [pid]

    def test_finds_an_arabic_script_name_typed_in_latin_letters(self, client, cw):
        pid = register(client, cw, given_name="جمال", family_name="يوسف", nationality="SYR")
        open_case(client, cw, pid)
        items = client.get("/api/v1/cases", params={"q": "Jamal Yousef"}, headers=cw).json()["items"]
        assert [i["person"]["id"] for i in items] == [pid]

    def test_a_word_of_one_consonant_must_start_a_name(self, client, cw):
        open_case(client, cw, register(client, cw, given_name="Ola", family_name="Nordmann", nationality="NOR"))
        assert client.get("/api/v1/cases", params={"q": "Ali"}, headers=cw).json()["total"] == 0

    def test_word_prefixes_match_but_inner_fragments_do_not(self, client, cw):
        open_case(client, cw, register(client, cw, given_name="Abdirahman", family_name="Warsame", nationality="SOM"))
        assert client.get("/api/v1/cases", params={"q": "abdi wars"}, headers=cw).json()["total"] == 1
        assert client.get("/api/v1/cases", params={"q": "rahman"}, headers=cw).json()["total"] == 0

    def test_finds_by_case_number(self, client, cw):
        number = open_case(client, cw, register(client, cw)).json()["case_number"]
        items = client.get("/api/v1/cases", params={"q": number.lower()}, headers=cw).json()["items"]
        assert [i["case_number"] for i in items] == [number]

    def test_paginates(self, client, cw):
        pid = register(client, cw, given_name="Paginated")
        for _ in range(5):
            open_case(client, cw, pid)
        first = client.get("/api/v1/cases", params={"q": "paginated", "page_size": 2}, headers=cw).json()
        third = client.get("/api/v1/cases", params={"q": "paginated", "page_size": 2, "page": 3}, headers=cw).json()
        assert first["total"] == 5 and len(first["items"]) == 2 and len(third["items"]) == 1
        assert not {i["id"] for i in first["items"]} & {i["id"] for i in third["items"]}

    def test_filters_by_programme(self, client, cw):
        pid = register(client, cw, given_name="Filtered")
        open_case(client, cw, pid, "uasc")
        open_case(client, cw, pid, "avrr")
        items = client.get("/api/v1/cases", params={"q": "filtered", "programme": "uasc"}, headers=cw).json()["items"]
        assert [i["programme"] for i in items] == ["uasc"]

    def test_page_size_over_limit_is_422(self, client, cw):
        response = client.get("/api/v1/cases", params={"page_size": 1000}, headers=cw)
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "page_size"

    def test_listing_is_audited_without_the_query_text(self, client, cw, db):
        client.get("/api/v1/cases", params={"q": "Secretname"}, headers=cw)
        event = db.scalar(select(AuditEvent).where(AuditEvent.action == "case.list").order_by(AuditEvent.id.desc()))
        assert event is not None and "ecretname" not in str(event.details)


class TestCaseNotes:
    def test_note_is_added_and_shown_with_the_case(self, client, cw):
        case_id = open_case(client, cw, register(client, cw)).json()["id"]
        assert client.post(f"/api/v1/cases/{case_id}/notes", json={"body": "Met at the shelter."},
                           headers=cw).status_code == 201
        detail = client.get(f"/api/v1/cases/{case_id}", headers=cw).json()
        assert [n["body"] for n in detail["notes"]] == ["Met at the shelter."]

    def test_empty_note_is_422(self, client, cw):
        case_id = open_case(client, cw, register(client, cw)).json()["id"]
        response = client.post(f"/api/v1/cases/{case_id}/notes", json={"body": "  "}, headers=cw)
        assert response.status_code == 422

    def test_other_office_cannot_read_or_annotate(self, client, cw, world):
        case_id = open_case(client, cw, register(client, cw)).json()["id"]
        other = token_headers(client, world.users["caseworker_b"].email)
        assert client.get(f"/api/v1/cases/{case_id}", headers=other).status_code == 404
        assert client.post(f"/api/v1/cases/{case_id}/notes", json={"body": "x"}, headers=other).status_code == 404


    def test_a_search_counts_up_to_its_cap_on_every_page_it_counts(self, client, cw, monkeypatch):
        monkeypatch.setattr(service, "SEARCH_COUNT_CAP", 3)
        pid = register(client, cw, given_name="Capped")
        for _ in range(5):
            open_case(client, cw, pid)
        for page in (1, 2, 3):
            body = client.get("/api/v1/cases", params={"q": "capped", "page_size": 2, "page": page},
                              headers=cw).json()
            assert (body["total"], body["total_is_capped"]) == (3, True), page
        two = client.get("/api/v1/cases", params={"q": "capped", "page_size": 5}, headers=cw).json()
        assert (len(two["items"]), two["total"], two["total_is_capped"]) == (5, 3, True)
        monkeypatch.setattr(service, "SEARCH_COUNT_CAP", 5)
        exact = client.get("/api/v1/cases", params={"q": "capped", "page_size": 2}, headers=cw).json()
        assert (exact["total"], exact["total_is_capped"]) == (5, False)


class TestKeysetPages:
    def test_cursor_walks_every_case_once_and_counts_only_on_the_first_page(self, client, cw):
        pid = register(client, cw, given_name="Keyset")
        opened = {open_case(client, cw, pid).json()["id"] for _ in range(7)}
        seen, cursor, pages = [], None, []
        while True:
            params = {"q": "keyset", "page_size": 3, **({"cursor": cursor} if cursor else {})}
            body = client.get("/api/v1/cases", params=params, headers=cw).json()
            pages.append(body)
            seen += [i["id"] for i in body["items"]]
            cursor = body["next_cursor"]
            if not cursor:
                break
        assert len(seen) == len(set(seen)) == 7 and set(seen) == opened
        assert pages[0]["total"] == 7 and all(p["total"] is None for p in pages[1:])

    def test_filters_by_state_and_flag_and_sorts_by_activity(self, client, cw):
        pid = register(client, cw, given_name="Flagged")
        first = open_case(client, cw, pid).json()
        second = open_case(client, cw, pid).json()
        patch = client.patch(f"/api/v1/cases/{first['id']}", json={"version": first["version"], "flags": ["urgent"]},
                             headers=cw)
        assert patch.status_code == 200, patch.text
        flagged = client.get("/api/v1/cases", params={"flag": "urgent", "q": "flagged"}, headers=cw).json()["items"]
        assert [c["id"] for c in flagged] == [first["id"]]
        recent = client.get("/api/v1/cases", params={"q": "flagged", "sort": "-last_activity_at"}, headers=cw).json()
        assert [c["id"] for c in recent["items"]] == [first["id"], second["id"]]
        assert client.get("/api/v1/cases", params={"state": "intake", "q": "flagged"}, headers=cw).json()["total"] == 2

    def test_a_forged_cursor_is_422(self, client, cw):
        response = client.get("/api/v1/cases", params={"cursor": "bm90LWEtY3Vyc29y"}, headers=cw)
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "cursor"

    def test_unknown_sort_is_422(self, client, cw):
        response = client.get("/api/v1/cases", params={"sort": "name"}, headers=cw)
        assert response.status_code == 422 and response.json()["detail"][0]["field"] == "sort"
