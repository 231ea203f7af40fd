"""Every HTML page, as every demo role, in every language: accessible, small, and readable on a phone.

For each role one browser context (a 390×844 phone screen) logs in and walks every GET route of the app, its
path filled with records that role can see, in each locale of web/i18n.py's SUPPORTED. Each page must have no
serious or critical axe-core violation of WCAG 2.2 A/AA, at most 100 KB of HTML, no sideways scrolling, and
every date with its time laid out left to right, in Arabic too.
"""

from __future__ import annotations

import itertools
import json
import re
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from fastapi.routing import iter_route_contexts
from playwright.sync_api import Browser, BrowserContext, Page
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crossroads.app import create_app
from crossroads.auth.models import Office, User
from crossroads.auth.service import principal_for
from crossroads.cases.models import Case, CaseNote
from crossroads.config import Settings
from crossroads.db.session import make_engine, unit_of_work
from crossroads.dedup.learning import train_version
from crossroads.dedup.models import CandidateStatus, MatchCandidate
from crossroads.dedup.review import decide_candidate
from crossroads.demo import DEMO_DOMAIN, LOGINS
from crossroads.disclosure import service as releases
from crossroads.disclosure.models import Dataset
from crossroads.disclosure.schemas import DpTablePrepare, MicrodataPrepare
from crossroads.eligibility.models import RuleSetVersion
from crossroads.intake.service import register_person
from crossroads.people.models import Person
from crossroads.people.schemas import PersonCreate
from crossroads.web.i18n import SUPPORTED
from tests.browser.conftest import TIMEOUT_MS, log_in
from tests.browser.test_release_flow import SPEC

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
MAX_HTML_BYTES = 100 * 1024
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}
BLOCKING = {"serious", "critical"}
# One login per role; the second caseworker sees the same pages as the first, of another office.
ROLE_LOGINS = {role.value: f"{login}@{DEMO_DOMAIN}" for login, _, role, _, _ in reversed(LOGINS)}
# Left in the system temporary directory for whoever tunes the walk: pages, sizes and time per role.
FIGURES = Path(tempfile.gettempdir()) / "crossroads-every-page.json"
_axe = Axe()
# Text holding a date and a time ("2026-12-07 02:48") whose element is not laid out left to right: in an Arabic
# line the two would be shown in reverse order.
UNISOLATED_DATES = """() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const found = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (/\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}/.test(node.data)
        && getComputedStyle(node.parentElement).direction !== "ltr") found.push(node.data.trim().slice(0, 60));
  }
  return found;
}"""


def html_routes() -> list[str]:
    """The app's GET paths that can answer a page: JSON API routes, except its HTML docs, answer none."""
    app = create_app(Settings(database_url="sqlite://", secret_key="s" * 48, mode="demo"),
                     make_engine("sqlite://"))
    return sorted({r.path for r in iter_route_contexts(app.routes)
                   if "GET" in (r.methods or ()) and (not r.path.startswith("/api/") or r.path == "/api/v1/docs")
                   and r.path != "/healthz"})


