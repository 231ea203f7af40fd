"""Registering people and household members through the API."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from crossroads.audit.models import AuditEvent
from crossroads.people.models import IdentityDocument, Person, PersonNameToken
from tests.factories.people import person_payload


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
