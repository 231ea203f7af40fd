"""Registering people and household members through the API."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from crossroads.audit.models import AuditEvent
from crossroads.auth.roles import Role
from crossroads.cases.workflow import transfers
from crossroads.dedup.models import PersonMatchKey
from crossroads.people.models import IdentityDocument, Person, PersonChange, PersonNameToken
from tests.factories import auth as af
from tests.factories import people as pf
from tests.factories.people import person_payload
from tests.helpers import token_headers


class TestRegisterPerson:
    def test_registers_names_in_any_script_with_aliases_and_documents(self, client, cw, db):
        body = person_payload(
            given_name="محمد", family_name="حسين", sex="male", nationality="SYR", languages=["ar", "ku"],
            phone="+963 944 123 456",
            aliases=["Mohammed Hussein", {"name": "Muhammad Husayn", "kind": "transliteration"}],
            documents=[{"document_type": "passport", "number": "n 012-3456", "issuing_country": "SYR"}],
        )
        response = client.post("/api/v1/people", json=body, headers=cw)
        assert response.status_code == 201, response.text
        data = response.json()
        assert data["given_name"] == "محمد"
        assert data["phone"] == "+963944123456"
        assert [a["name"] for a in data["aliases"]] == ["Mohammed Hussein", "Muhammad Husayn"]
        doc = db.scalar(select(IdentityDocument).where(IdentityDocument.person_id == uuid.UUID(data["id"])))
        assert doc.number_normalised == "N0123456"

    def test_words_alike_in_their_first_64_letters_index_as_one_search_token(self, client, cw, db):
        # Search tokens keep a word's first 64 letters; two longer words that agree that far are one token.
        prefix = "a" * 64
        body = person_payload(given_name=prefix + "b", family_name=prefix + "c")
        response = client.post("/api/v1/people", json=body, headers=cw)
        assert response.status_code == 201, response.text
        person_id = uuid.UUID(response.json()["id"])
        assert db.scalars(select(PersonNameToken.token).where(PersonNameToken.person_id == person_id)).all() == [
            prefix]

    def test_estimated_age_records_an_estimated_birth_date(self, client, cw):
        body = person_payload(date_of_birth=None, estimated_age=30)
        data = client.post("/api/v1/people", json=body, headers=cw).json()
        assert data["date_of_birth_estimated"] is True
        assert data["date_of_birth"].endswith("-07-01")

    def test_stateless_icao_code_is_accepted(self, client, cw):
        response = client.post("/api/v1/people", json=person_payload(nationality="XXA"), headers=cw)
        assert response.status_code == 201

    @pytest.mark.parametrize(
        ("override", "field"),
        [
            ({"date_of_birth": "1990-02-30"}, "date_of_birth"),
            ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
            ({"nationality": "ZZZ"}, "nationality"),
            ({"nationality": "SY"}, "nationality"),
            ({"given_name": "x" * 201}, "given_name"),
            ({"given_name": "   "}, "given_name"),
            ({"sex": "robot"}, "sex"),
            ({"languages": ["xx-not"]}, "languages.0"),
            ({"phone": "12"}, "phone"),
            ({"documents": [{"document_type": "passport", "number": ""}]}, "documents.0.number"),
            ({"unexpected": 1}, "unexpected"),
        ],
    )
    def test_bad_input_is_422_naming_the_field_without_echoing_it(self, client, cw, db, override, field):
        before = db.scalar(select(func.count()).select_from(Person))
        response = client.post("/api/v1/people", json=person_payload(**override), headers=cw)
        assert response.status_code == 422, response.text
        fields = [d["field"] for d in response.json()["detail"]]
        assert field in fields
        assert "Muñoz" not in response.text
        assert db.scalar(select(func.count()).select_from(Person)) == before

    def test_missing_required_fields_are_each_named(self, client, cw):
        response = client.post("/api/v1/people", json={"given_name": "A"}, headers=cw)
        assert response.status_code == 422
        assert {"family_name", "sex", "nationality"} <= {d["field"] for d in response.json()["detail"]}

    def test_malformed_json_is_422(self, client, cw):
        headers = {**cw, "Content-Type": "application/json"}
        response = client.post("/api/v1/people", content=b'{"given_name": "A",', headers=headers)
        assert response.status_code == 422
        assert response.json()["detail"][0]["message"] == "the request body is not valid JSON"

    def test_registration_and_its_audit_event_are_one_write(self, client, cw, db):
        response = client.post("/api/v1/people", json=person_payload(), headers=cw)
        event = db.scalar(select(AuditEvent).where(AuditEvent.action == "person.create",
                                                   AuditEvent.entity_id == response.json()["id"]))
        assert event is not None
        assert "Muñoz" not in str(event.details) and "1990" not in str(event.details)

    def test_caseworker_cannot_register_into_another_office(self, client, cw, world):
        response = client.post("/api/v1/people", json=person_payload(office_id=str(world.office_b.id)), headers=cw)
        assert response.status_code == 403
        assert response.json()["detail"][0]["field"] == "office_id"


class TestHousehold:
    def test_adds_new_and_existing_members(self, client, cw):
        head = client.post("/api/v1/people", json=person_payload(), headers=cw).json()["id"]
        spouse = client.post(f"/api/v1/people/{head}/household", headers=cw, json={
            "relationship": "spouse", "person": person_payload(given_name="María", sex="female")})
        assert spouse.status_code == 201, spouse.text
        child = client.post("/api/v1/people", json=person_payload(given_name="Ana", sex="female",
                                                                   date_of_birth="2015-01-01"), headers=cw).json()["id"]
        added = client.post(f"/api/v1/people/{head}/household", headers=cw,
                            json={"relationship": "child", "person_id": child})
        assert added.status_code == 201
        household = client.get(f"/api/v1/people/{head}/household", headers=cw).json()
        assert [m["household_relationship"] for m in household["members"]][0] == "head"
        assert {m["given_name"] for m in household["members"]} == {"José", "María", "Ana"}

    def test_needs_exactly_one_of_person_or_person_id(self, client, cw):
        head = client.post("/api/v1/people", json=person_payload(), headers=cw).json()["id"]
        response = client.post(f"/api/v1/people/{head}/household", headers=cw, json={"relationship": "child"})
        assert response.status_code == 422


def _register(client, headers, **overrides) -> dict:
    response = client.post("/api/v1/people", json=person_payload(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _person_seen_from_office_b(db, world) -> Person:
    """A person of office A whose case was transferred to office B: B's staff see them through the case."""
    cw_a, cw_b = world.principal(db, "caseworker_a"), world.principal(db, "caseworker_b")
    person = pf.person(db, cw_a, given_name="Amina", family_name="Osman", nationality="SOM", sex="female")
    case = pf.case(db, cw_a, person)
    transfer = transfers.request_transfer(db, principal=cw_a, case_id=case.id, to_office_id=world.office_b.id)
    transfers.decide_transfer(db, principal=cw_b, transfer_id=transfer.transfer.id, accept=True)
    db.flush()
    return person