@dataclass
class Walked:
    pages: int = 0
    worst_bytes: int = 0
    worst_page: str = ""
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def walk_data(live_server) -> dict[str, object]:
    """Records the demo lacks and every page needs: releases in each state and a pair on the review queue."""
    with unit_of_work(live_server.engine) as session:
        def principal(login: str):
            return principal_for(session, session.scalar(select(User).where(User.email == f"{login}@{DEMO_DOMAIN}")))

        officer, dpo, supervisor = principal("data"), principal("dpo"), principal("supervisor")
        everyone = session.scalar(select(Dataset).where(Dataset.name == "All cases"))
        trafficking = session.scalar(select(Dataset).where(Dataset.name == "Counter-trafficking cases"))
        approved = releases.prepare_microdata(session, principal=officer, data=MicrodataPrepare(
            dataset_id=everyone.id, title="Every page: approved", spec=SPEC))
        releases.submit_release(session, principal=officer, release_id=approved.id)
        releases.approve_release(session, principal=dpo, release_id=approved.id, comment="Risk report checked.")
        pending = releases.prepare_dp_table(session, principal=officer, data=DpTablePrepare(
            dataset_id=trafficking.id, title="Every page: pending", dimensions=["sex", "nationality"], epsilon=0.1))
        releases.submit_release(session, principal=officer, release_id=pending.id)
        draft = releases.prepare_microdata(session, principal=officer, data=MicrodataPrepare(
            dataset_id=everyone.id, title="Every page: draft", spec=SPEC))
        # The same person registered again with the names swapped, as another office would write them.
        tunis = session.scalar(select(Office).where(Office.code == "TUN"))
        known = session.scalar(select(Person).where(
            Person.office_id == tunis.id, Person.date_of_birth.is_not(None), Person.merged_into_id.is_(None))
            .order_by(Person.created_at).limit(1))
        again = register_person(session, principal=supervisor, data=PersonCreate(
            given_name=known.family_name, family_name=known.given_name, sex=known.sex,
            date_of_birth=known.date_of_birth, nationality=known.nationality, office_id=tunis.id))
        lo, hi = sorted((known.id, again.id), key=str)
        pair = session.scalar(select(MatchCandidate.id).where(MatchCandidate.person_a_id == lo,
                                                              MatchCandidate.person_b_id == hi))
        assert pair is not None, "registering the same person again queued no pair to review"
        # Decided pairs, and a model version learnt from them beside the active one.
        others = session.scalars(select(Person).where(
            Person.office_id == tunis.id, Person.date_of_birth.is_not(None), Person.merged_into_id.is_(None),
            Person.id != known.id).order_by(Person.created_at).limit(3)).all()
        for other in others:
            twin = register_person(session, principal=supervisor, data=PersonCreate(
                given_name=other.family_name, family_name=other.given_name, sex=other.sex,
                date_of_birth=other.date_of_birth, nationality=other.nationality, office_id=tunis.id))
            lo, hi = sorted((other.id, twin.id), key=str)
            decided = session.scalar(select(MatchCandidate.id).where(MatchCandidate.person_a_id == lo,
                                                                     MatchCandidate.person_b_id == hi))
            decide_candidate(session, principal=supervisor, candidate_id=decided, status=CandidateStatus.CONFIRMED)
        learnt = train_version(session, principal=supervisor)
        # The demo's active AVRR rules, their diff report shown on their page.
        rules = session.scalar(select(RuleSetVersion.id).where(RuleSetVersion.programme == "avrr"))
        return {"release_id": [str(approved.id), str(pending.id), str(draft.id)],
                "dataset_id": [str(trafficking.id)], "candidate_id": [str(pair)], "name": ["release.csv"],
                "code": ["counter_trafficking"], "version": [learnt.version, str(learnt.parent_version)],
                "rule_set_id": [str(rules)]}


def role_values(live_server, walk_data: dict[str, object], email: str) -> dict[str, list[str]]:
    """Path values this user can see: their offices' busiest case and its person, or any when they have none."""
    with Session(live_server.engine) as session:
        user = session.scalar(select(User).where(User.email == email))
        principal = principal_for(session, user)
        offices = principal.office_ids or set(session.scalars(select(Office.id)))
        notes = select(func.count(CaseNote.id)).where(CaseNote.case_id == Case.id).scalar_subquery()
        # The case moved furthest through its workflow, with the most notes, has the longest page.
        case = session.execute(select(Case.id, Case.person_id).where(Case.office_id.in_(offices))
                               .order_by(Case.version.desc(), notes.desc(), Case.case_number).limit(1)).one()
        values: dict[str, list[str]] = {
            "case_id": [str(case.id)], "person_id": [str(case.person_id)],
            "office_id": [str(sorted(offices, key=str)[0])],
            # Attachments are downloads, not pages: an unknown one shows the not-found page.
            "attachment_id": [str(uuid.uuid4())],
            "user_id": [str(user.id)],
            # The confirmation page of the move that ends a case most often.
            "to_state": ["closed"],
        }
    values.update(walk_data)  # type: ignore[arg-type]
    return values


PATH_PARAMETER = re.compile(r"{(\w+)(?::\w+)?}")


def expand(path: str, values: dict[str, list[str]]) -> list[str]:
    """The path once for each combination of its parameters' values."""
    names = PATH_PARAMETER.findall(path)
    template = PATH_PARAMETER.sub(lambda m: "{" + m.group(1) + "}", path)
    return [template.format_map(dict(zip(names, combination, strict=True)))
            for combination in itertools.product(*(values.get(n, [_unknown(n)]) for n in names))]


