"""Learning from reviewers in a real browser: a supervisor answers the pairs the engine learns most from, learns
a new version of the model from the decisions, reads its comparison with the active one, activates it and rolls
it back."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from crossroads.auth.models import Office, User
from crossroads.auth.service import principal_for
from crossroads.db.session import unit_of_work
from crossroads.dedup.models import CandidateStatus, MatchCandidate, MatchModelVersion
from crossroads.demo import DEMO_DOMAIN
from crossroads.intake.service import register_person
from crossroads.people.models import Person
from crossroads.people.schemas import PersonCreate

pytestmark = pytest.mark.browser

SUPERVISOR = f"supervisor@{DEMO_DOMAIN}"
PAIRS = 4


@pytest.fixture(scope="module")
def queued(live_server) -> list[int]:
    """Open pairs on the queue: demo people registered again with their names swapped, as another office would."""
    with unit_of_work(live_server.engine) as session:
        supervisor = principal_for(session, session.scalar(select(User).where(User.email == SUPERVISOR)))
        tunis = session.scalar(select(Office).where(Office.code == "TUN"))
        people = session.scalars(select(Person).where(
            Person.office_id == tunis.id, Person.date_of_birth.is_not(None), Person.merged_into_id.is_(None))
            .order_by(Person.created_at.desc()).limit(PAIRS)).all()
        ids = []
        for known in people:
            again = register_person(session, principal=supervisor, data=PersonCreate(
                given_name=known.family_name, family_name=known.given_name, sex=known.sex,
                date_of_birth=known.date_of_birth, nationality=known.nationality, office_id=tunis.id))
            lo, hi = sorted((known.id, again.id), key=str)
            ids.append(session.scalar(select(MatchCandidate.id).where(MatchCandidate.person_a_id == lo,
                                                                      MatchCandidate.person_b_id == hi)))
        assert all(ids), "registering the same person again queued no pair to review"
        # One decision in five (by id) is held out and never trains: at least one of these must train.
        assert any(i % 5 for i in ids)
        return ids


def answer_next(page: Page, queued: list[int]) -> int:
    """Open the first of our pairs in the teaching order and say they are the same person."""
    page.goto("/dedup/review?order=teaching")
    expect(page.get_by_role("link", name="Pairs the engine learns most from")).to_have_attribute("aria-current",
                                                                                                 "true")
    links = page.locator("a[href^='/dedup/review/']")
    hrefs = [links.nth(i).get_attribute("href") or "" for i in range(links.count())]
    mine = [h for h in hrefs if int(h.split("/")[-1].split("?")[0]) in queued]
    assert mine, "none of the open pairs is in the teaching order"
    page.locator(f"a[href='{mine[0]}']").click()
    expect(page.locator("#person-a")).to_be_visible()
    expect(page.locator(".evidence .agrees")).to_contain_text("same nationality")
    page.get_by_role("button", name="Same person").click()
    expect(page).to_have_url(re.compile(r"/dedup/review\?order=teaching$"))
    return int(mine[0].split("/")[-1].split("?")[0])


def test_supervisor_teaches_the_engine_and_activates_the_new_version(page, login, live_server, queued):
    login(page, SUPERVISOR)
    answered = [answer_next(page, queued) for _ in range(PAIRS)]
    assert sorted(answered) == sorted(queued)

    page.goto("/dedup/models")
    page.get_by_role("button", name="Learn a new version from the decisions").click()
    expect(page).to_have_url(re.compile(r"/dedup/models/reviewed-[\w.+-]+$"))
    version = page.url.rsplit("/", 1)[1]
    expect(page.get_by_text("This version is not active.")).to_be_visible()
    comparison = page.locator("#comparison")
    expect(comparison).to_contain_text("This version")
    expect(comparison).to_contain_text("Log-loss")

    page.get_by_role("button", name="Activate this version").click()
    expect(page).to_have_url(re.compile(f"/dedup/models/{re.escape(version)}$"))
    expect(page.get_by_text("This version is active.")).to_be_visible()
    with Session(live_server.engine) as session:
        active = session.scalar(select(MatchModelVersion).where(MatchModelVersion.active))
        assert active.version == version and active.labels is not None
        decided = session.scalars(select(MatchCandidate).where(MatchCandidate.id.in_(queued))).all()
        assert {c.status for c in decided} == {CandidateStatus.CONFIRMED}
        assert all(c.decided_gamma for c in decided)

    # Back to the version it replaced, so the other browser tests score with the model they expect.
    page.goto("/dedup/models")
    page.get_by_role("button", name="Roll back to the version the active one replaced").click()
    expect(page.get_by_text("This version is active.")).to_be_visible()
    with Session(live_server.engine) as session:
        assert session.scalar(select(MatchModelVersion.version).where(MatchModelVersion.active)) != version
