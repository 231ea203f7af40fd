"""Fixtures shared by the disclosure tests."""

from __future__ import annotations

import pytest

from crossroads.disclosure.engine import exchange
from tests.factories import releases as df


@pytest.fixture
def officer(db, world):
    return world.principal(db, "data_officer")


@pytest.fixture
def dpo(db, world):
    return world.principal(db, "dpo")


@pytest.fixture
def dataset(db, dpo):
    return df.dataset(db, dpo)


@pytest.fixture
def draft(db, officer, dataset):
    """A draft release, committed so that requests see it."""
    release = df.release(db, officer, dataset)
    db.commit()
    return release


@pytest.fixture
def agency_key():
    return exchange.generate_signing_key()


@pytest.fixture
def settings(settings, agency_key):
    settings.exchange_signing_key = exchange.signing_key_text(agency_key)
    return settings


