"""The consent section of the person page: listed, recorded and revoked through forms."""

from __future__ import annotations

from datetime import date, timedelta

from tests.factories.people import person_payload
from tests.helpers import csrf, login


def _person(client, cw) -> str:
    return client.post("/api/v1/people", json=person_payload(), headers=cw).json()["id"]


class TestConsentSection:
    def test_record_and_revoke_from_the_person_page(self, client, cw, world):
        pid = _person(client, cw)
        login(client, world.users["caseworker_a"].email)
        page = client.get(f"/people/{pid}")
        assert 'id="consents"' in page.text and "No consent recorded." in page.text
        expires = (date.today() + timedelta(days=90)).isoformat()
        response = client.post(f"/people/{pid}/consents", data={
            "csrf_token": csrf(page.text), "recipient_organisation_id": str(world.partner_org.id),
            "purpose": "legal_assistance", "categories": ["identity", "legal_status"], "method": "verbal",
            "expires_on": expires})
        assert response.status_code == 200
        assert "In force" in response.text and "Legal status" in response.text and expires in response.text
        cid = response.text.split('data-consent="')[1].split('"')[0]
        revoked = client.post(f"/consents/{cid}/revoke", data={"csrf_token": csrf(response.text), "reason": "Asked"})
        assert "Revoked on" in revoked.text

    def test_bad_form_is_shown_again_naming_the_field(self, client, cw, world):
        pid = _person(client, cw)
        login(client, world.users["caseworker_a"].email)
        page = client.get(f"/people/{pid}")
        response = client.post(f"/people/{pid}/consents", data={
            "csrf_token": csrf(page.text), "recipient_organisation_id": str(world.partner_org.id),
            "purpose": "legal_assistance", "categories": ["identity"], "method": "guardian",
            "expires_on": (date.today() + timedelta(days=90)).isoformat()})
        assert response.status_code == 422
        assert "required when consent is given by a guardian" in response.text

    def test_arabic_page_translates_the_section(self, client, cw, world):
        pid = _person(client, cw)
        login(client, world.users["caseworker_a"].email)
        page = client.get(f"/people/{pid}?lang=ar")
        assert "Consent to share data" not in page.text
