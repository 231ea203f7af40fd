"""A case's whole life in a real browser: workflow moves, approvals, tasks, services, transfers, stale edits.

Each test registers its own person through the "Register a person" form, so the tests do not depend on
each other or on their order. Moves are found by their button labels and the fields they need are filled
in "Programme details" first, as a caseworker would.
"""

from __future__ import annotations

import re
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, Response, expect
from sqlalchemy import select

from crossroads.cases.models import Case

pytestmark = pytest.mark.browser

CASEWORKER = "caseworker@example.org"  # Leila Mansour, office TUN
CASEWORKER_NAME = "Leila Mansour"
SUPERVISOR = "supervisor@example.org"  # Samuel Okafor, offices TUN and AGZ
SUPERVISOR_NAME = "Samuel Okafor"
AGADEZ_CASEWORKER = "caseworker2@example.org"  # Ibrahim Moussa, office AGZ
AGADEZ_CASEWORKER_NAME = "Ibrahim Moussa"
TUNIS = "Tunis field office"
AGADEZ = "Agadez field office"
# Left in the system temporary directory for a human to look at after a run; not an assertion.
SCREENSHOT = Path(tempfile.gettempdir()) / "crossroads-case-workflow.png"

CASE_NUMBER_HEADING = re.compile(r"^Case (\S+)$")
CASE_URL = re.compile(r"/cases/([0-9a-f-]{36})(?:#\w+)?$")


@dataclass(frozen=True)
class OpenedCase:
    url: str  # absolute, without fragment
    id: uuid.UUID
    number: str
    person: str  # "Given Family", as shown on the case page


# Helpers


def unique_family(stem: str) -> str:
    return stem + uuid.uuid4().hex[:6]


def submit(page: Page, button: Locator, status: int = 200) -> Response:
    """Click a form button and wait for the page it leads to; a successful POST redirects to a 200 page."""
    with page.expect_navigation() as navigation:
        button.click()
    response = navigation.value
    assert response is not None
    assert response.status == status, f"{response.request.method} {response.url} answered {response.status}"
    return response


