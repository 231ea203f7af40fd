from __future__ import annotations

import re

from crossroads.cases.models import Case
from tests.factories import work
from tests.helpers import csrf, login
from tests.home.conftest import asked_approval


class TestHomePage:
    def test_anonymous_is_sent_to_log_in(self, client):
        response = client.get("/", follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, "/login")

    def test_a_supervisor_sees_the_approval_named_by_person_and_labels_and_decides_it_there(self, client, db, staff):
        case, approval = asked_approval(db, staff, given_name="Samira", family_name="Haddad")
        login(client, staff.users["supervisor_a"].email)
        page = client.get("/")
        assert page.status_code == 200
        assert "<bdi>Samira Haddad</bdi>" in page.text
        assert "Travel documents → Travel approved" in page.text
        assert "Assisted voluntary return and reintegration" in page.text
        assert staff.users["caseworker_a"].full_name in page.text
        assert "travel_documents" not in re.sub(r'<[^>]+>', "", page.text)
        response = client.post(f"/approvals/{approval.id}/decision", follow_redirects=False,
                                data={"csrf_token": csrf(page.text), "approve": "true", "next": "/"})
        assert (response.status_code, response.headers["location"]) == (303, "/")
        db.expire_all()
        assert db.get(Case, case.id).state == "travel_approved"

    def test_the_inbox_names_the_person_and_the_move_by_its_labels(self, client, db, staff):
        asked_approval(db, staff, given_name="Samira", family_name="Haddad")
        login(client, staff.users["supervisor_a"].email)
        page = client.get("/inbox")
        assert "<bdi>Samira Haddad</bdi>" in page.text
        assert "Travel documents → Travel approved" in page.text

    def test_a_caseworker_sees_their_own_work_and_no_supervision(self, client, db, staff):
        login(client, staff.users["caseworker_a"].email)
        page = client.get("/")
        assert 'id="my-work"' in page.text and 'id="supervision"' not in page.text

    def test_a_partner_lands_on_a_page_that_says_what_they_can_do_with_a_menu(self, client, staff):
        login(client, staff.users["partner"].email)
        page = client.get("/")
        assert page.status_code == 200
        assert 'id="partner"' in page.text and "referral" in page.text
        assert '<a href="/referrals/inbox">' in page.text and '<a href="/directory">' in page.text
        assert '<a href="/">Home</a>' in page.text and "Log out" in page.text
        assert "your role may not" not in page.text

    def test_is_translated(self, client, staff):
        login(client, staff.users["partner"].email)
        page = client.get("/?lang=fr")
        assert "Ce qui vous attend" in page.text

    def test_the_supervisor_page_runs_as_many_statements_with_many_approvals(self, client, db, engine, staff):
        login(client, staff.users["supervisor_a"].email)
        asked_approval(db, staff)
        _, few = work.measured_get(client, engine, db, "/", {})
        for _ in range(6):
            asked_approval(db, staff)
        page, many = work.measured_get(client, engine, db, "/", {})
        assert page.text.count('class="approval"') == 7
        assert few == many

    def test_a_supervisor_page_in_arabic_names_states_by_their_translated_labels(self, client, db, staff):
        asked_approval(db, staff, given_name="Samira", family_name="Haddad")
        login(client, staff.users["supervisor_a"].email)
        page = client.get("/?lang=ar").text
        assert 'dir="rtl"' in page and "ما ينتظرك" in page and "<bdi>Samira Haddad</bdi>" in page
        assert "Travel documents" not in page and "طلب موافقة ينتظرك" in page
