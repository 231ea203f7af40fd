"""The case pages through a test client: scoping by office and role."""

from __future__ import annotations

from tests.factories import people as pf
from tests.helpers import login


class TestCasePages:
    def test_other_office_gets_404_page(self, client, world, db):
        principal = world.principal(db, "caseworker_a")
        case = pf.case(db, principal, pf.person(db, principal))
        db.commit()
        login(client, world.users["caseworker_b"].email)
        assert client.get(f"/cases/{case.id}").status_code == 404

    def test_partner_cannot_open_the_case_list(self, client, world):
        login(client, world.users["partner"].email)
        assert client.get("/cases").status_code == 403
