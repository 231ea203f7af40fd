"""The eligibility pages: the case page's section, the screening form, the override queue, the rule set pages."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from crossroads.eligibility.models import Override, OverrideStatus, RuleSetVersion
from tests.factories import cases as cf
from tests.factories import eligibility as ef
from tests.helpers import csrf, login


def _case(client, cw, db) -> str:
    ef.active(db, "avrr")
    return cf.register_and_open(client, cw)["id"]


class TestCaseSection:
    def test_screen_determine_and_override_from_the_case_page(self, client, cw, db, world):
        case_id = _case(client, cw, db)
        login(client, world.users["caseworker_a"].email)
        page = client.get(f"/cases/{case_id}")
        assert 'id="eligibility"' in page.text and "No determination yet." in page.text
        form = client.get(f"/cases/{case_id}/screenings/new?instrument=return_counselling")
        assert form.status_code == 200 and 'name="q_wishes_to_return"' in form.text
        skipped = client.post(f"/cases/{case_id}/screenings", data={
            "csrf_token": csrf(form.text), "instrument": "return_counselling", "q_holds_travel_document": "yes",
            "q_can_obtain_travel_document": "yes"})
        assert skipped.status_code == 422 and 'href="#q_can_obtain_travel_document"' in skipped.text
        recorded = client.post(f"/cases/{case_id}/screenings", data={
            "csrf_token": csrf(form.text), "instrument": "return_counselling", "q_wishes_to_return": "yes",
            "q_informed_of_options": "yes", "q_holds_travel_document": "no", "q_can_obtain_travel_document": "no"})
        assert recorded.status_code == 200 and "Screenings" in recorded.text
        determined = client.post(f"/cases/{case_id}/determinations", data={"csrf_token": csrf(recorded.text)})
        assert determined.status_code == 200 and "Not eligible" in determined.text
        assert "You have no travel document" in determined.text
        no_reason = client.post(f"/determinations/{_determination(determined.text)}/overrides",
                                data={"csrf_token": csrf(determined.text), "outcome": "eligible", "reason": ""})
        assert no_reason.status_code == 422 and db.scalar(select(Override.id)) is None
        overridden = client.post(f"/determinations/{_determination(determined.text)}/overrides", data={
            "csrf_token": csrf(determined.text), "outcome": "eligible", "reason": "The consulate will issue one."})
        assert overridden.status_code == 200 and "Waiting for a supervisor" in overridden.text

    def test_partner_sees_no_case_page(self, client, cw, db, world):
        case_id = _case(client, cw, db)
        login(client, world.users["partner"].email)
        assert client.get(f"/cases/{case_id}").status_code in (403, 404)


def _determination(html: str) -> str:
    return html.split('action="/determinations/')[1].split("/")[0]


class TestOverrideQueue:
    def test_supervisor_approves_from_the_queue(self, client, cw, db, world):
        case_id = _case(client, cw, db)
        cw_a = world.principal(db, "caseworker_a")
        override = ef.override(db, cw_a, ef.determination(db, cw_a, uuid.UUID(case_id)).id)
        login(client, world.users["supervisor_a"].email)
        queue = client.get("/eligibility/overrides")
        assert queue.status_code == 200 and f'data-override="{override.id}"' in queue.text
        decided = client.post(f"/overrides/{override.id}/decision", data={"csrf_token": csrf(queue.text),
                                                                           "approve": "yes"})
        assert decided.status_code == 200 and "No override is waiting for approval." in decided.text
        db.refresh(override)
        assert override.status is OverrideStatus.APPROVED

    def test_caseworker_is_refused_the_queue(self, client, world):
        login(client, world.users["caseworker_a"].email)
        assert client.get("/eligibility/overrides").status_code == 403


class TestRuleSetPages:
    def test_admin_produces_the_diff_then_activates(self, client, db, world):
        from crossroads.eligibility import rule_admin, rulesets
        from crossroads.eligibility.schemas import RuleSetCreate

        draft = rule_admin.draft_rule_set(db, principal=world.principal(db, "admin"), programme="avrr",
                                          data=RuleSetCreate(version="2027.9",
                                                             source=rulesets.shipped_ruleset_text("avrr") or ""))
        login(client, world.users["admin"].email)
        listing = client.get("/eligibility/rule-sets")
        assert listing.status_code == 200 and "2027.9" in listing.text
        page = client.get(f"/eligibility/rule-sets/{draft.id}")
        assert "Produce the diff report" in page.text and "/activate" not in page.text
        diffed = client.post(f"/eligibility/rule-sets/{draft.id}/diff", data={"csrf_token": csrf(page.text)})
        assert "Diff report" in diffed.text
        activated = client.post(f"/eligibility/rule-sets/{draft.id}/activate", data={"csrf_token": csrf(diffed.text)})
        assert activated.status_code == 200
        assert db.scalar(select(RuleSetVersion.status).where(RuleSetVersion.id == draft.id)) == "active"
