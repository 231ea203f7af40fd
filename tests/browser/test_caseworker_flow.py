"""A caseworker's day in a real browser: register a person, add a child, open a case, note it, find it.

Plus: office scoping as seen by another office, form errors, administration, and right-to-left Arabic.
"""

from __future__ import annotations

import re
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import func, select

from crossroads.people.models import Person

pytestmark = pytest.mark.browser

CASEWORKER = "caseworker@example.org"  # office TUN
OTHER_OFFICE_CASEWORKER = "caseworker2@example.org"  # office AGZ
ADMIN = "admin@example.org"
# Left in the system temporary directory for a human to look at after a run; not an assertion.
SCREENSHOT = Path(tempfile.gettempdir()) / "crossroads-case-list.png"

CASE_NUMBER_HEADING = re.compile(r"^Case (\S+)$")


@dataclass(frozen=True)
class OpenedCase:
    url: str
    number: str


def fill_person(page: Page, *, given: str, family: str, sex: str, nationality: str, prefix: str = "",
                date_of_birth: str | None = None, aliases: str | None = None, languages: str | None = None,
                phone: str | None = None) -> None:
    """Fill the shared person fields; `prefix` is "member_" in the household form."""

    def field(name: str):
        return page.locator(f"[name={prefix}{name}]")

    field("given_name").fill(given)
    field("family_name").fill(family)
    field("sex").select_option(sex)
    field("nationality").select_option(nationality)
    if date_of_birth is not None:
        field("date_of_birth").fill(date_of_birth)
    if aliases is not None:
        field("aliases").fill(aliases)
    if languages is not None:
        field("languages").fill(languages)
    if phone is not None:
        field("phone").fill(phone)


def submit_registration(page: Page) -> None:
    page.get_by_role("button", name="Register", exact=True).click()


def open_case(page: Page, programme: str) -> OpenedCase:
    """On a person page: open a case and return its address and number from the case page."""
    page.locator("select[name=programme]").select_option(programme)
    page.get_by_role("button", name="Open case").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(CASE_NUMBER_HEADING)
    match = CASE_NUMBER_HEADING.match(heading.inner_text().strip())
    assert match, heading.inner_text()
    return OpenedCase(url=page.url, number=match.group(1))


def case_count_text(page: Page) -> str:
    """The "N cases" line of the case list."""
    count = page.locator("main p.muted").filter(has_text=re.compile(r"^\d+ cases?$"))
    expect(count).to_have_count(1)
    return count.inner_text().strip()


def search_cases(page: Page, query: str) -> None:
    page.locator("[name=q]").fill(query)
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/cases\?"))


def case_row(page: Page, number: str):
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=number, exact=True))


@pytest.fixture(scope="module")
def tun_case(new_context: Callable[[], BrowserContext], login) -> Iterator[OpenedCase]:
    """A case opened by the Tunis caseworker, for tests that need one regardless of order."""
    context = new_context()
    try:
        page = context.new_page()
        login(page, CASEWORKER)
        page.goto("/people/new")
        fill_person(page, given="Mariam", family="Scopetest", sex="female", nationality="ERI",
                    date_of_birth="1994-03-02")
        submit_registration(page)
        expect(page.get_by_role("heading", level=1)).to_have_text("Mariam Scopetest")
        yield open_case(page, "legal_counselling")
    finally:
        context.close()


