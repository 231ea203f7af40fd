"""Labels instead of codes: every code has a label, and pages show the label in the reader's language."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from crossroads.auth.roles import OrganisationKind, Role
from crossroads.consent.coverage import FIELDS, Category, Method, Purpose
from crossroads.people.models import DocumentType, Relationship, Sex
from crossroads.programmes.config import ProgrammeConfig
from crossroads.programmes.defaults import DEFAULT_CONFIGS
from crossroads.referrals.lifecycle import STEPS, ReferralState
from crossroads.referrals.models import DeclineReason, Outcome
from crossroads.web import labels
from crossroads.web.i18n import translations
from crossroads.web.templating import env
from tests.factories import people
from tests.factories.auth import world
from tests.helpers import login


def render(source: str, locale: str = "en", **context: object) -> str:
    return env.from_string(source).render(locale=locale, _=translations(locale).gettext, **context)


class TestEveryCodeHasALabel:
    @pytest.mark.parametrize(("enum", "table"), [
        (Sex, labels.SEX), (DocumentType, labels.DOCUMENT_TYPE), (Relationship, labels.RELATIONSHIP),
        (Role, labels.ROLE), (OrganisationKind, labels.ORGANISATION_KIND),
        (ReferralState, labels.REFERRAL_STATE), (DeclineReason, labels.DECLINE_REASON),
        (Outcome, labels.REFERRAL_OUTCOME), (Purpose, labels.PURPOSE), (Category, labels.DATA_CATEGORY),
        (Method, labels.CONSENT_METHOD),
    ])
    def test_each_member_is_labelled(self, enum: type, table: dict[str, str]) -> None:
        assert {m.value for m in enum} == set(table)


    def test_each_referral_step_is_labelled(self) -> None:
        assert set(STEPS) == set(labels.REFERRAL_STEP)

    def test_each_shared_field_but_the_programmes_own_is_labelled(self) -> None:
        shared = {name for names in FIELDS.values() for name in names if not name.startswith("case.data.")}
        assert shared == set(labels.SHARED_FIELD)


class TestReferralFilters:
    @pytest.mark.parametrize(("locale", "expected"), [
        ("en", "Sent, waiting for an answer · No capacity · Service partly provided · Legal assistance · "
               "Identity · By a guardian for a child · Given name · Monday, Friday"),
        ("fr", "Envoyée, en attente de réponse · Pas de capacité · Service en partie fourni · Assistance juridique · "
               "Identité · Par un tuteur pour un enfant · Prénom · lundi, vendredi"),
    ])
    def test_referral_and_consent_codes_become_words(self, locale: str, expected: str) -> None:
        out = render("{{ 'sent'|referral_state_label }} · {{ 'no_capacity'|decline_reason_label }} · "
                     "{{ 'partly_provided'|referral_outcome_label }} · {{ 'legal_assistance'|purpose_label }} · "
                     "{{ 'identity'|data_category_label }} · {{ 'guardian'|consent_method_label }} · "
                     "{{ 'person.given_name'|shared_field_label }} · {{ 'MO,FR'|weekdays_label }}", locale)
        assert out == expected


class TestFilters:
    @pytest.mark.parametrize(("locale", "expected"), [
        ("en", "Male · National identity card · Syria · Arabic"),
        ("fr", "Homme · Carte nationale d’identité · Syrie · arabe"),
        ("es", "Hombre · Documento nacional de identidad · Siria · árabe"),
        ("ar", "ذكر · بطاقة هوية وطنية · سوريا · العربية"),
    ])
    def test_codes_become_words_of_the_locale(self, locale: str, expected: str) -> None:
        out = render("{{ 'male'|sex_label }} · {{ 'national_id'|document_type_label }} · {{ 'SYR'|country_label }}"
                     " · {{ 'ar'|language_label }}", locale)
        assert out == expected

    def test_icao_codes_and_unknown_values(self) -> None:
        assert render("{{ 'XXA'|country_label }}|{{ none|country_label }}|{{ 'zz'|sex_label }}", "fr") == (
            "Apatride|—|zz")

    def test_country_choices_are_sorted_by_name_in_the_locale(self) -> None:
        names = render("{% for code, name in country_choices() %}{{ code }}={{ name }};{% endfor %}", "fr")
        pairs = [p.split("=") for p in names.split(";") if p]
        assert ["DEU", "Allemagne"] in pairs
        assert [n for _, n in pairs] == sorted((n for _, n in pairs), key=str.casefold)

    def test_programme_labels_come_from_its_configuration(self) -> None:
        config = ProgrammeConfig.model_validate(DEFAULT_CONFIGS["avrr"])
        out = render("{{ config|state_label('departed') }}|{{ config|transition_label('counselling', 'eligibility') }}"
                     "|{{ config|field_label('country_of_return') }}|{{ config|choice_label('eligibility_decision', "
                     "'not_eligible') }}", "es", config=config)
        assert out == "Partió|Evaluar la elegibilidad|País de retorno|No elegible"


class TestPagesShowLabels:
    def test_the_person_page_shows_words_not_codes(self, client: TestClient, db: Session) -> None:
        w = world(db)
        caseworker = w.principal(db, "caseworker_a")
        person = people.person(db, caseworker, sex="female", nationality="SYR", languages=["ar", "ku"],
                               documents=[{"document_type": "national_id", "number": "N-1", "issuing_country": "SYR"}])
        db.flush()
        login(client, w.users["caseworker_a"].email)

        html = client.get(f"/people/{person.id}").text

        for word in ("Female", "Syria", "Arabic, Kurdish", "National identity card"):
            assert word in html, word
        for code in (">female<", ">SYR<", "national_id<", ">ar, ku<"):
            assert code not in html, code

    def test_the_registration_form_offers_words_and_keeps_codes_as_values(self, client: TestClient,
                                                                          db: Session) -> None:
        w = world(db)
        login(client, w.users["caseworker_a"].email)
        html = client.get("/people/new?lang=ar").text
        assert re.search(r'<option value="male"\s*>ذكر</option>', html)
        assert re.search(r'<option value="SYR"\s*>سوريا</option>', html)
        assert "(SYR)" not in html
