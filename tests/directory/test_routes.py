"""The directory's JSON API: search parameters checked and named, one service, the administrator's edits."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crossroads.audit.models import AuditEvent
from crossroads.directory.models import DirectoryOrganization
from tests.factories import directory as df

API = "/api/v1"


@pytest.fixture
def directory(db):
    return df.directory(db)


class TestSearchServices:
    def test_nearest_first_with_distances(self, client, cw, directory):
        response = client.get(f"{API}/services", params={"need": "legal_aid", "near": "36.8065,10.1815"},
                              headers=cw)
        assert response.status_code == 200, response.text
        body = response.json()
        assert [i["id"] for i in body["items"]] == ["svc-legal-tunis", "svc-legal-sfax"]
        assert body["items"][0]["distance_km"] == 0 and body["items"][1]["distance_km"] > 200
        assert body["next_page"] is None

    def test_next_page(self, client, cw, directory):
        body = client.get(f"{API}/services", params={"per_page": 1}, headers=cw).json()
        assert body["next_page"] == 2 and len(body["items"]) == 1

    @pytest.mark.parametrize(("params", "field"), [
        ({"near": "36.8"}, "near"),
        ({"near": "100,101"}, "near"),
        ({"near": "36.8,200"}, "near"),
        ({"near": "north,east"}, "near"),
        ({"near": "nan,10"}, "near"),
        ({"language": "xx"}, "language"),
        ({"language": "ara"}, "language"),
        ({"need": "astrology"}, "need"),
        ({"per_page": 0}, "per_page"),
        ({"page": "first"}, "page"),
        ({"open_now": "perhaps"}, "open_now"),
    ])
    def test_bad_input_is_a_422_naming_the_field(self, client, cw, directory, params, field):
        response = client.get(f"{API}/services", params=params, headers=cw)
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["field"] == field

    def test_language_is_matched_case_insensitively(self, client, cw, directory):
        body = client.get(f"{API}/services", params={"language": "HA"}, headers=cw).json()
        assert [i["id"] for i in body["items"]] == ["svc-health-agadez"]


class TestGetService:
    def test_one_service(self, client, cw, directory):
        response = client.get(f"{API}/services/svc-legal-tunis", headers=cw)
        assert response.status_code == 200
        assert response.json()["languages"] == ["ar", "fr"]

    def test_unknown_service_is_404(self, client, cw, directory):
        assert client.get(f"{API}/services/nothing", headers=cw).status_code == 404


class TestEdits:
    def test_admin_sets_the_acknowledgement_time_audited(self, client, headers, db, directory):
        response = client.patch(f"{API}/services/svc-legal-tunis", json={"acknowledgement_hours": 24},
                                headers=headers("admin"))
        assert response.status_code == 200, response.text
        assert response.json()["acknowledgement_hours"] == 24
        event = db.scalars(select(AuditEvent).where(AuditEvent.action == "directory.service_update")).one()
        assert event.entity_id == "svc-legal-tunis" and event.details["acknowledgement_hours"] == [72, 24]

    @pytest.mark.parametrize("hours", [0, 8761, "soon"])
    def test_acknowledgement_time_is_bounded(self, client, headers, directory, hours):
        response = client.patch(f"{API}/services/svc-legal-tunis", json={"acknowledgement_hours": hours},
                                headers=headers("admin"))
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "acknowledgement_hours"

    def test_admin_links_a_partner(self, client, headers, db, world, directory):
        response = client.patch(f"{API}/directory/organizations/org-agadez-clinic",
                                json={"partner_organisation_id": str(world.partner_org.id)}, headers=headers("admin"))
        assert response.status_code == 200, response.text
        db.expire_all()
        assert db.get(DirectoryOrganization, "org-agadez-clinic").partner_organisation_id == world.partner_org.id
        detail = client.get(f"{API}/services/svc-health-agadez", headers=headers("admin")).json()
        assert detail["organization"]["partner_organisation_id"] == str(world.partner_org.id)

    def test_an_unknown_partner_is_refused_naming_the_field(self, client, headers, directory):
        response = client.patch(f"{API}/directory/organizations/org-agadez-clinic",
                                json={"partner_organisation_id": "00000000-0000-4000-8000-000000000000"},
                                headers=headers("admin"))
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "partner_organisation_id"
