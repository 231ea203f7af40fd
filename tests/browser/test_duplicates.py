"""Duplicates in a real browser: the registration form shows a likely duplicate with its reasons before saving,
and a supervisor merges the two records from the review queue and undoes it."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from crossroads.auth.models import Office
from crossroads.dedup.models import MatchCandidate
from crossroads.people.models import Person
from tests.browser.test_caseworker_flow import CASEWORKER, fill_person

pytestmark = pytest.mark.browser

SUPERVISOR = "supervisor@example.org"  # offices TUN and AGZ
PERSON_URL = re.compile(r"/people/[0-9a-f-]{36}$")


@pytest.fixture(scope="module")
def registered(live_server) -> Person:
    """A demo person of the caseworker's office with a full date of birth."""
    with Session(live_server.engine) as session:
        person = session.scalar(
            select(Person).join(Office, Office.id == Person.office_id)
            .where(Office.code == "TUN", Person.date_of_birth.is_not(None), ~Person.date_of_birth_estimated,
                   Person.nationality.is_not(None), Person.merged_into_id.is_(None))
            .order_by(Person.created_at).limit(1))
        session.expunge(person)
        return person


def pair_of(live_server, a: uuid.UUID, b: uuid.UUID) -> int:
    """The review queue's pair of these two people, which registering the second one queued."""
    lo, hi = sorted((a, b), key=str)
    with Session(live_server.engine) as session:
        return session.scalar(select(MatchCandidate.id).where(MatchCandidate.person_a_id == lo,
                                                              MatchCandidate.person_b_id == hi))


def register_again(page: Page, person: Person) -> None:
    """The same person as another office would write them: given and family names swapped."""
    page.goto("/people/new")
    fill_person(page, given=person.family_name, family=person.given_name, sex=person.sex.value,
                nationality=person.nationality, date_of_birth=person.date_of_birth.isoformat())
    page.get_by_role("button", name="Register", exact=True).click()


def register_anyway(page: Page) -> None:
    page.get_by_label("Why is this a different person?").fill("Met both: different parents and villages.")
    page.get_by_role("button", name="Register anyway").click()


class TestRegistrationShowsDuplicates:
    def test_candidate_with_reasons_before_saving_then_register_anyway(self, page, login, registered):
        login(page, CASEWORKER)
        register_again(page, registered)

        duplicates = page.locator("#duplicates")
        expect(duplicates).to_be_visible()
        candidate = duplicates.locator("li.candidate").filter(
            has_text=f"{registered.given_name} {registered.family_name}")
        expect(candidate).to_have_count(1)
        expect(candidate.locator(".agrees")).to_contain_text("same date of birth")
        expect(candidate.locator(".agrees")).to_contain_text("same nationality")
        expect(candidate.locator(".differs")).to_contain_text("given and family names swapped")
        expect(candidate).to_contain_text("the same person")
        same = candidate.get_by_role("link", name="This is the same person: open their record")
        expect(same).to_have_attribute("href", f"/people/{registered.id}")
        # Nothing is saved yet: the form is still there, filled in.
        expect(page.locator("[name=given_name]")).to_have_value(registered.family_name)

        register_anyway(page)
        expect(page).to_have_url(PERSON_URL)


class TestSupervisorMergesAndUnmerges:
    def test_review_queue_merge_banner_and_unmerge(self, page, login, registered, live_server):
        login(page, CASEWORKER)
        register_again(page, registered)
        register_anyway(page)
        expect(page).to_have_url(PERSON_URL)
        second = page.url
        page.get_by_role("button", name="Log out").click()

        pair_id = pair_of(live_server, registered.id, uuid.UUID(second.rsplit("/", 1)[1]))

        login(page, SUPERVISOR)
        page.goto("/dedup/review")
        page.locator(f'a[href="/dedup/review/{pair_id}"]').click()
        expect(page.locator("#person-a")).to_be_visible()
        expect(page.locator("#person-b")).to_be_visible()

        page.get_by_role("button", name=f"Keep {registered.given_name} {registered.family_name}").click()
        expect(page).to_have_url(re.compile(f"/people/{registered.id}$"))
        expect(page.locator(".merge-banner")).to_be_visible()
        page.goto(second)
        expect(page).to_have_url(re.compile(f"/people/{registered.id}$"))

        page.locator(".merge-banner").get_by_role("button", name="Unmerge").click()
        expect(page).to_have_url(second)
        expect(page.get_by_role("heading", level=1)).to_have_text(
            f"{registered.family_name} {registered.given_name}")
