"""Work waiting for the users of the world: a pending approval, a transfer, a duplicate pair, releases."""

from __future__ import annotations

import pytest

from crossroads.cases.workflow import transfers, transitions
from tests.factories import cases as cf
from tests.factories import dedup as dd
from tests.factories import work


@pytest.fixture
def staff(db, world):
    return cf.add_workflow_staff(db, world)


def asked_approval(db, staff, key: str = "caseworker_a", **person):
    """An AVRR case of office A waiting for a supervisor to approve its move to travel_approved."""
    asker = staff.principal(db, key)
    case = cf.case_in_state(db, asker, "avrr", "travel_documents",
                            {"country_of_return": "IRQ", "eligibility_decision": "eligible",
                             "travel_document_type": "passport"}, **person)
    case.assigned_to = asker.user_id
    outcome = transitions.transition_case(db, principal=asker, case_id=case.id, to_state="travel_approved")
    db.commit()
    return case, outcome.approval


def transfer_to_a(db, staff):
    """A case of office B on its way to office A."""
    sender = staff.principal(db, "supervisor_b")
    case = work.case(db, sender)
    transfers.request_transfer(db, principal=sender, case_id=case.id, to_office_id=staff.office_a.id)
    db.commit()
    return case


def duplicate_pair_in_a(db, staff):
    cw = staff.principal(db, "caseworker_a")
    pair = dd.pair(db, dd.person(db, cw, dd.ORIGINAL), dd.person(db, cw, dd.ORIGINAL, given_name="Mohamed"))
    db.commit()
    return pair
