"""The registration form through a test client."""

from __future__ import annotations

from tests.helpers import csrf, login


class TestRegisterForm:
    def test_registers_and_shows_the_person(self, client, world):
        login(client, world.users["caseworker_a"].email)
        page = client.get("/people/new")
        response = client.post("/people/new", data={
            "csrf_token": csrf(page.text), "given_name": "ተስፋይ", "family_name": "ገብረ", "aliases": "Tesfay Gebre\n",
            "sex": "male", "estimated_age": "24", "nationality": "ERI", "languages": "ti, ar",
            "document_type_0": "refugee_id", "document_number_0": "ETH-123", "document_country_0": "ETH",
        })
        assert response.status_code == 200
        assert "ተስፋይ" in response.text and "Tesfay Gebre" in response.text and "ETH-123" in response.text

    def test_form_without_csrf_is_refused(self, client, world):
        login(client, world.users["caseworker_a"].email)
        response = client.post("/people/new", data={"given_name": "A"})
        assert response.status_code == 403

    def test_invalid_form_keeps_values_and_names_the_field(self, client, world):
        login(client, world.users["caseworker_a"].email)
        page = client.get("/people/new")
        response = client.post("/people/new", data={
            "csrf_token": csrf(page.text), "given_name": "Amina", "family_name": "Yusuf", "sex": "female",
            "date_of_birth": "2999-01-01", "nationality": "SOM"})
        assert response.status_code == 422
        assert 'id="date_of_birth-error"' in response.text and 'value="Amina"' in response.text