class TestEditPerson:
    def test_changes_the_fields_sent_and_keeps_the_others(self, client, cw, db):
        person = _register(client, cw, phone="+216 20 123 456", languages=["es"],
                           documents=[{"document_type": "passport", "number": "VE123456", "issuing_country": "VEN"}])
        response = client.patch(f"/api/v1/people/{person['id']}", headers=cw, json={
            "version": person["version"], "family_name": "Muñoz Díaz", "phone": None, "aliases": ["Pepe Muñoz"],
            "documents": [{"document_type": "national_id", "number": "v-99 887", "issuing_country": "VEN"}]})
        assert response.status_code == 200, response.text
        data = response.json()
        assert data["version"] == person["version"] + 1
        assert (data["given_name"], data["family_name"], data["phone"]) == ("José", "Muñoz Díaz", None)
        assert data["languages"] == ["es"] and data["date_of_birth"] == "1990-04-12"
        assert [a["name"] for a in data["aliases"]] == ["Pepe Muñoz"]
        assert [(d["document_type"], d["number"]) for d in data["documents"]] == [("national_id", "v-99 887")]
        doc = db.scalar(select(IdentityDocument).where(IdentityDocument.person_id == uuid.UUID(person["id"])))
        assert doc.number_normalised == "V99887"

    def test_each_changed_field_is_kept_with_its_values_before_and_after(self, client, cw, db):
        person = _register(client, cw)
        client.patch(f"/api/v1/people/{person['id']}", headers=cw, json={
            "version": person["version"], "family_name": "Muñoz Díaz", "sex": "male", "date_of_birth": "1990-12-04"})
        changes = db.scalars(select(PersonChange).where(PersonChange.person_id == uuid.UUID(person["id"]))
                             .order_by(PersonChange.field)).all()
        # `sex` was sent unchanged: it is no change.
        assert [(c.field, c.before, c.after, c.version) for c in changes] == [
            ("date_of_birth", "1990-04-12", "1990-12-04", person["version"] + 1),
            ("family_name", "Muñoz", "Muñoz Díaz", person["version"] + 1)]

    def test_the_audit_event_names_the_fields_and_holds_no_value(self, client, cw, db):
        person = _register(client, cw)
        client.patch(f"/api/v1/people/{person['id']}", headers=cw, json={
            "version": person["version"], "family_name": "Quispe", "phone": "+216 20 123 456"})
        event = db.scalar(select(AuditEvent).where(AuditEvent.action == "person.update",
                                                   AuditEvent.entity_id == person["id"]))
        assert event.details == {"fields": ["family_name", "phone"], "version": person["version"] + 1}
        assert "Quispe" not in str(event.details) and "Muñoz" not in str(event.details)

    def test_the_name_search_and_the_matching_keys_follow_the_new_values(self, client, cw, db):
        from crossroads.dedup.engine.keys import blocking_keys
        from crossroads.dedup.index import person_record

        person = _register(client, cw)
        client.post("/api/v1/cases", headers=cw, json={"person_id": person["id"], "programme": "avrr"})
        client.patch(f"/api/v1/people/{person['id']}", headers=cw, json={
            "version": person["version"], "given_name": "Mohammed", "family_name": "Hussein",
            "nationality": "SDN", "date_of_birth": "1988-03-07"})
        found = client.get("/api/v1/cases", params={"q": "hussein"}, headers=cw).json()["items"]
        assert [c["person"]["id"] for c in found] == [person["id"]]
        assert client.get("/api/v1/cases", params={"q": "munoz"}, headers=cw).json()["items"] == []
        stored = set(db.scalars(select(PersonMatchKey.key).where(PersonMatchKey.person_id == uuid.UUID(person["id"]))))
        loaded = db.scalar(select(Person).where(Person.id == uuid.UUID(person["id"]))
                           .options(selectinload(Person.names), selectinload(Person.documents)))
        assert stored == blocking_keys(person_record(loaded))

    def test_the_duplicate_check_finds_the_corrected_person(self, client, cw):
        person = _register(client, cw, given_name="Lucía", family_name="Fernández", sex="female",
                           date_of_birth="2001-11-30", nationality="COL")
        variant = {"given_name": "Hussain", "family_name": "Muhammad", "sex": "male", "date_of_birth": "1988-07-03",
                   "nationality": "SDN"}
        check = "/api/v1/people/check-duplicates"
        assert client.post(check, json=variant, headers=cw).json()["candidates"] == []
        client.patch(f"/api/v1/people/{person['id']}", headers=cw, json={
            "version": person["version"], "given_name": "Mohammed", "family_name": "Hussein", "sex": "male",
            "date_of_birth": "1988-03-07", "nationality": "SDN"})
        [candidate] = client.post(check, json=variant, headers=cw).json()["candidates"]
        assert candidate["person_id"] == person["id"]

    def test_a_stale_version_is_409_naming_what_changed_and_writes_nothing(self, client, cw, db):
        person = _register(client, cw)
        first = client.patch(f"/api/v1/people/{person['id']}", headers=cw,
                             json={"version": person["version"], "phone": "+216 20 123 456"})
        assert first.status_code == 200
        stale = client.patch(f"/api/v1/people/{person['id']}", headers=cw,
                             json={"version": person["version"], "family_name": "Quispe"})
        assert stale.status_code == 409, stale.text
        body = stale.json()
        assert body["detail"][0]["field"] == "version" and body["detail"][0]["type"] == "conflict"
        assert "changed since version" in body["detail"][0]["message"]
        assert body["current_version"] == person["version"] + 1 and body["changed_fields"] == ["phone"]
        assert "+21620123456" not in stale.text
        now = client.get(f"/api/v1/people/{person['id']}", headers=cw).json()
        assert now["family_name"] == "Muñoz" and now["version"] == person["version"] + 1
        assert db.scalar(select(func.count()).select_from(PersonChange)
                         .where(PersonChange.field == "family_name")) == 0

    @pytest.mark.parametrize(("body", "field"), [
        ({"given_name": None}, "given_name"),
        ({"nationality": "ZZZ"}, "nationality"),
        ({"phone": "12"}, "phone"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"documents": [{"document_type": "passport", "number": ""}]}, "documents.0.number"),
        ({"aliases": None}, "aliases"),
        ({"family_name": "Quispe", "unexpected": 1}, "unexpected"),
        ({"family_name": "Quispe", "version": 0}, "version"),
    ])
    def test_bad_input_is_422_naming_the_field_and_writes_nothing(self, client, cw, db, body, field):
        person = _register(client, cw)
        response = client.patch(f"/api/v1/people/{person['id']}", headers=cw,
                                json={"version": person["version"], **body})
        assert response.status_code == 422, response.text
        assert field in [d["field"] for d in response.json()["detail"]]
        assert client.get(f"/api/v1/people/{person['id']}", headers=cw).json()["version"] == person["version"]

    def test_caseworker_of_another_office_who_sees_the_person_through_a_case_is_refused(self, client, db, world,
                                                                                        headers):
        person = _person_seen_from_office_b(db, world)
        assert client.get(f"/api/v1/people/{person.id}", headers=headers("caseworker_b")).status_code == 200
        response = client.patch(f"/api/v1/people/{person.id}", headers=headers("caseworker_b"),
                                json={"version": person.version, "family_name": "Ahmed"})
        assert response.status_code == 403
        assert response.json()["detail"][0]["field"] == "person_id"
        assert db.scalar(select(func.count()).select_from(PersonChange)) == 0

    def test_supervisor_who_sees_the_person_may_correct_them(self, client, db, world, headers):
        sup_b = af.user(db, world.agency, Role.SUPERVISOR, [world.office_b])
        person = _person_seen_from_office_b(db, world)
        response = client.patch(f"/api/v1/people/{person.id}", headers=token_headers(client, sup_b.email),
                                json={"version": person.version, "family_name": "Ahmed"})
        assert response.status_code == 200, response.text

    def test_a_merged_record_is_edited_through_its_survivor(self, client, db, world, cw):
        from crossroads.dedup.merges import merge_people

        survivor, merged = _register(client, cw), _register(client, cw, given_name="Jose")
        merge_people(db, principal=world.principal(db, "supervisor_a"), survivor_id=uuid.UUID(survivor["id"]),
                     merged_id=uuid.UUID(merged["id"]))
        version = db.get(Person, uuid.UUID(merged["id"])).version
        response = client.patch(f"/api/v1/people/{merged['id']}", headers=cw,
                                json={"version": version, "family_name": "Quispe"})
        assert response.status_code == 409
        assert response.json()["merged_into_id"] == survivor["id"]