def _unknown(name: str) -> str:
    """A value for a parameter the walk has no record for (the GET of a form-only URL, which redirects to its
    form's page): an id that matches nothing."""
    return str(uuid.uuid4()) if name.endswith("_id") else "unknown"


def with_lang(url: str, locale: str) -> str:
    return url + ("&" if "?" in url else "?") + f"lang={locale}"


# The element reaching furthest past the screen's edge, outside any box that scrolls, to name in the failure.
WIDEST_ELEMENT = """() => {
  const clipped = (el) => {
    // An absolutely placed element escapes the scrolling boxes that are not its containing block.
    if (getComputedStyle(el).position === "absolute") return false;
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== "visible") return true;
    }
    return false;
  };
  let worst = null, reach = window.innerWidth;
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.right > reach && !clipped(el)) { worst = el; reach = r.right; }
  }
  return worst ? worst.outerHTML.slice(0, 200) : "nothing";
}"""


def check_page(context: BrowserContext, page: Page, path: str, locale: str, walked: Walked, seen: set[str]) -> None:
    """Fetch the page as HTML first (downloads are not pages), then load, measure and audit it."""
    url = with_lang(path, locale)
    answer = context.request.get(url)
    if not answer.headers.get("content-type", "").startswith("text/html"):
        return
    final = urlsplit(answer.url)
    # A refusal or a redirect shows a page already audited under another path: the error page, the list.
    key = f"{final.path}?{final.query}" if answer.ok else f"{answer.status} {locale}"
    if key in seen:
        return
    seen.add(key)
    size = len(answer.body())
    walked.pages += 1
    if size > walked.worst_bytes:
        walked.worst_bytes, walked.worst_page = size, url
    if size > MAX_HTML_BYTES:
        walked.problems.append(f"{url}: {size} bytes of HTML")
    page.goto(url)
    if page.locator("#swagger-ui").count():
        # The API docs draw themselves from the OpenAPI document after the page has loaded.
        page.locator("#swagger-ui .opblock").first.wait_for()
    scroll_width, inner_width = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    if scroll_width > inner_width:
        widest = page.evaluate(WIDEST_ELEMENT)
        walked.problems.append(f"{url}: {scroll_width}px wide on a {inner_width}px screen, past it: {widest}")
    for text in page.evaluate(UNISOLATED_DATES):
        walked.problems.append(f"{url}: a date and time laid out right to left: {text!r}")
    for violation in _axe.run(page, options=AXE_OPTIONS).response["violations"]:
        if violation["impact"] in BLOCKING:
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:3]]
            walked.problems.append(f"{url}: axe {violation['id']} ({violation['impact']}) at {targets}")


@pytest.fixture(scope="module")
def figures() -> Iterator[dict[str, dict[str, object]]]:
    collected: dict[str, dict[str, object]] = {}
    yield collected
    FIGURES.write_text(json.dumps(collected, indent=2))


def phone_context(browser: Browser, live_server) -> BrowserContext:
    context = browser.new_context(base_url=live_server.base_url, locale="en-US", viewport=PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.mark.parametrize("role", sorted(ROLE_LOGINS))
def test_every_page_of_a_role(role, browser, live_server, walk_data, figures) -> None:
    started = time.monotonic()
    walked, seen = Walked(), set[str]()
    context = phone_context(browser, live_server)
    try:
        page = context.new_page()
        for locale in SUPPORTED:
            check_page(context, page, "/login", locale, walked, seen)
        # The login form is found by its English labels.
        context.request.get("/login?lang=en")
        log_in(page, ROLE_LOGINS[role])
        values = role_values(live_server, walk_data, ROLE_LOGINS[role])
        extra = ["/disclosure/releases/new?kind=dp_table", "/dedup/review?status=merged",
                 "/dedup/review?order=teaching"]
        urls = [u for path in html_routes() for u in expand(path, values)] + extra
        for locale in SUPPORTED:
            for url in urls:
                check_page(context, page, url, locale, walked, seen)
    finally:
        context.close()
    walked.seconds = round(time.monotonic() - started, 1)
    figures[role] = {"pages": walked.pages, "worst_bytes": walked.worst_bytes, "worst_page": walked.worst_page,
                     "seconds": walked.seconds}
    # The walk reached real pages in every language, not only the login and error pages.
    assert walked.pages >= 5 * len(SUPPORTED)
    assert not walked.problems, "\n".join(walked.problems)
