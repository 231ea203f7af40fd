"""The home page in a real browser: a supervisor sees the approval waiting for them and decides it there,
on a phone-sized screen."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.test_case_workflow import (
    CASEWORKER,
    CASEWORKER_NAME,
    SUPERVISOR,
    end_case,
    move,
    register_and_open_case,
    save_details,
    second_context,  # noqa: F401 (a fixture used below)
    state,
    submit,
    unique_family,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def fits(page: Page) -> bool:
    """Nothing on the page is wider than the screen: no sideways scrolling on a phone."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


class TestSupervisorHome:
    def test_a_waiting_approval_is_on_the_home_page_and_decided_there(
        self, page: Page, second_context: BrowserContext, login,  # noqa: F811
    ) -> None:
        login(page, CASEWORKER)
        family = unique_family("Waiting")
        case = register_and_open_case(page, given="Grace", family=family, programme="counter_trafficking")
        save_details(page, identification_date=(date.today() - timedelta(days=10)).isoformat(),
                     identified_by="ngo", consent_to_assistance="true")
        move(page, "Start assistance")
        save_details(page, risk_assessment="medium", shelter_needed="true")
        move(page, "Move to recovery")
        save_details(page, closure_reason="recovery_completed")
        end_case(page, "Close case (needs approval)", "Recovery plan completed.")
        expect(state(page)).to_have_text("Recovery and reintegration")

        supervisor = second_context.new_page()
        supervisor.set_viewport_size(PHONE)
        login(supervisor, SUPERVISOR)
        expect(supervisor.get_by_role("heading", level=1)).to_have_text("What waits for you")
        tile = supervisor.locator("#supervision a.tile").filter(has_text="waiting for you")
        expect(tile.locator(".count")).not_to_have_text("0")
        row = supervisor.locator("#supervision tr.approval").filter(has_text=case.number)
        expect(row).to_have_count(1)
        expect(row.locator("bdi")).to_have_text(f"Grace {family}")
        expect(row).to_contain_text("Counter-trafficking")
        expect(row).to_contain_text("Recovery and reintegration → Closed")
        expect(row).to_contain_text(CASEWORKER_NAME)
        assert fits(supervisor)

        row.get_by_label("Comment").fill("Closure agreed.")
        submit(supervisor, row.get_by_role("button", name="Approve", exact=True))
        expect(supervisor).to_have_url(re.compile(r"/$"))
        expect(supervisor.locator("#supervision tr.approval").filter(has_text=case.number)).to_have_count(0)
        assert fits(supervisor)

        page.reload()
        expect(state(page)).to_have_text("Closed")

        # The pages around the home page fit the phone too.
        for path in ("/inbox", f"/cases/{case.id}/timeline", "/dedup/review", "/dashboard"):
            supervisor.goto(path)
            expect(supervisor.get_by_role("heading", level=1)).to_be_visible()
            assert fits(supervisor), path
        supervisor.goto(f"/cases/{case.id}/timeline")
        events = supervisor.locator("ol.timeline li")
        expect(events.filter(has_text="Move from Recovery and reintegration to Closed approved")).to_have_count(1)
        # The caseworker opened the case page after every step: one line says so.
        expect(events.filter(has_text="Viewed by 1 person")).to_have_count(1)


class TestPartnerHome:
    def test_a_partner_lands_on_a_page_with_a_menu_instead_of_a_refusal(self, page: Page, login) -> None:
        page.set_viewport_size(PHONE)
        login(page, "partner@example.org")
        expect(page.locator("#partner")).to_contain_text("referral")
        expect(page.get_by_role("link", name="Home")).to_be_visible()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        expect(page.get_by_text("your role may not")).to_have_count(0)
        assert fits(page)
