"""The case pages through a test client: scoping by office and role."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import func, select

from crossroads.audit.models import AuditEvent
from crossroads.cases.models import Case
from tests.factories import cases as cf
from tests.factories import people as pf
from tests.factories import work
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

def _page(client, case_id) -> str:
    response = client.get(f"/cases/{case_id}")
    assert response.status_code == 200, response.text
    return response.text


def _between(html: str, start: str, end: str) -> str:
    return html[html.index(start):html.index(end, html.index(start))]


class TestCaseSummary:
    def test_summary_shows_person_stage_next_step_overdue_tasks_and_flags(self, client, world, db):
        principal = world.principal(db, "caseworker_a")
        case = cf.case_in_state(db, principal, "avrr", "counselling", given_name="Amal", family_name="حداد")
        case.flags = ["urgent"]
        work.task(db, principal, case, title="Call the embassy", due_date=date.today() - timedelta(days=3))
        work.task(db, principal, case, title="Book the flight", due_date=date.today() + timedelta(days=3))
        db.commit()
        login(client, world.users["caseworker_a"].email)
        summary = _between(_page(client, case.id), 'id="summary"', "</section>")
        assert "<bdi>Amal حداد</bdi>" in summary
        assert "Assisted voluntary return and reintegration" in summary
        assert '<span class="flag">urgent</span>' in summary
        assert "1 overdue task" in summary
        stages = re.findall(r'<li class="stage (\w+)"[^>]*>([^<]+)', summary)
        assert stages == [("done", "Intake"), ("current", "Return counselling"),
                          ("upcoming", "Eligibility assessment"), ("upcoming", "Travel documents"),
                          ("upcoming", "Travel approved"), ("upcoming", "Departed"), ("upcoming", "Reintegration")]
        # The next step by its label, and what it still needs by the field's label, never their codes.
        assert re.search(r"Next step: <strong>Assess eligibility</strong> — fill in first: "
                         r'<a href="#details">Country of return</a>', summary)
        assert "country_of_return" not in re.sub(r'name="[^"]*"', "", summary)

    def test_the_next_step_is_the_primary_action_and_an_ending_one_needs_confirming(self, client, world, db):
        principal = world.principal(db, "caseworker_a")
        case = cf.case_in_state(db, principal, "avrr", "intake")
        db.commit()
        login(client, world.users["caseworker_a"].email)
        html = _page(client, case.id)
        moves = _between(html, 'class="inline-form moves"', "</form>")
        assert re.findall(r'<button type="submit" name="to_state" value="(\w+)" class="(\w+)"', moves) == \
            [("counselling", "primary")]
        # Withdrawing is no button of that form: a link to its confirmation, opened as a dialog when scripts run.
        assert f'href="/cases/{case.id}/transitions/withdrawn/confirm" data-dialog="end-withdrawn"' in html
        dialog = _between(html, '<dialog id="end-withdrawn"', "</dialog>")
        assert '<textarea name="reason"' in dialog and "required" in dialog
        assert '<script src="/static/case-page.js" defer></script>' in html

    def test_sections_can_be_jumped_to_and_fold_the_long_form(self, client, world, db):
        principal = world.principal(db, "caseworker_a")
        case = cf.case_in_state(db, principal, "avrr", "intake")
        db.commit()
        login(client, world.users["caseworker_a"].email)
        html = _page(client, case.id)
        nav = _between(html, '<nav class="sections"', "</nav>")
        anchors = re.findall(r'href="#(\w+)"', nav)
        assert anchors == ["details", "tasks", "assistance", "transfer", "notes", "attachments", "related",
                           "eligibility", "timeline"]
        for anchor in anchors:
            folded = rf'<details class="fold"\s*>\s*<summary><h2>[^<]+</h2></summary>\s*<section id="{anchor}">'
            assert re.search(folded, html), anchor
        assert "Save details" in _between(html, '<section id="details">', "</section>")

    def test_a_refused_edit_unfolds_the_form(self, client, world, db):
        principal = world.principal(db, "caseworker_a")
        case = cf.case_in_state(db, principal, "avrr", "intake")
        db.commit()
        login(client, world.users["caseworker_a"].email)
        token = csrf(_page(client, case.id))
        response = client.post(f"/cases/{case.id}/edit", data={"csrf_token": token, "version": str(case.version),
                                                               "field_country_of_return": "Iraq"})
        assert response.status_code == 422
        assert re.search(r'<details class="fold" open>\s*<summary><h2>Programme details', response.text)


class TestEndingAndReopeningPages:
    def test_confirmation_page_asks_for_the_reason_and_the_move_needs_one(self, client, world, db):
        principal = world.principal(db, "caseworker_a")
        case = cf.case_in_state(db, principal, "avrr", "counselling")
        db.commit()
        login(client, world.users["caseworker_a"].email)
        confirm = client.get(f"/cases/{case.id}/transitions/withdrawn/confirm")
        assert confirm.status_code == 200
        assert "<h1>Withdraw from return</h1>" in confirm.text and "Withdrawn" in confirm.text
        token = csrf(confirm.text)
        refused = client.post(f"/cases/{case.id}/transitions",
                              data={"csrf_token": token, "to_state": "withdrawn", "reason": " "})
        assert refused.status_code == 422
        assert "give a reason" in refused.text and '<textarea name="reason"' in refused.text
        db.expire_all()
        assert db.get(Case, case.id).state == "counselling"

        done = client.post(f"/cases/{case.id}/transitions", follow_redirects=False,
                           data={"csrf_token": token, "to_state": "withdrawn", "reason": "Found work here."})
        assert done.status_code == 303 and done.headers["location"] == f"/cases/{case.id}#summary"
        html = _page(client, case.id)
        ended = _between(html, '<p class="ended">', "</p>")
        assert "Withdrawn" in ended and "<q dir=\"auto\">Found work here.</q>" in ended
        assert re.findall(r'<li class="stage (\w+)"', html)[:3] == ["done", "done", "upcoming"]
        assert re.search(r'<li class="stage ended" aria-current="step">Withdrawn', html)
        assert "The case goes back to: <strong>Return counselling</strong>" in html

    def test_only_moves_that_end_the_case_have_a_confirmation_page(self, client, world, db):
        principal = world.principal(db, "caseworker_a")
        case = cf.case_in_state(db, principal, "avrr", "counselling")
        db.commit()
        login(client, world.users["caseworker_a"].email)
        assert client.get(f"/cases/{case.id}/transitions/eligibility/confirm").status_code == 404
        assert client.get(f"/cases/{case.id}/transitions/nowhere/confirm").status_code == 404

    def test_reopen_needs_a_reason_and_goes_back(self, client, world, db):
        principal = world.principal(db, "caseworker_a")
        case = cf.case_in_state(db, principal, "avrr", "withdrawn")
        db.commit()
        login(client, world.users["caseworker_a"].email)
        token = csrf(_page(client, case.id))
        refused = client.post(f"/cases/{case.id}/reopen", data={"csrf_token": token, "reason": ""})
        assert refused.status_code == 422
        assert re.search(r'<details class="reopen" open>', refused.text)
        done = client.post(f"/cases/{case.id}/reopen", data={"csrf_token": token, "reason": "Back again."},
                           follow_redirects=False)
        assert done.status_code == 303
        db.expire_all()
        assert db.get(Case, case.id).state == "intake"

    def test_a_reopening_waiting_for_approval_says_so(self, client, world, db):
        principal = world.principal(db, "caseworker_a")
        case = cf.case_in_state(db, principal, "uasc", "closed", {"closure_reason": "other"})
        db.commit()
        login(client, world.users["caseworker_a"].email)
        html = _page(client, case.id)
        assert "A supervisor must approve reopening this case." in html and "Ask to reopen" in html
        client.post(f"/cases/{case.id}/reopen", data={"csrf_token": csrf(html), "reason": "Family found."})
        html = _page(client, case.id)
        assert "Waiting for a supervisor to approve reopening the case in" in html
        assert '<q dir="auto">Family found.</q>' in html
