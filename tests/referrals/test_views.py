"""The referral pages: the case page's section, making a referral, the partner's inbox and referral page, and the
supervisors' analytics; and what a partner may not open."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crossroads.consent import service as consents
from crossroads.consent.models import Consent
from crossroads.consent.schemas import ConsentRevoke
from tests.factories import referrals as rf
from tests.helpers import csrf, login


@pytest.fixture
def scene(db, world):
    rf.link_directory(db, world)
    return rf.scene(db, world)


class TestCaseSide:
    def test_refer_from_the_case_page_and_send(self, client, world, scene):
        login(client, world.users["caseworker_a"].email)
        case_page = client.get(f"/cases/{scene.case.id}")
        assert 'id="referrals"' in case_page.text and "No referrals yet." in case_page.text
        new = client.get(f"/cases/{scene.case.id}/referrals/new", params={"need": "legal_aid", "language": "ar"})
        assert new.status_code == 200 and "Legal advice in Tunis" in new.text
        made = client.post(f"/cases/{scene.case.id}/referrals", data={
            "csrf_token": csrf(new.text), "target": f"service:{rf.LEGAL_SERVICE}", "purpose": "legal_assistance",
            "categories": rf.CATEGORIES})
        assert made.status_code == 200 and 'class="state">Draft' in made.text
        sent = client.post(str(made.url) + "/send", data={"csrf_token": csrf(made.text)})
        assert sent.status_code == 200 and 'class="state">Sent, waiting for an answer' in sent.text
        assert "REF-" in client.get(f"/cases/{scene.case.id}").text

    def test_sending_without_consent_shows_what_is_missing(self, client, db, world, scene):
        referral = rf.referral(db, scene, send=False, categories=["identity", "health"])
        login(client, world.users["caseworker_a"].email)
        page = client.get(f"/referrals/{referral.id}")
        assert "No consent in force covers: Health" in page.text
        refused = client.post(f"/referrals/{referral.id}/send", data={"csrf_token": csrf(page.text)})
        assert refused.status_code == 422


class TestPartnerSide:
    def test_inbox_then_only_the_consented_fields_then_complete(self, client, db, world, scene):
        referral = rf.referral(db, scene)
        login(client, world.users["partner"].email)
        inbox = client.get("/referrals/inbox")
        assert inbox.status_code == 200 and referral.reference in inbox.text
        page = client.get(f"/referrals/{referral.id}")
        assert 'data-field="person.given_name"' in page.text and "+21620123456" in page.text
        assert "person.nationality" not in page.text and scene.case.case_number not in page.text
        accepted = client.post(f"/referrals/{referral.id}/accept", data={"csrf_token": csrf(page.text)})
        done = client.post(f"/referrals/{referral.id}/complete", data={
            "csrf_token": csrf(accepted.text), "outcome": "service_provided", "note": "Appeal lodged"})
        assert 'class="state">Completed' in done.text

    def test_revocation_is_shown_and_the_data_gone(self, client, db, world, scene):
        referral = rf.referral(db, scene)
        consent_id = db.scalar(select(Consent.id).where(Consent.person_id == scene.person.id))
        consents.revoke_consent(db, principal=scene.caseworker, consent_id=consent_id,
                                data=ConsentRevoke(reason="Withdrawn"))
        login(client, world.users["partner"].email)
        page = client.get(f"/referrals/{referral.id}")
        assert "The person withdrew their consent" in page.text and "+21620123456" not in page.text
        assert "Consent withdrawn" in client.get("/referrals/inbox").text

    def test_partner_cannot_open_the_registry_pages(self, client, db, world, scene):
        rf.referral(db, scene)
        login(client, world.users["partner"].email)
        for path in (f"/cases/{scene.case.id}", f"/people/{scene.person.id}",
                     f"/cases/{scene.case.id}/referrals/new", "/referrals/analytics"):
            assert client.get(path).status_code == 403, path

    def test_partner_of_another_organisation_sees_nothing(self, client, db, world, scene):
        referral = rf.referral(db, scene)
        login(client, rf.other_partner(db).email)
        assert referral.reference not in client.get("/referrals/inbox").text
        assert client.get(f"/referrals/{referral.id}").status_code == 404


class TestAnalyticsPage:
    def test_supervisor_sees_figures_per_service(self, client, db, world, scene):
        rf.referral(db, scene)
        login(client, world.users["supervisor_a"].email)
        page = client.get("/referrals/analytics")
        assert page.status_code == 200 and "Legal advice in Tunis" in page.text
