"""Fixtures shared by the duplicate tests."""

from __future__ import annotations

import pytest

from crossroads.dedup.service import activate_model
from tests.factories import dedup as df


@pytest.fixture(autouse=True)
def model(db):
    """The hand-set test model, recorded in match_models and active, as a trained model would be."""
    m = df.match_model()
    activate_model(db, actor=None, model=m)
    return m


@pytest.fixture
def cw(db, world):
    return world.principal(db, "caseworker_a")


@pytest.fixture
def sup(db, world):
    return world.principal(db, "supervisor_a")
