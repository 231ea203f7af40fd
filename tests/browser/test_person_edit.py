"""Correcting a person's details and printing a case summary, in a real browser."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.test_caseworker_flow import CASEWORKER, fill_person, open_case, submit_registration

pytestmark = pytest.mark.browser


def register(page: Page, given: str, family: str, date_of_birth: str) -> str:
    """Register someone unlike anyone else of the run, so that no duplicate check interrupts."""
    page.goto("/people/new")
    fill_person(page, given=given, family=family, sex="female", nationality="MAR", date_of_birth=date_of_birth)
    submit_registration(page)
    expect(page).to_have_url(re.compile(r"/people/[0-9a-f-]{36}$"))
    return page.url


class TestEditPerson:
    def test_correct_a_name_and_see_the_change_on_the_persons_page(self, page: Page, login) -> None:
        family = "Edittest" + uuid.uuid4().hex[:6]
        login(page, CASEWORKER)
        register(page, "Samira", family, "1991-02-03")
        page.get_by_role("link", name="Edit details").click()
        expect(page).to_have_url(re.compile(r"/people/[0-9a-f-]{36}/edit$"))
        page.locator("[name=family_name]").fill(family + "-Alaoui")
        page.locator("[name=phone]").fill("+212 612 345 678")
        page.get_by_role("button", name="Save changes").click()

        expect(page).to_have_url(re.compile(r"/people/[0-9a-f-]{36}#changes$"))
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Samira {family}-Alaoui")
        changes = page.locator("ul.changes")
        expect(changes).to_contain_text(f"changed Family name from {family} to {family}-Alaoui")
        expect(changes).to_contain_text("changed Phone from — to +212612345678")

    def test_a_form_saved_by_someone_else_meanwhile_shows_the_conflict_and_keeps_the_input(
        self, new_context: Callable[[], BrowserContext], login,
    ) -> None:
        family = "Conflicttest" + uuid.uuid4().hex[:6]
        first, second = new_context(), new_context()
        try:
            mine, theirs = first.new_page(), second.new_page()
            login(mine, CASEWORKER)
            login(theirs, CASEWORKER)
            person_url = register(mine, "Khadija", family, "1979-08-21")
            mine.goto(person_url + "/edit")
            theirs.goto(person_url + "/edit")
            theirs.locator("[name=given_name]").fill("Khadidja")
            theirs.get_by_role("button", name="Save changes").click()
            expect(theirs).to_have_url(re.compile(r"#changes$"))

            mine.locator("[name=family_name]").fill(family + "-Bennani")
            mine.get_by_role("button", name="Save changes").click()
            expect(mine.get_by_role("alert").first).to_contain_text("Someone else changed this person's details")
            expect(mine.locator("div.conflict")).to_contain_text("changed Given name from Khadija to Khadidja")
            expect(mine.locator("[name=family_name]")).to_have_value(family + "-Bennani")

            mine.get_by_role("button", name="Save changes").click()
            expect(mine.get_by_role("heading", level=1)).to_have_text(f"Khadidja {family}-Bennani")
        finally:
            first.close()
            second.close()


class TestCaseSummary:
    def test_print_the_summary_from_the_case_page(self, page: Page, login) -> None:
        family = "Printtest" + uuid.uuid4().hex[:6]
        login(page, CASEWORKER)
        register(page, "Zineb", family, "2003-11-12")
        case = open_case(page, "legal_counselling")
        page.get_by_role("link", name="Print summary").click()
        expect(page).to_have_url(re.compile(r"/cases/[0-9a-f-]{36}/summary$"))
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Case summary {case.number}")
        expect(page.get_by_text(f"Zineb {family}")).to_be_visible()
        back = page.get_by_role("link", name="Back to the case")
        expect(back).to_be_visible()
        page.emulate_media(media="print")
        expect(back).to_be_hidden()
        # What "Save as PDF" in the print dialog produces: the browser renders every script the page holds.
        assert page.pdf(format="A4").startswith(b"%PDF")
