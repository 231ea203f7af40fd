"""The case pages through a test client: scoping by office and role."""

from __future__ import annotations

from sqlalchemy import func, select

from crossroads.audit.models import AuditEvent
from tests.factories import people as pf
from tests.helpers import csrf, login


class TestCasePages:
    def test_other_office_gets_404_page(self, client, world, db):
        principal = world.principal(db, "caseworker_a")
        case = pf.case(db, principal, pf.person(db, principal))
        db.commit()
        login(client, world.users["caseworker_b"].email)
        assert client.get(f"/cases/{case.id}").status_code == 404

    def test_refused_action_shows_the_case_again_and_audits_that_read_only(self, client, world, db):
        principal = world.principal(db, "caseworker_a")
        case = pf.case(db, principal, pf.person(db, principal))
        db.commit()
        login(client, world.users["caseworker_a"].email)
        page = client.get(f"/cases/{case.id}")

        def count(action: str) -> int:
            return db.scalar(select(func.count()).where(AuditEvent.action == action,
                                                        AuditEvent.entity_id == str(case.id)))

        reads = count("case.read")
        response = client.post(f"/cases/{case.id}/transitions",
                               data={"to_state": "no_such_state", "csrf_token": csrf(page.text)})
        assert response.status_code == 422
        assert count("case.read") == reads + 1 and count("case.transition") == 0

    def test_partner_cannot_open_the_case_list(self, client, world):
        login(client, world.users["partner"].email)
        assert client.get("/cases").status_code == 403

    def test_the_case_list_finds_another_spelling_of_the_name(self, client, world, db):
        principal = world.principal(db, "caseworker_a")
        case = pf.case(db, principal, pf.person(db, principal, given_name="Youssef", family_name="Al-Haddad",
                                                nationality="SYR"))
        db.commit()
        login(client, world.users["caseworker_a"].email)
        page = client.get("/cases", params={"q": "Yusef Hadad"})
        assert page.status_code == 200
        assert case.case_number in page.text