def register_and_open_case(page: Page, *, given: str, family: str, programme: str) -> OpenedCase:
    """Register a person through the navigation's "Register a person" form, then open a case for them."""
    page.get_by_role("link", name="Register a person").click()
    expect(page).to_have_url(re.compile(r"/people/new$"))
    page.locator("[name=given_name]").fill(given)
    page.locator("[name=family_name]").fill(family)
    page.locator("[name=sex]").select_option("female")
    page.locator("[name=nationality]").select_option("NGA")
    submit(page, page.get_by_role("button", name="Register", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{given} {family}")

    page.locator("#open-case select[name=programme]").select_option(programme)
    submit(page, page.get_by_role("button", name="Open case"))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(CASE_NUMBER_HEADING)
    number = CASE_NUMBER_HEADING.match(heading.inner_text().strip())
    case_id = CASE_URL.search(page.url)
    assert number and case_id, (heading.inner_text(), page.url)
    return OpenedCase(url=page.url.split("#")[0], id=uuid.UUID(case_id.group(1)), number=number.group(1),
                      person=f"{given} {family}")


def state(page: Page) -> Locator:
    return page.locator("dl.facts strong.state")


def workflow(page: Page) -> Locator:
    return page.locator("#workflow")


def section(page: Page, name: str) -> Locator:
    """A section of the case page, unfolded through the page's section links as a caseworker would."""
    body = page.locator(f"section#{name}")
    if not body.is_visible():
        page.locator("nav.sections").locator(f'a[href="#{name}"]').click()
    expect(body).to_be_visible()
    return body


def move_button(page: Page, label: str) -> Locator:
    return workflow(page).get_by_role("button", name=label, exact=True)


def move(page: Page, label: str, *, comment: str | None = None) -> None:
    """Click one of the Workflow buttons (the transition's label), optionally with a comment."""
    if comment is not None:
        workflow(page).get_by_label("Comment").fill(comment)
    submit(page, move_button(page, label))
    expect(workflow(page).get_by_role("alert")).to_have_count(0)


def end_case(page: Page, label: str, reason: str) -> None:
    """A move that ends the case: its link opens a dialog that asks for the reason before anything happens."""
    workflow(page).get_by_role("link", name=label, exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Reason (required)").fill(reason)
    submit(page, dialog.get_by_role("button", name=re.sub(r" \(needs approval\)$", "", label), exact=True))
    expect(workflow(page).get_by_role("alert")).to_have_count(0)


def save_details(page: Page, **values: str) -> None:
    """Fill programme fields (`field_<name>`: text, date, textarea or select) and press "Save details"."""
    details = section(page, "details")
    for name, value in values.items():
        field = details.locator(f"[name=field_{name}]")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    submit(page, details.get_by_role("button", name="Save details"))
    expect(page).to_have_url(re.compile(r"#details$"))
    for name, value in values.items():
        expect(details.locator(f"[name=field_{name}]")).to_have_value(value)


def task_row(page: Page, title: str) -> Locator:
    return section(page, "tasks").locator("tbody tr").filter(has_text=title)


def approvals_row(page: Page, number: str) -> Locator:
    return page.locator("tr.approval").filter(has_text=number)


@pytest.fixture
def second_context(new_context: Callable[[], BrowserContext]) -> Iterator[BrowserContext]:
    """Another browser with its own cookies, for a second user working at the same time."""
    ctx = new_context()
    try:
        yield ctx
    finally:
        ctx.close()


# Tests


class TestAvrrCase:
    def test_intake_to_closed_with_approval_task_and_service(
        self, page: Page, second_context: BrowserContext, login,
    ) -> None:
        login(page, CASEWORKER)
        case = register_and_open_case(page, given="Blessing", family=unique_family("Returnee"), programme="avrr")
        expect(state(page)).to_have_text("Intake")
        expect(page.locator("dl.facts")).to_contain_text("Assisted voluntary return and reintegration")
        expect(page.locator("dl.facts")).to_contain_text(TUNIS)

        # A task that was due three days ago is overdue at once, on the case and on "My work".
        task_title = "Call the embassy about the laissez-passer"
        due = (date.today() - timedelta(days=3)).isoformat()
        tasks = section(page, "tasks")
        tasks.get_by_label("New task").fill(task_title)
        tasks.get_by_label("Due date").fill(due)
        submit(page, tasks.get_by_role("button", name="Add task"))
        expect(page).to_have_url(re.compile(r"#tasks$"))
        row = task_row(page, task_title)
        expect(row).to_have_count(1)
        expect(row).to_have_class(re.compile(r"\boverdue\b"))
        expect(row).to_contain_text(due)
        expect(row.locator(".flag")).to_have_text("overdue")
        expect(row).to_contain_text(CASEWORKER_NAME)  # a task with nobody chosen is the creator's

        page.get_by_role("link", name="My work").click()
        expect(page).to_have_url(re.compile(r"/dashboard$"))
        overdue = page.locator("tr.overdue").filter(has=page.get_by_role("link", name=case.number, exact=True))
        expect(overdue).to_have_count(1)
        expect(overdue).to_contain_text(task_title)
        expect(overdue).to_contain_text(due)
        overdue.get_by_role("link", name=case.number).click()
        expect(page).to_have_url(case.url + "#tasks")

        # intake -> counselling needs nothing.
        move(page, "Start return counselling")
        expect(state(page)).to_have_text("Return counselling")

        # counselling -> eligibility needs the country of return: the button says so until it is filled.
        expect(move_button(page, "Assess eligibility")).to_have_attribute("title", "Fill in first: Country of return")
        save_details(page, country_of_return="NGA", return_destination_city="Benin City")
        expect(move_button(page, "Assess eligibility")).not_to_have_attribute("title", re.compile("."))
        move(page, "Assess eligibility")
        expect(state(page)).to_have_text("Eligibility assessment")

        save_details(page, eligibility_decision="eligible")
        move(page, "Obtain travel documents")
        expect(state(page)).to_have_text("Travel documents")

        # travel_documents -> travel_approved needs a supervisor's approval: the case waits where it is.
        save_details(page, travel_document_type="emergency_travel_document", travel_document_number="ETD-4471")
        move(page, "Approve travel (needs approval)", comment="Embassy issued the ETD.")
        expect(state(page)).to_have_text("Travel documents")
        notice = workflow(page).locator(".notice")
        expect(notice).to_contain_text("Waiting for a supervisor to approve the move to Travel approved.")
        expect(notice).to_contain_text("Request (Leila Mansour): Embassy issued the ETD.")
        expect(workflow(page).get_by_role("button")).to_have_count(0)  # no moves, and no approving one's own

        # A service delivered meanwhile.
        services = section(page, "assistance")
        services.locator("[name=service_code]").select_option(label="Airport assistance")
        services.locator("[name=status]").select_option("delivered")
        services.locator("[name=date]").fill(date.today().isoformat())
        services.locator("[name=provider]").fill("Tunis-Carthage airport desk")
        services.locator("[name=cost]").fill("120")
        services.locator("[name=currency]").fill("usd")
        submit(page, services.get_by_role("button", name="Record service"))
        expect(page).to_have_url(re.compile(r"#assistance$"))
        service_row = services.locator("tbody tr").filter(has_text="Airport assistance")
        expect(service_row).to_have_count(1)
        expect(service_row).to_contain_text("delivered")
        expect(service_row).to_contain_text(date.today().isoformat())
        expect(service_row).to_contain_text("Tunis-Carthage airport desk")
        expect(service_row).to_contain_text(re.compile(r"120(\.0+)? USD"))

        page.screenshot(path=SCREENSHOT, full_page=True)

        # The supervisor, in another browser, approves from the case page.
        supervisor = second_context.new_page()
        login(supervisor, SUPERVISOR)
        supervisor.goto(case.url)
        expect(workflow(supervisor).locator(".notice")).to_contain_text("Travel approved")
        workflow(supervisor).get_by_label("Comment").fill("Documents checked.")
        submit(supervisor, workflow(supervisor).get_by_role("button", name="Approve", exact=True))
        expect(supervisor).to_have_url(case.url)
        expect(state(supervisor)).to_have_text("Travel approved")

        # Back as the caseworker: departure, reintegration, closure.
        page.reload()
        expect(state(page)).to_have_text("Travel approved")
        expect(workflow(page).locator(".notice")).to_have_count(0)

        save_details(page, departure_date=date.today().isoformat(), flight_details="TU 8712 via Istanbul")
        move(page, "Record departure")
        expect(state(page)).to_have_text("Departed")

        save_details(page, reintegration_plan="Small shop in Benin City; psychosocial follow-up.")
        move(page, "Start reintegration")
        expect(state(page)).to_have_text("Reintegration")

        submit(page, task_row(page, task_title).get_by_role("button", name="Mark done"))
        row = task_row(page, task_title)
        expect(row).to_contain_text(f"done {date.today().isoformat()}")
        expect(row).not_to_have_class(re.compile(r"\boverdue\b"))
        expect(row.get_by_text("overdue")).to_have_count(0)
        expect(row.get_by_role("button", name="Mark done")).to_have_count(0)

        save_details(page, closure_reason="reintegration_completed")
        end_case(page, "Close case", "Reintegration completed; follow-up visit done.")
        expect(state(page)).to_have_text("Closed")
        expect(page.locator("dl.facts")).to_contain_text(f"(closed {date.today().isoformat()})")
        expect(workflow(page)).to_contain_text("This case has ended: Closed")
        expect(workflow(page)).to_contain_text("Reintegration completed; follow-up visit done.")
        expect(workflow(page).get_by_role("button")).to_have_count(0)
        # The delivered service is still listed on the closed case.
        expect(section(page, "assistance").locator("tbody tr").filter(has_text="Airport assistance")) \
            .to_have_count(1)

        page.goto("/dashboard")
        expect(page.locator("tr.overdue").filter(has_text=task_title)).to_have_count(0)

        page.goto(case.url)
        section(page, "timeline").get_by_role("link", name="Show every event of this case").click()
        expect(page).to_have_url(case.url + "/timeline")
        events = page.locator("ol.timeline li")
        for text, actor in [
            ("Moved from Intake to Return counselling", CASEWORKER_NAME),
            ("Moved from Return counselling to Eligibility assessment", CASEWORKER_NAME),
            ("Moved from Eligibility assessment to Travel documents", CASEWORKER_NAME),
            ("Approval asked to move from Travel documents to Travel approved", CASEWORKER_NAME),
            ("Move from Travel documents to Travel approved approved", SUPERVISOR_NAME),
            ("Moved from Travel documents to Travel approved", SUPERVISOR_NAME),
            ("Moved from Travel approved to Departed", CASEWORKER_NAME),
            ("Moved from Departed to Reintegration", CASEWORKER_NAME),
            ("Moved from Reintegration to Closed", CASEWORKER_NAME),
            ("Service delivered: Airport assistance", CASEWORKER_NAME),
            ("Task completed", CASEWORKER_NAME),
        ]:
            event = events.filter(has=page.locator("strong", has_text=re.compile(f"^{re.escape(text)}$")))
            expect(event, f"timeline entry {text!r}").to_have_count(1)
            expect(event).to_contain_text(actor)
        # Newest first; the reads of the case are one line, not one an event.
        texts = [t.strip() for t in events.locator("strong").all_inner_texts()]
        assert texts.index("Moved from Reintegration to Closed") \
            < texts.index("Moved from Travel approved to Departed") \
            < texts.index("Move from Travel documents to Travel approved approved") \
            < texts.index("Approval asked to move from Travel documents to Travel approved"), texts
        assert len([t for t in texts if t.startswith("Viewed by")]) == 1, texts
        expect(events.filter(has_text="Viewed by 2 people")).to_have_count(1)


class TestCounterTraffickingCase:
    def test_identification_to_closed_with_closure_approved_from_the_inbox(
        self, page: Page, second_context: BrowserContext, login,
    ) -> None:
        login(page, CASEWORKER)
        case = register_and_open_case(page, given="Grace", family=unique_family("Survivor"),
                                      programme="counter_trafficking")
        expect(state(page)).to_have_text("Identification")

        save_details(page, identification_date=(date.today() - timedelta(days=10)).isoformat(),
                     identified_by="ngo", consent_to_assistance="true")
        move(page, "Start assistance")
        expect(state(page)).to_have_text("Protection and assistance")

        save_details(page, risk_assessment="medium", shelter_needed="true")
        move(page, "Move to recovery")
        expect(state(page)).to_have_text("Recovery and reintegration")

        save_details(page, closure_reason="recovery_completed")
        end_case(page, "Close case (needs approval)", "Recovery plan completed.")
        expect(state(page)).to_have_text("Recovery and reintegration")
        notice = workflow(page).locator(".notice")
        expect(notice).to_contain_text("Waiting for a supervisor to approve the move to Closed.")
        expect(notice).to_contain_text("Reason (Leila Mansour): Recovery plan completed.")
        expect(workflow(page).get_by_role("button")).to_have_count(0)

        supervisor = second_context.new_page()
        login(supervisor, SUPERVISOR)
        supervisor.get_by_role("link", name="Inbox").click()
        expect(supervisor).to_have_url(re.compile(r"/inbox$"))
        row = approvals_row(supervisor, case.number)
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Recovery and reintegration → Closed")
        expect(row).to_contain_text(f"Grace {case.person.split(' ', 1)[1]}")
        expect(row).to_contain_text("Reason: Recovery plan completed.")
        row.get_by_label("Comment").fill("Recovery plan completed; closure agreed.")
        submit(supervisor, row.get_by_role("button", name="Approve", exact=True))
        expect(supervisor).to_have_url(re.compile(r"/inbox$"))
        expect(approvals_row(supervisor, case.number)).to_have_count(0)

        page.reload()
        expect(state(page)).to_have_text("Closed")
        expect(workflow(page)).to_contain_text("This case has ended: Closed")
        expect(workflow(page)).to_contain_text("Recovery plan completed.")
        expect(workflow(page).get_by_role("button")).to_have_count(0)

        section(page, "timeline").get_by_role("link", name="Show every event of this case").click()
        events = page.locator("ol.timeline li")
        expect(events.filter(has_text="Move from Recovery and reintegration to Closed approved")) \
            .to_contain_text(SUPERVISOR_NAME)
        expect(events.filter(has_text="Approval asked to move from Recovery and reintegration to Closed")) \
            .to_contain_text(CASEWORKER_NAME)


class TestTransferBetweenOffices:
    def test_agadez_accepts_a_case_from_tunis_which_then_no_longer_sees_it(
        self, page: Page, second_context: BrowserContext, login,
    ) -> None:
        login(page, CASEWORKER)
        case = register_and_open_case(page, given="Aminata", family=unique_family("Mover"), programme="avrr")

        transfer = section(page, "transfer")
        transfer.get_by_label("Transfer to office").select_option(label=AGADEZ)
        transfer.get_by_label("Reason").fill("Moved to Agadez to join her sister")
        submit(page, transfer.get_by_role("button", name="Request transfer"))
        expect(page).to_have_url(re.compile(r"#transfer$"))
        expect(transfer.locator(".notice")).to_have_text(
            f"Transfer requested to {AGADEZ} — waiting for the receiving office.")
        expect(page.locator("dl.facts")).to_contain_text(TUNIS)  # nothing moves before the other office accepts

        agadez = second_context.new_page()
        login(agadez, AGADEZ_CASEWORKER)
        response = agadez.goto(case.url)
        assert response is not None and response.status == 404  # not theirs until accepted
        agadez.get_by_role("link", name="Inbox").click()
        expect(agadez).to_have_url(re.compile(r"/inbox$"))
        row = agadez.get_by_role("row").filter(has=agadez.get_by_role("cell", name=case.number, exact=True))
        expect(row).to_have_count(1)
        expect(row).to_contain_text(TUNIS)
        expect(row).to_contain_text("Moved to Agadez to join her sister")
        # The receiving office sees the case number, never who the case is about.
        expect(agadez.locator("main")).not_to_contain_text(case.person.split()[1])

        submit(agadez, row.get_by_role("button", name="Accept", exact=True))
        expect(agadez).to_have_url(case.url)
        expect(agadez.get_by_role("heading", level=1)).to_have_text(f"Case {case.number}")
        expect(agadez.get_by_role("link", name=case.person, exact=True)).to_be_visible()
        facts = agadez.locator("dl.facts")
        expect(facts).to_contain_text(AGADEZ)
        expect(facts).to_contain_text(AGADEZ_CASEWORKER_NAME)

        response = page.goto(case.url)
        assert response is not None
        assert response.status == 404
        expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
        expect(page.get_by_text(case.person)).to_have_count(0)


def save_from_a_stale_tab(page: Page, context: BrowserContext) -> tuple[OpenedCase, Page, Locator]:
    """Open a new case in two tabs, save the country of return in the first, then other values in the second.

    Returns the case, the second tab (showing the refusal) and its "Programme details" section.
    """
    case = register_and_open_case(page, given="Hawa", family=unique_family("Twotabs"), programme="avrr")
    first = page
    second = context.new_page()  # same login, another tab opened on the same case
    second.goto(case.url)
    first.goto(case.url)

    save_details(first, country_of_return="NGA")

    details = section(second, "details")
    details.locator("[name=field_country_of_return]").fill("GHA")
    details.locator("[name=field_return_destination_city]").fill("Kumasi")
    submit(second, details.get_by_role("button", name="Save details"), status=409)
    return case, second, details


class TestStaleEdit:
    def test_second_save_from_an_old_page_is_refused_with_what_changed(
        self, page: Page, context: BrowserContext, login, live_server,
    ) -> None:
        login(page, CASEWORKER)
        case, _second, details = save_from_a_stale_tab(page, context)

        alert = details.get_by_role("alert")
        expect(alert).to_contain_text("Someone else changed this case")
        expect(alert).to_contain_text("Your changes were not saved.")
        # What changed since the second tab was opened: the first tab's save, by field.
        expect(alert.locator("li").filter(has_text=re.compile(r"case\.update: country_of_return$"))) \
            .to_have_count(1)
        # The form keeps what was typed, to be checked against the current case and saved again.
        expect(details.locator("[name=field_country_of_return]")).to_have_value("GHA")
        expect(details.locator("[name=field_return_destination_city]")).to_have_value("Kumasi")

        with live_server.engine.connect() as conn:
            stored = conn.scalar(select(Case.data).where(Case.id == case.id))
        assert stored == {"country_of_return": "NGA"}
        page.reload()
        expect(page.locator("[name=field_country_of_return]")).to_have_value("NGA")
        expect(page.locator("[name=field_return_destination_city]")).to_have_value("")

    def test_what_changed_lists_only_changes_not_page_views(
        self, page: Page, context: BrowserContext, login,
    ) -> None:
        login(page, CASEWORKER)
        _case, _second, details = save_from_a_stale_tab(page, context)
        changes = details.get_by_role("alert").locator("li")
        # Only the first tab's save changed the case; showing it (after the save's redirect) changed nothing.
        assert len(changes.all_inner_texts()) == 1, changes.all_inner_texts()
