"""Finding a person on a phone: the menu, another spelling of the name, and the person's page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from crossroads.auth.models import Office
from crossroads.kit.names import name_tokens
from crossroads.people.models import Person
from tests.browser.test_caseworker_flow import CASEWORKER

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def someone(live_server) -> Person:
    """A demo person of the caseworker's office whose name is written in Latin letters."""
    with Session(live_server.engine) as session:
        people = session.scalars(
            select(Person).join(Office, Office.id == Person.office_id)
            .where(Office.code == "TUN", Person.merged_into_id.is_(None)).order_by(Person.created_at)).all()
        person = next(p for p in people if p.given_name.isascii() and p.family_name.isascii()
                      and len(name_tokens(p.family_name)) == 1)
        session.expunge(person)
        return person


class TestPeopleSearchOnAPhone:
    def test_finds_a_person_by_family_and_given_name_swapped_and_opens_their_page(self, new_context, login,
                                                                                 someone):
        context = new_context()
        try:
            page = context.new_page()
            page.set_viewport_size(PHONE)
            login(page, CASEWORKER)
            page.get_by_role("link", name="Find a person").click()
            expect(page).to_have_url(re.compile(r"/people$"))
            page.get_by_label("Name, document or phone").fill(f"{someone.family_name.lower()} "
                                                              f"{someone.given_name.upper()}")
            page.get_by_role("button", name="Search").click()
            link = page.get_by_role("link", name=f"{someone.given_name} {someone.family_name}").first
            expect(link).to_be_visible()
            # Nothing runs off the side of a 390 px screen: no sideways scrolling.
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            link.click()
            expect(page).to_have_url(re.compile(r"/people/[0-9a-f-]{36}$"))
            expect(page.get_by_role("heading", level=1)).to_contain_text(someone.family_name)
        finally:
            context.close()
