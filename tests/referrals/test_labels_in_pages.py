"""Referral, consent and directory pages say words, never the codes the database keeps: every page a
caseworker, a supervisor or a partner opens along a referral's life, read in French."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from crossroads.consent.coverage import Category, Method, Purpose
from crossroads.consent.models import Consent
from crossroads.directory.hours import DAYS
from crossroads.referrals.lifecycle import ReferralState
from crossroads.referrals.models import DeclineReason, Outcome, ReferralKind
from crossroads.referrals.schemas import ReferralComplete, ReferralDecline
from crossroads.referrals.service import respond
from tests.factories import referrals as rf
from tests.helpers import login

CODES = sorted({m.value for enum in (ReferralState, DeclineReason, Outcome, ReferralKind, Purpose, Category, Method)
                for m in enum} | {"person.given_name", "person.phone", "person.languages", "person.sex"} | set(DAYS))


def visible_text(page: str) -> str:
    """What a reader sees: no scripts, no tags and so no attribute values (option values, data-* ids)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def codes_in(page: str) -> list[str]:
    text = visible_text(page)
    # Codes are lower-case (weekdays upper-case) and whole words: "Identité" or "Health centre" are not codes.
    return [code for code in CODES if re.search(rf"(?<![\w.]){re.escape(code)}(?![\w.])", text)]


@pytest.fixture
def scene(db, world):
    rf.link_directory(db, world)
    return rf.scene(db, world, nationality="SYR")


@pytest.fixture
def referrals(db, world, scene):
    """One referral in each answered state, and a draft."""
    partner = world.principal(db, "partner")
    draft = rf.referral(db, scene, send=False, categories=["identity", "health"])
    sent = rf.referral(db, scene)
    declined = rf.referral(db, scene)
    respond(db, principal=partner, referral_id=declined.id, step="decline",
            decline=ReferralDecline(reason=DeclineReason.OUTSIDE_SERVICE_AREA))
    completed = rf.referral(db, scene)
    respond(db, principal=partner, referral_id=completed.id, step="accept")
    respond(db, principal=partner, referral_id=completed.id, step="start")
    respond(db, principal=partner, referral_id=completed.id, step="complete",
            complete=ReferralComplete(outcome=Outcome.PARTLY_PROVIDED, note=""))
    return {"draft": draft, "sent": sent, "declined": declined, "completed": completed}


def french(client, path: str) -> str:
    response = client.get(path, params={"lang": "fr"})
    assert response.status_code == 200, (path, response.status_code)
    return response.text


class TestNoCodesInFrench:
    def test_the_caseworkers_pages(self, client, db, world, scene, referrals):
        login(client, world.users["caseworker_a"].email)
        pages = {
            "case": f"/cases/{scene.case.id}",
            "person": f"/people/{scene.person.id}",
            "new referral": f"/cases/{scene.case.id}/referrals/new?need=legal_aid&language=ar",
            **{state: f"/referrals/{r.id}" for state, r in referrals.items()},
            "directory": "/directory?need=legal_aid",
            "service": f"/directory/services/{rf.LEGAL_SERVICE}",
        }
        found = {name: codes_in(french(client, path)) for name, path in pages.items()}
        assert found == {name: [] for name in pages}
        case_page = visible_text(french(client, pages["case"]))
        assert "Refusée" in case_page and "Hors de la zone desservie" in case_page
        assert "Service en partie fourni" in case_page and "Brouillon" in case_page
        person_page = visible_text(french(client, pages["person"]))
        assert "Assistance juridique" in person_page and "Identité" in person_page and "Écrit" in person_page

    def test_the_partners_pages(self, client, db, world, referrals):
        login(client, world.users["partner"].email)
        pages = {"inbox": "/referrals/inbox", **{state: f"/referrals/{r.id}" for state, r in referrals.items()
                                                 if state != "draft"}}
        found = {name: codes_in(french(client, path)) for name, path in pages.items()}
        assert found == {name: [] for name in pages}
        shared = visible_text(french(client, pages["sent"]))
        # The consented fields by their names and values in French: sex, languages.
        assert "Prénom" in shared and "Homme" in shared and "arabe" in shared
        assert "Accepter" in shared and "Refuser" in shared

    def test_the_supervisors_analytics(self, client, world, referrals):
        login(client, world.users["supervisor_a"].email)
        page = french(client, "/referrals/analytics")
        assert codes_in(page) == []
        assert "Hors de la zone desservie" in visible_text(page)

    def test_a_refused_consent_form_keeps_words(self, client, db, world, scene):
        login(client, world.users["caseworker_a"].email)
        person_page = french(client, f"/people/{scene.person.id}")
        token = re.search(r'name="csrf_token" value="([^"]+)"', person_page).group(1)
        refused = client.post(f"/people/{scene.person.id}/consents?lang=fr", data={
            "csrf_token": token, "recipient_organisation_id": str(world.partner_org.id), "purpose": "shelter",
            "categories": [], "method": "verbal", "expires_on": "2030-01-01"})
        assert refused.status_code == 422
        assert codes_in(refused.text) == []
        assert db.scalar(select(Consent).where(Consent.purpose == Purpose.SHELTER)) is None


class TestOneWordSaidOfDifferentThings:
    """Spanish agrees "Accepted" with what it is said of: one referral's state, a column of referrals counted,
    the date a referral was accepted."""

    def test_a_state_a_date_and_a_count_each_take_their_own_form(self, client, db, world, scene):
        partner = world.principal(db, "partner")
        accepted = rf.referral(db, scene)
        respond(db, principal=partner, referral_id=accepted.id, step="accept")
        login(client, world.users["supervisor_a"].email)
        detail = visible_text(client.get(f"/referrals/{accepted.id}", params={"lang": "es"}).text)
        assert re.search(r"Estado\s+Aceptada\b", detail) and re.search(r"Aceptada el\s+\d{4}-", detail)
        analytics = visible_text(client.get("/referrals/analytics", params={"lang": "es"}).text)
        assert "Aceptadas" in analytics and "Enviadas" in analytics and "Aceptada el" not in analytics
