from __future__ import annotations

import pytest

from crossroads.auth.roles import Role
from crossroads.dedup.models import MatchCandidate
from tests.factories import auth as af
from tests.factories import dedup as df
from tests.factories.work import statements
from tests.helpers import token_headers

CHECK = "/api/v1/people/check-duplicates"


@pytest.fixture
def sup_b(db, world):
    return af.user(db, world.agency, Role.SUPERVISOR, [world.office_b])


@pytest.fixture
def twins(db, cw):
    a, b = df.person(db, cw, df.ORIGINAL), df.person(db, cw, df.VARIANT)
    db.commit()
    return a, b, df.pair(db, a, b)


class TestCheckDuplicates:
    def test_answers_candidates_with_score_and_reasons(self, client, db, cw, headers):
        original = df.person(db, cw, df.ORIGINAL)
        response = client.post(CHECK, headers=headers("caseworker_a"), json=df.payload(df.VARIANT))
        assert response.status_code == 200, response.text
        body = response.json()
        [candidate] = body["candidates"]
        assert candidate["visible"] and candidate["person_id"] == str(original.id)
        assert candidate["given_name"] == "Mohammed" and candidate["probability"] >= 0.5
        assert {
            k: v for k, v in next(r for r in candidate["reasons"] if r["field"] == "date_of_birth").items()
            if k != "weight"} == {"field": "date_of_birth", "level": "day and month swapped", "agreed": True}
        assert body["hidden"] == 0 and body["model_version"] == "test-model-1"

    def test_other_office_match_is_a_message_without_data(self, client, db, world, headers):
        df.person(db, world.principal(db, "caseworker_b"), df.ORIGINAL)
        body = client.post(CHECK, headers=headers("caseworker_a"), json=df.payload(df.VARIANT)).json()
        assert body["hidden"] == 1
        assert body["candidates"] == [{
            "visible": False, "message": "a possible match exists in another office — ask your supervisor",
            "person_id": None, "probability": None, "match_weight": None, "given_name": None, "family_name": None,
            "date_of_birth": None, "sex": None, "nationality": None, "office_id": None, "reasons": []}]

    def test_nothing_is_registered(self, client, db, headers):
        from crossroads.people.models import Person

        before = df.count(db, Person)
        client.post(CHECK, headers=headers("caseworker_a"), json=df.payload(df.VARIANT))
        assert df.count(db, Person) == before

    @pytest.mark.parametrize(("override", "field"), [
        ({"given_name": ""}, "given_name"), ({"date_of_birth": "07/03/1988"}, "date_of_birth"),
        ({"nationality": "XYZ"}, "nationality"), ({"sex": "x"}, "sex"), ({"surprise": 1}, "surprise")])
    def test_bad_input_is_422_naming_the_field(self, client, headers, override, field):
        response = client.post(CHECK, headers=headers("caseworker_a"), json=df.payload(df.VARIANT, **override))
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == field

    def test_data_officer_is_refused(self, client, headers):
        assert client.post(CHECK, headers=headers("data_officer"), json=df.payload(df.VARIANT)).status_code == 403

    def test_statements_do_not_grow_with_the_candidates(self, client, db, engine, cw, headers):
        auth = headers("caseworker_a")

        def measure() -> tuple[list[str], int]:
            db.commit()
            db.expunge_all()
            with statements(engine) as seen:
                response = client.post(CHECK, headers=auth, json=df.payload(df.VARIANT))
            assert response.status_code == 200
            return seen, len(response.json()["candidates"])

        df.person(db, cw, df.ORIGINAL)
        measure()  # the first check of a process also reads the active model's parameters once
        seen_few, shown_few = measure()
        for i in range(8):
            df.person(db, cw, df.ORIGINAL, aliases=[f"Abu Amal {i}"],
                      documents=[{"document_type": "passport", "number": f"P{i:07d}"}])
        seen_many, shown_many = measure()
        assert (shown_few, shown_many) == (1, 9)
        assert len(seen_many) == len(seen_few)


class TestListCandidates:
    def test_supervisor_sees_both_sides_of_a_pair_in_their_office(self, client, headers, twins):
        a, b, pair = twins
        body = client.get("/api/v1/dedup/candidates", headers=headers("supervisor_a")).json()
        [item] = body["items"]
        assert item["id"] == pair.id and item["status"] == "open" and item["source"] == "online"
        assert {item["person_a"]["id"], item["person_b"]["id"]} == {str(a.id), str(b.id)}
        assert item["reasons"] and body["next_cursor"] is None

    def test_cross_office_pair_shows_only_the_side_the_supervisor_may_see(self, client, db, world, cw, headers):
        mine = df.person(db, cw, df.ORIGINAL)
        theirs = df.person(db, world.principal(db, "caseworker_b"), df.VARIANT)
        df.pair(db, mine, theirs)
        [item] = client.get("/api/v1/dedup/candidates", headers=headers("supervisor_a")).json()["items"]
        sides = [item["person_a"], item["person_b"]]
        assert [s["id"] for s in sides if s] == [str(mine.id)] and None in sides

    def test_supervisor_of_another_office_sees_nothing(self, client, sup_b, twins):
        body = client.get("/api/v1/dedup/candidates", headers=token_headers(client, sup_b.email)).json()
        assert body["items"] == []

    def test_caseworker_is_refused(self, client, headers, twins):
        assert client.get("/api/v1/dedup/candidates", headers=headers("caseworker_a")).status_code == 403

    def test_pages_follow_the_cursor(self, client, db, cw, headers):
        people = [df.person(db, cw, df.ORIGINAL, given_name=n) for n in ("Mohamed", "Muhammad", "Mohamad")]
        for other in people[1:]:
            df.pair(db, people[0], other)
        df.pair(db, people[1], people[2])
        first = client.get("/api/v1/dedup/candidates", headers=headers("supervisor_a"), params={"limit": 2}).json()
        second = client.get("/api/v1/dedup/candidates", headers=headers("supervisor_a"),
                            params={"limit": 2, "cursor": first["next_cursor"]}).json()
        ids = [i["id"] for i in first["items"] + second["items"]]
        assert len(ids) == len(set(ids)) == 3

    @pytest.mark.parametrize(("params", "field"), [({"limit": 0}, "limit"), ({"status": "maybe"}, "status"),
                                                   ({"cursor": "nonsense"}, "cursor")])
    def test_bad_parameters_are_422(self, client, headers, params, field):
        response = client.get("/api/v1/dedup/candidates", headers=headers("supervisor_a"), params=params)
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == field

    def test_the_read_is_audited_by_counts(self, client, db, headers, twins):
        client.get("/api/v1/dedup/candidates", headers=headers("supervisor_a"))
        [event] = df.events(db, "dedup.queue_read")
        assert event.details == {"status": "open", "pairs": 1, "people_shown": 2}


