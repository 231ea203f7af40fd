"""A referral across both roles: a caseworker finds a legal-aid service near a person that speaks their language,
records the person's consent and refers; the partner logs in, sees only the consented fields, accepts and
completes; the outcome shows on the case."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from crossroads.auth.models import Office, Organisation, User
from crossroads.cases.models import Case
from crossroads.db.session import unit_of_work
from crossroads.people.models import Person
from tests.browser.conftest import log_in
from tests.browser.test_caseworker_flow import CASEWORKER
from tests.factories import directory as df

pytestmark = pytest.mark.browser

PARTNER = "partner@example.org"


@pytest.fixture(scope="module")
def referral_case(live_server):
    """The sample directory, its legal-aid organisation linked to the demo partner, and an open case of the
    Tunis office whose person speaks Arabic."""
    with unit_of_work(live_server.engine) as session:
        if session.get(df.transfer.DirectoryOrganization, "org-tunis-aid") is None:
            df.directory(session)
        partner_org = session.scalar(select(Organisation).join(User, User.organisation_id == Organisation.id)
                                     .where(User.email == PARTNER))
        org = session.get(df.transfer.DirectoryOrganization, "org-tunis-aid")
        org.partner_organisation_id = partner_org.id
        case, person = session.execute(
            select(Case, Person).join(Person, Person.id == Case.person_id).join(Office, Office.id == Case.office_id)
            .where(Office.code == "TUN", Case.closed_at.is_(None)).order_by(Case.case_number).limit(1)).one()
        person.languages = ["ar"]
        return {"case_id": str(case.id), "person_id": str(person.id), "given_name": person.given_name,
                "nationality": person.nationality, "partner_org": partner_org.name}


def test_refer_with_consent_and_close_the_loop(new_context, referral_case):
    caseworker = new_context().new_page()
    log_in(caseworker, CASEWORKER)

    # Consent first, on the person's page.
    caseworker.goto(f"/people/{referral_case['person_id']}")
    caseworker.get_by_text("Record consent", exact=True).first.click()
    form = caseworker.locator("#record-consent")
    form.get_by_label("Recipient organisation").select_option(label=referral_case["partner_org"])
    form.get_by_label("Purpose").select_option("legal_assistance")
    form.get_by_label("Identity").check()
    form.get_by_label("Contact and languages").check()
    form.get_by_label("How consent was given").select_option("written")
    form.get_by_label("Expires on").fill((date.today() + timedelta(days=180)).isoformat())
    form.get_by_role("button", name="Record consent").click()
    expect(caseworker.locator("table.consents")).to_contain_text("In force")

    # A legal-aid service near the person that speaks their language, and the referral to it.
    caseworker.goto(f"/cases/{referral_case['case_id']}")
    caseworker.get_by_role("link", name="Refer to a service").click()
    search = caseworker.locator("#find-service")
    search.get_by_label("Need").select_option("legal_aid")
    search.get_by_label("Near (latitude,longitude)").fill("36.80,10.18")
    search.get_by_label("Language (ISO 639-1)").fill("ar")
    search.get_by_role("button", name="Find services").click()
    referral = caseworker.locator("#make-referral")
    referral.get_by_label("Legal advice in Tunis").check()
    referral.get_by_label("Purpose").select_option("legal_assistance")
    referral.get_by_label("Identity").check()
    referral.get_by_label("Contact and languages").check()
    caseworker.get_by_role("button", name="Save draft referral").click()
    caseworker.get_by_role("button", name="Send").click()
    expect(caseworker.locator("dd.state")).to_have_text("Sent, waiting for an answer")
    reference = caseworker.get_by_role("heading", level=1).inner_text().split()[-1]

    # The partner: its inbox, only the consented fields, accept and complete.
    partner = new_context().new_page()
    partner.set_viewport_size({"width": 390, "height": 844})
    log_in(partner, PARTNER)
    partner.goto("/referrals/inbox")
    expect(partner.locator(f'li.card[data-referral="{reference}"]')).to_contain_text("Sent, waiting for an answer")
    assert partner.evaluate("document.documentElement.scrollWidth") <= 390
    partner.get_by_role("link", name=reference).click()
    shared = partner.locator("dl.shared")
    expect(shared.locator('[data-field="person.given_name"]')).to_have_text(referral_case["given_name"])
    expect(shared.locator('[data-field="person.nationality"]')).to_have_count(0)
    expect(shared.locator("dt")).to_have_count(7)
    assert partner.evaluate("document.documentElement.scrollWidth") <= 390
    partner.get_by_role("button", name="Accept").click()
    expect(partner.locator("dd.state")).to_have_text("Accepted")
    partner.get_by_label("Outcome").select_option("service_provided")
    partner.get_by_label("Note for the referring caseworker").fill("Residence appeal lodged")
    partner.get_by_role("button", name="Complete").click()
    expect(partner.locator("dd.state")).to_have_text("Completed")

    # The outcome on the case.
    caseworker.goto(f"/cases/{referral_case['case_id']}")
    row = caseworker.locator(f'#referrals tr[data-referral="{reference}"]')
    expect(row).to_contain_text("Completed")
    expect(row).to_contain_text("Residence appeal lodged")
