"""The directory pages: the search form with its results, errors named on the page, one service's page."""

from __future__ import annotations

import pytest

from tests.factories import directory as df
from tests.helpers import login


@pytest.fixture
def directory(db):
    return df.directory(db)


class TestSearchPage:
    def test_results_nearest_first(self, client, world, directory):
        login(client, world.users["caseworker_a"].email)
        page = client.get("/directory", params={"need": "legal_aid", "near": "36.8065,10.1815"})
        assert page.status_code == 200
        assert page.text.index("Legal advice in Tunis") < page.text.index("Asylum counselling in Sfax")
        assert "235.6 km away" in page.text
        assert 'option value="asylum"' in page.text

    def test_a_bad_point_is_named_on_the_page(self, client, world, directory):
        login(client, world.users["caseworker_a"].email)
        page = client.get("/directory", params={"near": "100,101"})
        assert page.status_code == 422
        assert "the latitude must be between -90 and 90" in page.text

    def test_the_form_and_labels_are_translated(self, client, world, directory):
        login(client, world.users["partner"].email)
        page = client.get("/directory", params={"lang": "fr", "need": "health"})
        assert page.status_code == 200
        assert "Trouver un service" in page.text and "Agadez migrant clinic" in page.text

    def test_roles_without_the_directory_are_refused(self, client, world, directory):
        login(client, world.users["data_officer"].email)
        assert client.get("/directory").status_code == 403


class TestServicePage:
    def test_details(self, client, world, directory):
        login(client, world.users["caseworker_a"].email)
        page = client.get("/directory/services/svc-legal-tunis")
        assert page.status_code == 200
        assert "+216 71 000 001" in page.text and "72 hours" in page.text