class TestDecideCandidate:
    def test_confirm_records_who_and_when(self, client, db, world, headers, twins):
        _, _, pair = twins
        response = client.post(f"/api/v1/dedup/candidates/{pair.id}/confirm", headers=headers("supervisor_a"),
                               json={"comment": "same passport photo"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "confirmed" and body["decided_by"] == str(world.users["supervisor_a"].id)
        [event] = df.events(db, "dedup.confirm")
        assert event.entity_id == str(pair.id) and event.details["comment"] is True
        assert "passport photo" not in str(event.details)

    def test_reject_without_a_body(self, client, headers, twins):
        _, _, pair = twins
        response = client.post(f"/api/v1/dedup/candidates/{pair.id}/reject", headers=headers("supervisor_a"))
        assert response.json()["status"] == "rejected"

    def test_deciding_twice_is_409(self, client, db, headers, twins):
        _, _, pair = twins
        client.post(f"/api/v1/dedup/candidates/{pair.id}/reject", headers=headers("supervisor_a"))
        response = client.post(f"/api/v1/dedup/candidates/{pair.id}/confirm", headers=headers("supervisor_a"))
        assert response.status_code == 409
        assert db.get(MatchCandidate, pair.id).status == "rejected"

    def test_unknown_pair_is_404(self, client, headers):
        assert client.post("/api/v1/dedup/candidates/999999/reject", headers=headers("supervisor_a")).status_code == 404

    def test_supervisor_of_another_office_gets_404(self, client, sup_b, twins):
        _, _, pair = twins
        other = token_headers(client, sup_b.email)
        response = client.post(f"/api/v1/dedup/candidates/{pair.id}/confirm", headers=other)
        assert response.status_code == 404

    def test_overlong_comment_is_422(self, client, headers, twins):
        _, _, pair = twins
        response = client.post(f"/api/v1/dedup/candidates/{pair.id}/confirm", headers=headers("supervisor_a"),
                               json={"comment": "x" * 2001})
        assert response.status_code == 422 and response.json()["detail"][0]["field"] == "comment"


class TestMergeRoutes:
    def test_merge_then_unmerge(self, client, db, headers, twins):
        a, b, pair = twins
        response = client.post("/api/v1/dedup/merges", headers=headers("supervisor_a"),
                               json={"survivor_id": str(a.id), "merged_id": str(b.id), "candidate_id": pair.id})
        assert response.status_code == 201, response.text
        merge = response.json()
        assert merge["moved"] == {"cases": 0, "names": 0, "documents": 0, "names_added": 1, "phone_copied": False,
                                  "household_moved": False, "consents": 0, "referrals": 0}
        merged = client.get(f"/api/v1/people/{b.id}", headers=headers("caseworker_a")).json()
        assert merged["merged_into_id"] == str(a.id)
        undone = client.post(f"/api/v1/dedup/merges/{merge['id']}/unmerge", headers=headers("supervisor_a"))
        assert undone.status_code == 200 and undone.json()["unmerged_at"] is not None
        again = client.post(f"/api/v1/dedup/merges/{merge['id']}/unmerge", headers=headers("supervisor_a"))
        assert again.status_code == 409

    @pytest.mark.parametrize(("body", "field"), [({"merged_id": "not-a-uuid"}, "merged_id"),
                                                 ({"survivor_id": None}, "survivor_id"),
                                                 ({"candidate_id": "x"}, "candidate_id")])
    def test_bad_body_is_422_and_nothing_moves(self, client, db, headers, twins, body, field):
        a, b, _ = twins
        payload = {"survivor_id": str(a.id), "merged_id": str(b.id), **body}
        response = client.post("/api/v1/dedup/merges", headers=headers("supervisor_a"), json=payload)
        assert response.status_code == 422 and response.json()["detail"][0]["field"] == field
        assert df.events(db, "person.merge") == []

    def test_merging_a_person_into_themselves_is_422(self, client, headers, twins):
        a, _, _ = twins
        response = client.post("/api/v1/dedup/merges", headers=headers("supervisor_a"),
                               json={"survivor_id": str(a.id), "merged_id": str(a.id)})
        assert response.status_code == 422 and response.json()["detail"][0]["field"] == "merged_id"

    def test_caseworker_is_refused(self, client, headers, twins):
        a, b, _ = twins
        response = client.post("/api/v1/dedup/merges", headers=headers("caseworker_a"),
                               json={"survivor_id": str(a.id), "merged_id": str(b.id)})
        assert response.status_code == 403

    def test_unknown_merge_is_404(self, client, headers):
        assert client.post("/api/v1/dedup/merges/424242/unmerge", headers=headers("supervisor_a")).status_code == 404
