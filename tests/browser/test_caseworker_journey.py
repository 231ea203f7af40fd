"""A caseworker's day end to end, on a phone: find a person by another spelling, correct them, open a case, end it
with a reason and ask to reopen it; the supervisor sees the request on their home page and decides it there."""

from __future__ import annotations

import random
import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.test_case_workflow import (
    CASEWORKER,
    SUPERVISOR,
    end_case,
    second_context,  # noqa: F401 (a fixture used below)
    state,
    submit,
    workflow,
)
from tests.browser.test_caseworker_flow import fill_person, open_case, submit_registration
from tests.browser.test_home import PHONE, fits

pytestmark = pytest.mark.browser


class TestCaseworkerJourney:
    def test_find_by_another_spelling_correct_open_end_and_reopen_with_the_supervisors_approval(
        self, page: Page, second_context: BrowserContext, login,  # noqa: F811
    ) -> None:
        page.set_viewport_size(PHONE)
        login(page, CASEWORKER)
        # Registered as the family wrote it, without a case; a birth date of its own keeps the run's people apart.
        born = f"{random.randint(1950, 1999)}-{random.randint(1, 12):02d}-{random.randint(1, 28):02d}"
        page.goto("/people/new")
        fill_person(page, given="Youssef", family="Al-Haddad", sex="male", nationality="SYR", date_of_birth=born)
        submit_registration(page)
        if page.get_by_role("button", name="Register anyway").count():
            # Someone of that name and birth date from an earlier run: register this one anyway, as told.
            page.get_by_label(re.compile("Reason")).first.fill("A namesake born the same day, another family.")
            page.get_by_role("button", name="Register anyway").click()
        expect(page).to_have_url(re.compile(r"/people/[0-9a-f-]{36}$"))
        person_url = page.url

        # Another caseworker's spelling, the way it was heard, narrowed by the year of birth.
        page.get_by_role("link", name="Find a person").click()
        page.locator("[name=q]").fill("Yusef Hadad")
        page.locator("[name=born]").fill(born[:4])
        page.locator("[name=born_within]").fill("0")
        page.get_by_role("button", name="Search").click()
        path = "/" + person_url.split("//", 1)[1].split("/", 1)[1]
        hit = page.locator("table.people tbody tr").filter(has=page.locator(f'a[href="{path}"]'))
        expect(hit).to_have_count(1)
        expect(hit).to_contain_text("No case")
        assert fits(page)
        hit.get_by_role("link").click()
        expect(page).to_have_url(person_url)

        # The phone number given later, corrected on the person's record.
        page.get_by_role("link", name="Edit details").click()
        page.locator("[name=phone]").fill("+963 944 123 456")
        page.get_by_role("button", name="Save changes").click()
        expect(page.locator("ul.changes")).to_contain_text("changed Phone from — to +963944123456")

        # A case, ended only once a reason is confirmed.
        page.goto(person_url)
        open_case(page, "counter_trafficking")
        ending = workflow(page).get_by_role("link", name="Record declined assistance", exact=True)
        ending.click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_role("button", name="Cancel").click()
        expect(state(page)).to_have_text("Identification")
        end_case(page, "Record declined assistance", "He declined help for now; he will call back.")
        expect(state(page)).to_have_text("Declined assistance")
        expect(workflow(page)).to_contain_text("He declined help for now; he will call back.")

        # Reopening this programme's ended cases needs a supervisor.
        workflow(page).locator("summary", has_text="Reopen case").click()
        expect(workflow(page)).to_contain_text("A supervisor must approve reopening this case.")
        workflow(page).get_by_label("Reason (required)").fill("He called back and accepts assistance.")
        submit(page, workflow(page).get_by_role("button", name="Ask to reopen"))
        expect(state(page)).to_have_text("Declined assistance")
        case_number = page.get_by_role("heading", level=1).inner_text().split()[-1]

        supervisor = second_context.new_page()
        supervisor.set_viewport_size(PHONE)
        login(supervisor, SUPERVISOR)
        row = supervisor.locator("#supervision tr.approval").filter(has_text=case_number)
        expect(row).to_have_count(1)
        expect(row.locator("bdi")).to_have_text("Youssef Al-Haddad")
        expect(row).to_contain_text("He called back and accepts assistance.")
        assert fits(supervisor)
        row.get_by_label("Comment").fill("Reopen.")
        submit(supervisor, row.get_by_role("button", name="Approve", exact=True))
        expect(supervisor.locator("#supervision tr.approval").filter(has_text=case_number)).to_have_count(0)

        page.reload()
        expect(state(page)).to_have_text("Identification")
