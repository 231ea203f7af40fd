"""The case page on a phone: its summary and sections, and ending a case only after confirming it with a reason.

A caseworker testing the old page withdrew a case with one click, for good. Here the withdrawal asks for a
reason first (in a dialog, or on a page of its own without scripts), and a withdrawn case can be reopened.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from crossroads.cases.models import Case
from crossroads.cases.workflow.models import CaseStateChange
from tests.browser.conftest import TIMEOUT_MS, LiveServer
from tests.browser.test_case_workflow import (
    CASEWORKER,
    register_and_open_case,
    section,
    state,
    submit,
    unique_family,
    workflow,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
# WCAG 2.2, 2.5.8 Target Size (Minimum).
MIN_TARGET = 24


def stages(page: Page) -> list[str]:
    return [f"{li.get_attribute('class')}: {' '.join((li.text_content() or '').split())}"
            for li in page.locator("ol.stages li").all()]


def assert_fits_the_phone(page: Page) -> None:
    """No horizontal scrolling, and every visible button at least 24 × 24 CSS pixels."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px screen"
    targets = page.locator("main button, main a.button, main summary").all()
    assert targets
    for target in targets:
        box = target.bounding_box() if target.is_visible() else None
        if box is not None:
            assert box["width"] >= MIN_TARGET and box["height"] >= MIN_TARGET, \
                f"{target.inner_text()!r} is {box['width']:.0f}×{box['height']:.0f}"


def stored_state(live_server: LiveServer, case_id) -> str:
    with live_server.engine.connect() as conn:
        return conn.scalar(select(Case.state).where(Case.id == case_id))


class TestWithdrawAndReopen:
    def test_withdrawal_waits_for_a_confirmed_reason_and_the_case_can_be_reopened(
        self, page: Page, login, live_server: LiveServer,
    ) -> None:
        page.set_viewport_size(PHONE)
        login(page, CASEWORKER)
        case = register_and_open_case(page, given="Mariam", family=unique_family("Phone"), programme="avrr")

        summary = page.locator("#summary")
        expect(summary.get_by_role("link", name=case.person, exact=True)).to_be_visible()
        expect(summary).to_contain_text("Assisted voluntary return and reintegration")
        expect(summary).to_contain_text("Next step: Start return counselling")
        assert stages(page)[:2] == ["stage current: Intake", "stage upcoming: Return counselling"]
        # The sections are folded under their titles, and the page's section links unfold them.
        expect(page.locator("section#details")).to_be_hidden()
        expect(section(page, "details").get_by_role("button", name="Save details")).to_be_visible()
        for name in ("tasks", "assistance", "transfer", "notes", "attachments", "related", "eligibility", "timeline"):
            section(page, name)
        assert_fits_the_phone(page)  # every section unfolded: the long form, the tables

        # The next step is the primary button, one click.
        primary = workflow(page).locator("button.primary")
        expect(primary).to_have_text("Start return counselling")
        submit(page, primary)
        expect(state(page)).to_have_text("Return counselling")
        assert stages(page)[:2] == ["stage done: Intake (done)", "stage current: Return counselling"]

        # Withdrawing opens a dialog; cancelling it changes nothing.
        withdraw = workflow(page).get_by_role("link", name="Withdraw from return", exact=True)
        withdraw.click()
        dialog = page.get_by_role("dialog", name="Withdraw from return")
        expect(dialog).to_be_visible()
        assert_fits_the_phone(page)
        dialog.get_by_role("button", name="Cancel").click()
        expect(dialog).to_be_hidden()
        assert stored_state(live_server, case.id) == "counselling"

        # Without a reason the form does not go.
        withdraw.click()
        dialog.get_by_role("button", name="Withdraw from return", exact=True).click()
        expect(dialog).to_be_visible()
        assert stored_state(live_server, case.id) == "counselling"

        dialog.get_by_label("Reason (required)").fill("She found work here and wants to stay.")
        submit(page, dialog.get_by_role("button", name="Withdraw from return", exact=True))
        expect(state(page)).to_have_text("Withdrawn")
        expect(workflow(page)).to_contain_text("This case has ended: Withdrawn")
        expect(workflow(page)).to_contain_text("She found work here and wants to stay.")
        assert stages(page)[-1] == "stage ended: Withdrawn"
        assert stored_state(live_server, case.id) == "withdrawn"
        assert_fits_the_phone(page)

        # Reopening asks for a reason too, and goes back to the stage the case left.
        workflow(page).locator("summary", has_text="Reopen case").click()
        expect(workflow(page)).to_contain_text("The case goes back to: Return counselling")
        workflow(page).get_by_label("Reason (required)").fill("The job fell through; she wants to go home.")
        submit(page, workflow(page).get_by_role("button", name="Reopen case"))
        expect(state(page)).to_have_text("Return counselling")
        expect(workflow(page)).to_contain_text("Next step: Assess eligibility")
        assert stored_state(live_server, case.id) == "counselling"

        with live_server.engine.connect() as conn:
            changes = conn.execute(select(CaseStateChange.from_state, CaseStateChange.to_state,
                                          CaseStateChange.reason)
                                   .where(CaseStateChange.case_id == case.id).order_by(CaseStateChange.id)).all()
        assert [tuple(c) for c in changes] == [
            ("intake", "counselling", None),
            ("counselling", "withdrawn", "She found work here and wants to stay."),
            ("withdrawn", "counselling", "The job fell through; she wants to go home."),
        ]


@pytest.fixture
def no_script_context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=live_server.base_url, locale="en-US", java_script_enabled=False,
                                  viewport=PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context
    finally:
        context.close()


class TestWithoutScripts:
    def test_withdrawal_is_confirmed_on_a_page_of_its_own(
        self, no_script_context: BrowserContext, login, live_server: LiveServer,
    ) -> None:
        page = no_script_context.new_page()
        login(page, CASEWORKER)
        case = register_and_open_case(page, given="Halima", family=unique_family("Noscript"), programme="avrr")

        submit(page, workflow(page).get_by_role("link", name="Withdraw from return", exact=True))
        expect(page).to_have_url(re.compile(rf"/cases/{case.id}/transitions/withdrawn/confirm$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Withdraw from return")
        assert_fits_the_phone(page)
        submit(page, page.get_by_role("link", name="Cancel"))
        assert stored_state(live_server, case.id) == "intake"

        submit(page, workflow(page).get_by_role("link", name="Withdraw from return", exact=True))
        page.get_by_label("Reason (required)").fill("Moved to another country.")
        submit(page, page.get_by_role("button", name="Withdraw from return", exact=True))
        expect(page).to_have_url(f"{case.url}#summary")
        expect(state(page)).to_have_text("Withdrawn")
        expect(workflow(page)).to_contain_text("Moved to another country.")
