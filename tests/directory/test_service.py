"""Searching the directory: by need, nearest first, by language, open now; one service's details."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crossroads.auth.roles import Role
from crossroads.directory import service
from crossroads.directory.service import SearchQuery
from crossroads.directory.taxonomy import NEEDS
from crossroads.kit.errors import Forbidden, Invalid, NotFound
from tests.factories import directory as df

# A Monday at 10:00 UTC (11:00 in Tunis), and a Saturday at 08:30 UTC (09:30 in Sfax).
MONDAY_MORNING = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
SATURDAY_MORNING = datetime(2026, 12, 12, 8, 30, tzinfo=UTC)


@pytest.fixture
def caseworker(db, world):
    df.directory(db)
    return world.principal(db, "caseworker_a")


def search(db, principal, now=MONDAY_MORNING, **query):
    items, more = service.search_services(db, principal=principal, query=SearchQuery(**query), now=now)
    return [i["id"] for i in items], items, more


class TestSearchServices:
    def test_by_need_nearest_first_with_the_distance(self, db, caseworker):
        ids, items, _ = search(db, caseworker, need="legal_aid", near=df.TUNIS)
        # Sfax's service is filed under an imported term below legal aid.
        assert ids == ["svc-legal-tunis", "svc-legal-sfax"]
        assert items[0]["distance_km"] == 0
        assert 230 < items[1]["distance_km"] < 240
        assert items[1]["location"]["id"] == "loc-sfax"

    def test_by_an_imported_term_code(self, db, caseworker):
        assert search(db, caseworker, need="asylum")[0] == ["svc-legal-sfax"]

    def test_nearest_first_from_far_away(self, db, caseworker):
        ids, items, _ = search(db, caseworker, near=df.AGADEZ)
        assert ids == ["svc-health-agadez", "svc-legal-sfax", "svc-legal-tunis"]
        assert [i["distance_km"] for i in items] == sorted(i["distance_km"] for i in items)

    def test_inactive_services_are_not_found(self, db, caseworker):
        assert "svc-shelter-tunis" not in search(db, caseworker)[0]
        assert search(db, caseworker, need="shelter", near=df.TUNIS)[0] == []

    def test_by_language_of_the_service_given_in_iso_639_3(self, db, caseworker):
        assert search(db, caseworker, language="fr", near=df.TUNIS)[0] == ["svc-legal-tunis", "svc-health-agadez"]
        assert search(db, caseworker, language="ha")[0] == ["svc-health-agadez"]

    def test_open_now_by_local_weekly_hours(self, db, caseworker):
        assert search(db, caseworker, open_now=True, near=df.TUNIS)[0] == ["svc-legal-tunis", "svc-health-agadez"]
        assert search(db, caseworker, open_now=True, near=df.TUNIS, now=SATURDAY_MORNING)[0] == \
            ["svc-legal-sfax", "svc-health-agadez"]
        assert search(db, caseworker, open_now=True, now=SATURDAY_MORNING)[0] == \
            ["svc-health-agadez", "svc-legal-sfax"]

    def test_filters_combine(self, db, caseworker):
        assert search(db, caseworker, need="legal_aid", language="ar", open_now=True, near=df.SFAX,
                      now=SATURDAY_MORNING)[0] == ["svc-legal-sfax"]

    def test_without_a_point_services_are_listed_by_name_at_their_first_location(self, db, caseworker):
        ids, items, _ = search(db, caseworker)
        assert ids == ["svc-health-agadez", "svc-legal-sfax", "svc-legal-tunis"]
        assert items[0]["distance_km"] is None and items[0]["location"]["id"] == "loc-agadez"
        assert items[2]["categories"] == ["legal_aid"] and items[2]["languages"] == ["ar", "fr"]
        assert items[2]["location"]["address"] == "12 Rue de Marseille, Tunis, TN"

    @pytest.mark.parametrize("near", [None, df.TUNIS])
    def test_pages(self, db, caseworker, near):
        everything = search(db, caseworker, near=near)[0]
        pages = [search(db, caseworker, near=near, page=p, per_page=2) for p in (1, 2)]
        assert pages[0][0] + pages[1][0] == everything
        assert [p[2] for p in pages] == [True, False]

    def test_an_unknown_need_names_the_field(self, db, caseworker):
        with pytest.raises(Invalid) as refused:
            search(db, caseworker, need="astrology")
        assert refused.value.field == "need"

    @pytest.mark.parametrize("role", [Role.DATA_OFFICER, Role.DPO])
    def test_roles_without_the_directory_are_refused(self, db, world, role):
        principal = world.principal(db, {Role.DATA_OFFICER: "data_officer", Role.DPO: "dpo"}[role])
        with pytest.raises(Forbidden):
            search(db, principal)


class TestGetService:
    def test_everything_to_refer_someone(self, db, caseworker):
        s = service.get_service(db, principal=caseworker, service_id="svc-legal-tunis")
        assert s["organization"]["name"] == "Tunis Legal Aid"
        assert [loc["id"] for loc in s["locations"]] == ["loc-tunis"]
        assert s["phones"][0]["number"] == "+216 71 000 001"
        assert s["schedules"][0]["byday"] == "MO,TU,WE,TH,FR"
        assert s["service_areas"] == ["Grand Tunis"]
        assert s["acknowledgement_hours"] == 72
        assert s["eligibility_description"] == "Migrants of any status."

    def test_unknown_service(self, db, caseworker):
        with pytest.raises(NotFound):
            service.get_service(db, principal=caseworker, service_id="svc-none")


class TestEdits:
    def test_admin_sets_the_acknowledgement_time(self, db, world):
        df.directory(db)
        admin = world.principal(db, "admin")
        assert service.update_service(db, principal=admin, service_id="svc-legal-tunis",
                                      acknowledgement_hours=24).acknowledgement_hours == 24

    def test_admin_links_an_organization_to_a_partner(self, db, world):
        df.directory(db)
        admin = world.principal(db, "admin")
        org = service.link_partner(db, principal=admin, organization_id="org-agadez-clinic",
                                   partner_organisation_id=world.partner_org.id)
        assert org.partner_organisation_id == world.partner_org.id

    def test_caseworker_may_not_edit(self, db, world, caseworker):
        with pytest.raises(Forbidden):
            service.update_service(db, principal=caseworker, service_id="svc-legal-tunis", acknowledgement_hours=1)


class TestNeeds:
    def test_shipped_categories_then_imported_terms(self, db, caseworker):
        needs = service.needs(db, principal=caseworker)
        assert [n["code"] for n in needs[:9]] == [n.code for n in NEEDS]
        assert needs[9:] == [{"code": "asylum", "name": "Asylum counselling", "shipped": False}]
