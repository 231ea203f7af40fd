"""Fixtures shared by the workflow tests."""

from __future__ import annotations

import pytest

from tests.factories import cases as cf
from tests.factories import work
from tests.helpers import token_headers


@pytest.fixture
def staff(db, world):
    """The world plus a second supervisor and caseworker of office A and a supervisor of office B."""
    return cf.add_workflow_staff(db, world)


@pytest.fixture
def headers(client, staff):
    """API headers by user key, logged in on first use."""
    cache: dict[str, dict[str, str]] = {}

    def get(key: str) -> dict[str, str]:
        if key not in cache:
            cache[key] = token_headers(client, staff.users[key].email)
        return cache[key]

    return get


@pytest.fixture
def cw_a(db, world):
    """The policy's view of office A's caseworker, for calling services directly."""
    return world.principal(db, "caseworker_a")


@pytest.fixture
def a_case(db, cw_a):
    """A case in office A, opened by its caseworker."""
    return work.case(db, cw_a)
