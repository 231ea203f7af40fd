"""The service directory on a phone: a caseworker finds a legal-aid service near a person that speaks their
language, on a 390 px wide screen, without scrolling sideways."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from crossroads.db.session import unit_of_work
from tests.browser.conftest import TIMEOUT_MS, log_in
from tests.browser.test_caseworker_flow import CASEWORKER
from tests.factories import directory as df

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def directory(live_server):
    with unit_of_work(live_server.engine) as session:
        df.directory(session)


@pytest.fixture
def phone(browser, live_server, directory):
    context = browser.new_context(base_url=live_server.base_url, locale="en-US", viewport=PHONE,
                                  is_mobile=True, has_touch=True)
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_caseworker_finds_legal_aid_near_a_person_in_their_language(phone):
    log_in(phone, CASEWORKER)
    phone.goto("/directory")
    assert fits_the_screen(phone)
    phone.get_by_label("Need").select_option("legal_aid")
    phone.get_by_label("Near (latitude, longitude)").fill("36.80,10.18")
    phone.get_by_label("Language (ISO 639-1 code)").fill("ar")
    phone.get_by_role("button", name="Search").click()
    results = phone.locator(".service-card")
    # The demo's own legal-aid service in Tunis is listed too, a little further away.
    expect(results.first).to_contain_text("Legal advice in Tunis")
    expect(results.first).to_contain_text("km away")
    names = [text.splitlines()[0] for text in results.all_inner_texts()]
    assert names.index("Legal advice in Tunis") < names.index("Asylum counselling in Sfax")
    assert fits_the_screen(phone)
    results.first.get_by_role("link").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Legal advice in Tunis")
    expect(phone.get_by_role("link", name="+216 71 000 001")).to_be_visible()
    assert fits_the_screen(phone)


def test_a_bad_point_is_explained(phone):
    log_in(phone, CASEWORKER)
    phone.goto("/directory")
    phone.get_by_label("Near (latitude, longitude)").fill("100,101")
    phone.get_by_role("button", name="Search").click()
    expect(phone.get_by_role("alert")).to_have_text("the latitude must be between -90 and 90")
