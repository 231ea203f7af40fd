"""Eligibility across both roles: a caseworker screens a person for assisted return, determines their eligibility,
reads why the rules refused it and overrides with a reason; the override waits for a supervisor, who approves it;
the case then shows the person as eligible."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from crossroads.auth.models import Office
from crossroads.cases.models import Case
from crossroads.db.session import unit_of_work
from crossroads.eligibility.models import Determination
from tests.browser.conftest import log_in
from tests.browser.test_case_workflow import CASEWORKER, SUPERVISOR

pytestmark = pytest.mark.browser

REASON = "The consulate confirmed by phone that it will issue a laissez-passer this week."


@pytest.fixture(scope="module")
def return_case(live_server):
    """An open AVRR case of the Tunis office that the demo did not determine, with a country of return."""
    with unit_of_work(live_server.engine) as session:
        determined = select(Determination.case_id)
        case = session.scalar(
            select(Case).join(Office, Office.id == Case.office_id)
            .where(Office.code == "TUN", Case.programme == "avrr", Case.closed_at.is_(None),
                   Case.id.not_in(determined)).order_by(Case.case_number).limit(1))
        case.data = {**case.data, "country_of_return": "IRQ"}
        return str(case.id)


def open_eligibility(page: Page, case_id: str) -> None:
    page.goto(f"/cases/{case_id}")
    page.locator("summary", has_text="Eligibility").click()


def answer(page: Page, question: str, choice: str) -> None:
    page.locator(f"#q_{question}").get_by_label(choice, exact=True).check()


def test_screen_determine_override_and_approve(new_context, return_case):
    caseworker = new_context().new_page()
    log_in(caseworker, CASEWORKER)

    # Return counselling: she wants to go home, knows her options, has no document and cannot get one yet.
    open_eligibility(caseworker, return_case)
    caseworker.locator("#eligibility").get_by_role("link", name="Return counselling").click()
    answer(caseworker, "wishes_to_return", "Yes")
    answer(caseworker, "informed_of_options", "Yes")
    answer(caseworker, "holds_travel_document", "No")
    answer(caseworker, "can_obtain_travel_document", "No")
    answer(caseworker, "legal_obstacle_to_departure", "No")
    caseworker.get_by_role("button", name="Record the screening").click()
    caseworker.goto(f"/cases/{return_case}/screenings/new?instrument=medical_protection")
    answer(caseworker, "fear_of_harm_on_return", "No")
    caseworker.get_by_role("button", name="Record the screening").click()

    # The determination and, in plain words, why.
    open_eligibility(caseworker, return_case)
    caseworker.get_by_role("button", name="Determine eligibility now").click()
    open_eligibility(caseworker, return_case)
    card = caseworker.locator("article.determination")
    expect(card.get_by_role("heading", level=3)).to_contain_text("Not eligible")
    expect(card.locator("li.criterion.not_met")).to_contain_text("You have no travel document")

    # An override without a reason is refused by the browser and by the server; with one it waits for approval.
    override = caseworker.locator("#override-form")
    override.get_by_label("New outcome").select_option("eligible")
    override.get_by_label("Reason").fill(REASON)
    override.get_by_role("button", name="Override").click()
    open_eligibility(caseworker, return_case)
    expect(card).to_contain_text("Waiting for a supervisor")
    expect(card.get_by_role("heading", level=3)).to_contain_text("Not eligible")

    # The supervisor's queue.
    supervisor = new_context().new_page()
    log_in(supervisor, SUPERVISOR)
    supervisor.goto("/eligibility/overrides")
    item = supervisor.locator("li.card", has_text=REASON)
    item.get_by_label("Note").fill("Consulate letter seen.")
    item.get_by_role("button", name="Approve").click()
    expect(supervisor.locator("li.card", has_text=REASON)).to_have_count(0)

    open_eligibility(caseworker, return_case)
    expect(card.get_by_role("heading", level=3)).to_contain_text("Eligible")
    expect(card).to_contain_text("Approved")