class TestCaseworkerFlow:
    def test_register_add_child_open_case_note_and_find_by_latin_spelling(self, page: Page, login) -> None:
        login(page, CASEWORKER)

        page.get_by_role("link", name="Register a person").click()
        expect(page).to_have_url(re.compile(r"/people/new$"))
        fill_person(page, given="فاطمة", family="الحسن", sex="female", nationality="SYR",
                    date_of_birth="1988-05-17", aliases="Fatima Al-Hassan\nFatma Alhasan", languages="ar",
                    phone="+963944123456")
        page.locator("[name=document_type_0]").select_option("passport")
        page.locator("[name=document_number_0]").fill("N0123456")
        page.locator("[name=document_country_0]").select_option("SYR")
        submit_registration(page)

        expect(page).to_have_url(re.compile(r"/people/[0-9a-f-]{36}$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("فاطمة الحسن")
        expect(page.get_by_text("Fatima Al-Hassan", exact=True)).to_be_visible()
        expect(page.get_by_role("row").filter(has_text="N0123456")).to_contain_text("Passport")

        household = page.locator("details").filter(has_text="Add a household member")
        household.get_by_text("Add a household member").click()
        household.locator("select[name=relationship]").select_option("child")
        fill_person(page, prefix="member_", given="عمر", family="الحسن", sex="male", nationality="SYR",
                    date_of_birth="2016-09-01")
        household.get_by_role("button", name="Add to household").click()

        expect(page).to_have_url(re.compile(r"/people/[0-9a-f-]{36}#household$"))
        child_row = page.get_by_role("row").filter(has=page.get_by_role("link", name="عمر الحسن"))
        expect(child_row).to_contain_text("Son or daughter")
        expect(child_row).to_contain_text("2016-09-01")

        case = open_case(page, "avrr")
        expect(page.get_by_role("link", name="فاطمة الحسن")).to_be_visible()

        page.locator("nav.sections").get_by_role("link", name="Notes").click()  # unfolds the section
        page.locator("textarea[name=body]").fill("First interview held.")
        page.get_by_role("button", name="Add note").click()
        expect(page).to_have_url(re.compile(r"#notes$"))
        expect(page.get_by_text("First interview held.", exact=True)).to_be_visible()

        page.get_by_role("link", name="Cases", exact=True).click()
        search_cases(page, "Fatima")
        row = case_row(page, case.number)
        expect(row).to_have_count(1)
        expect(row).to_contain_text("فاطمة الحسن")
        expect(row).to_contain_text("Assisted voluntary return and reintegration")

        # Lower case and no hyphen: the folded search key still finds the second spelling.
        search_cases(page, "fatma alhasan")
        expect(case_row(page, case.number)).to_have_count(1)

        page.screenshot(path=SCREENSHOT, full_page=True)


class TestOfficeScoping:
    def test_caseworker_of_another_office_gets_not_found_and_does_not_list_the_case(
        self, page: Page, login, tun_case: OpenedCase,
    ) -> None:
        login(page, OTHER_OFFICE_CASEWORKER)

        response = page.goto(tun_case.url)
        assert response is not None
        assert response.status == 404
        expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
        expect(page.get_by_text(tun_case.number)).to_have_count(0)

        page.goto("/cases")
        expect(case_row(page, tun_case.number)).to_have_count(0)
        search_cases(page, tun_case.number)
        expect(page.get_by_text("No cases match.")).to_be_visible()
        assert case_count_text(page) == "0 cases"

    def test_caseworker_of_the_office_sees_the_case(self, page: Page, login, tun_case: OpenedCase) -> None:
        # The control for the test above: the same address works for the case's own office.
        login(page, CASEWORKER)
        response = page.goto(tun_case.url)
        assert response is not None
        assert response.status == 200
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Case {tun_case.number}")


class TestRegistrationErrors:
    def test_future_birth_date_is_shown_beside_the_field_and_nothing_is_registered(
        self, page: Page, login, live_server,
    ) -> None:
        family = "Futuredate" + uuid.uuid4().hex[:6]

        def people_named() -> int:
            with live_server.engine.connect() as conn:
                return conn.scalar(select(func.count()).select_from(Person).where(Person.family_name == family))

        login(page, CASEWORKER)
        page.goto("/cases")
        count_before = case_count_text(page)

        page.goto("/people/new")
        fill_person(page, given="Zaynab", family=family, sex="female", nationality="SDN")
        page.locator("input[name=date_of_birth]").fill("2999-01-01")
        with page.expect_response(lambda r: r.url.endswith("/people/new") and r.request.method == "POST") as info:
            submit_registration(page)
        assert info.value.status == 422

        expect(page.get_by_role("alert")).to_contain_text("Please correct the fields marked below.")
        dob_label = page.locator("label").filter(has=page.locator("input[name=date_of_birth]"))
        expect(dob_label.locator(".field-error")).to_have_text("must be between 1900-01-01 and today")
        # The rest of what was typed is kept for the correction.
        expect(page.locator("[name=family_name]")).to_have_value(family)
        expect(page.locator("[name=date_of_birth]")).to_have_value("2999-01-01")

        page.goto("/cases")
        assert case_count_text(page) == count_before
        assert people_named() == 0


    def test_in_spanish_the_error_is_the_fields_description_and_a_reload_shows_the_form(
        self, page: Page, login,
    ) -> None:
        login(page, CASEWORKER)
        page.goto("/people/new?lang=es")
        fill_person(page, given="Zaynab", family="Yusuf" + uuid.uuid4().hex[:6], sex="female", nationality="SDN")
        page.locator("input[name=date_of_birth]").fill("2999-01-01")
        page.get_by_role("button", name="Registrar", exact=True).click()

        date_of_birth = page.locator("[name=date_of_birth]")
        expect(date_of_birth).to_have_attribute("aria-invalid", "true")
        expect(date_of_birth).to_have_accessible_description("debe estar entre 1900-01-01 y hoy")
        expect(page.locator("[name=sex]")).to_have_value("female")
        expect(page.locator("[name=sex] option:checked")).to_have_text("Mujer")
        # The summary at the top links to the field.
        page.locator(".error-summary").get_by_role("link").click()
        expect(page).to_have_url(re.compile(r"#date_of_birth$"))

        # Opening the address of the refused post again (a GET) shows the form, not "Method Not Allowed".
        page.goto(page.url.split("#")[0])
        expect(page.get_by_role("heading", level=1)).to_have_text("Registrar a una persona")
        expect(page.locator("body")).not_to_contain_text("Method Not Allowed")


class TestAdministration:
    def test_admin_creates_an_office_and_a_user_who_can_then_log_in(self, page: Page, login) -> None:
        suffix = uuid.uuid4().hex[:4].upper()
        code, office_name = f"SFX{suffix}", f"Sfax field office {suffix}"
        email, password = f"new.caseworker.{suffix.lower()}@example.org", "a-long-new-password-" + suffix

        login(page, ADMIN)
        page.get_by_role("link", name="Offices, organisations and user accounts").click()
        expect(page).to_have_url(re.compile(r"/admin$"))

        office_form = page.locator("form#new-office")
        office_form.get_by_label("Organisation").select_option(label="Crossroads Migration Agency")
        office_form.get_by_label("Code").fill(code)
        office_form.get_by_label("Name").fill(office_name)
        office_form.get_by_label("City").fill("Sfax")
        office_form.get_by_label("Country (ISO alpha-3)").fill("TUN")
        office_form.get_by_role("button", name="Create office").click()
        expect(page).to_have_url(re.compile(r"/admin$"))
        expect(page.get_by_role("row").filter(has_text=office_name)).to_contain_text(code)

        user_form = page.locator("form#new-user")
        user_form.get_by_label("E-mail").fill(email)
        user_form.get_by_label("Name").fill("Nadia Testuser")
        user_form.get_by_label("Role").select_option("caseworker")
        user_form.get_by_label("Organisation").select_option(label="Crossroads Migration Agency")
        user_form.get_by_label(f"{code} — {office_name}").check()
        user_form.get_by_label("Initial password").fill(password)
        user_form.get_by_role("button", name="Create user").click()
        expect(page).to_have_url(re.compile(r"/admin$"))
        expect(page.get_by_role("row").filter(has_text=email)).to_contain_text("Nadia Testuser")

        page.get_by_role("button", name="Log out").click()
        expect(page).to_have_url(re.compile(r"/login$"))

        login(page, email, password)
        expect(page.locator("#my-work")).to_contain_text("0 open cases assigned to you")
        page.get_by_role("link", name="Cases", exact=True).click()
        expect(page).to_have_url(re.compile(r"/cases$"))
        expect(page.get_by_role("link", name="Register a person")).to_be_visible()
        # A new office has no cases yet.
        assert case_count_text(page) == "0 cases"


class TestLanguages:
    def test_arabic_login_page_is_right_to_left(self, page: Page) -> None:
        page.goto("/login?lang=ar")
        html = page.locator("html")
        expect(html).to_have_attribute("lang", "ar")
        expect(html).to_have_attribute("dir", "rtl")
