"""French, Arabic and Spanish catalogues: complete for the current source, and chosen per request."""

from __future__ import annotations

import gettext
import re
import uuid
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from crossroads.web.i18n import LANG_COOKIE, LOCALE_DIR, SUPPORTED, accepted_languages
from tests.factories import people
from tests.factories.auth import PASSWORD, world

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = ("fr", "ar", "es")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def extracted() -> Catalog:
    """The messages of the source as it is now, extracted in memory with the project's babel.cfg."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    catalog = Catalog()
    for filename, lineno, message, comments, context in extract_from_dir(str(ROOT), method_map, options_map):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def ids(catalog: Catalog) -> set:
    return {m.id for m in catalog if m.id}


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def po(lang: str) -> Catalog:
    return read(LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po", lang)


def po_text(lang: str, msgid: str) -> str:
    message = po(lang).get(msgid)
    assert message is not None and message.string and message.string != msgid, f"{lang}: {msgid!r} untranslated"
    return message.string


def html_tag(body: str) -> str:
    match = re.search(r"<html[^>]*>", body)
    assert match, body[:200]
    return match.group(0)


def log_in(client: TestClient, email: str) -> None:
    page = client.get("/login")
    token = CSRF.search(page.text)
    assert token, "login form has no csrf_token"
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)},
                           follow_redirects=False)
    assert response.status_code == 303, response.text


@pytest.fixture(scope="module")
def source_messages() -> Catalog:
    return extracted()


class TestCataloguesCoverTheSource:
    def test_template_matches_a_fresh_extraction(self, source_messages: Catalog) -> None:
        template = ids(read(LOCALE_DIR / "messages.pot"))
        fresh = ids(source_messages)
        assert fresh - template == set(), "new strings: run `pybabel extract` (docs/translating.md)"
        assert template - fresh == set(), "messages.pot lists strings the source no longer has"

    @pytest.mark.parametrize("lang", TRANSLATED)
    def test_catalogue_has_every_source_string(self, lang: str, source_messages: Catalog) -> None:
        catalogue = ids(po(lang))
        fresh = ids(source_messages)
        assert fresh - catalogue == set(), f"{lang}: run `pybabel update` and translate"
        assert catalogue - fresh == set(), f"{lang}: catalogue keeps strings the source no longer has"

    @pytest.mark.parametrize("lang", TRANSLATED)
    def test_every_message_is_translated(self, lang: str) -> None:
        catalogue = po(lang)
        untranslated = []
        for message in catalogue:
            if not message.id:
                continue
            forms = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.pluralizable and len(forms) != catalogue.num_plurals or not all(forms):
                untranslated.append(message.id)
        assert untranslated == []

    @pytest.mark.parametrize("lang", TRANSLATED)
    def test_no_translation_is_fuzzy_so_none_is_dropped_at_runtime(self, lang: str) -> None:
        assert [m.id for m in po(lang) if m.id and m.fuzzy] == []

    @pytest.mark.parametrize("lang", TRANSLATED)
    def test_placeholders_survive_translation(self, lang: str) -> None:
        assert [(m.id, [str(e) for e in errors]) for m, errors in po(lang).check()] == []

    def test_spanish_plural_forms_follow_cldr(self) -> None:
        catalogue = po("es")
        index_of = gettext.c2py(catalogue.plural_expr)
        order = ("one", "many", "other")
        spanish = Locale.parse("es")
        for n in [*range(0, 1250), 1_000_000, 2_000_000, 1_000_001]:
            assert order[index_of(n)] == spanish.plural_form(n), n

    def test_every_supported_language_has_a_catalogue(self) -> None:
        assert set(SUPPORTED) == {"en", *TRANSLATED}

    def test_arabic_plural_forms_follow_cldr(self) -> None:
        catalogue = po("ar")
        assert catalogue.num_plurals == 6
        index_of = gettext.c2py(catalogue.plural_expr)
        order = ("zero", "one", "two", "few", "many", "other")
        arabic = Locale.parse("ar")
        for n in range(0, 1250):
            assert order[index_of(n)] == arabic.plural_form(n), n


class TestLanguageChoice:
    def test_lang_parameter_renders_arabic_right_to_left(self, client: TestClient) -> None:
        response = client.get("/login?lang=ar")
        assert response.status_code == 200
        assert html_tag(response.text) == '<html lang="ar" dir="rtl">'
        assert po_text("ar", "Log in") in response.text
        assert "Log in" not in response.text

    def test_cookie_keeps_the_choice_on_the_next_page(self, client: TestClient) -> None:
        client.get("/login?lang=ar")
        assert client.cookies.get(LANG_COOKIE) == "ar"
        response = client.get("/login")
        assert html_tag(response.text) == '<html lang="ar" dir="rtl">'
        assert po_text("ar", "Password") in response.text

    def test_accept_language_selects_french(self, client: TestClient) -> None:
        response = client.get("/login", headers={"Accept-Language": "fr-SN,fr;q=0.9,en;q=0.5"})
        assert html_tag(response.text) == '<html lang="fr" dir="ltr">'
        assert po_text("fr", "Log in") in response.text
        assert po_text("fr", "Password") in response.text

    @pytest.mark.parametrize(("header", "lang"), [
        ("fr;q=0.3, es;q=0.8, en;q=0.5", "es"),
        ("de-DE, ar;q=0.2, fr;q=0.9", "fr"),
        ("es-MX;q=0.9, ar", "ar"),
        ("fr;q=0, es;q=0.1", "es"),
        ("*;q=1, ar;q=0.5", "ar"),
        ("de, it;q=0.9", "en"),
    ])
    def test_accept_language_is_weighed_by_its_q_values(self, client: TestClient, header: str, lang: str) -> None:
        response = client.get("/login", headers={"Accept-Language": header})
        assert html_tag(response.text).startswith(f'<html lang="{lang}"')

    def test_a_chosen_language_outweighs_the_browsers(self, client: TestClient) -> None:
        response = client.get("/login?lang=fr", headers={"Accept-Language": "es, ar;q=0.9"})
        assert html_tag(response.text) == '<html lang="fr" dir="ltr">'
        response = client.get("/login", headers={"Accept-Language": "es, ar;q=0.9"})
        assert html_tag(response.text) == '<html lang="fr" dir="ltr">'

    def test_header_parsing_orders_by_weight_then_position(self) -> None:
        assert accepted_languages("fr;q=0.2, ES-mx, ar;q=0.9, en;q=0, *;q=0.1, de;q=abc, it") == ["es-mx", "it", "ar",
                                                                                                   "fr"]

    def test_spanish_is_offered_and_spoken(self, client: TestClient) -> None:
        response = client.get("/login?lang=es")
        assert html_tag(response.text) == '<html lang="es" dir="ltr">'
        assert "Iniciar sesión" in response.text and "Contraseña" in response.text
        assert "Log in" not in response.text
        assert 'href="/login?lang=es"' in response.text

    def test_without_a_preference_the_page_stays_english(self, client: TestClient) -> None:
        response = client.get("/login")
        assert html_tag(response.text) == '<html lang="en" dir="ltr">'
        assert "Log in" in response.text


class TestTranslatedContent:
    def test_caseworker_sees_programme_names_in_arabic(self, client: TestClient, db: Session) -> None:
        w = world(db)
        caseworker = w.principal(db, "caseworker_a")
        people.case(db, caseworker, people.person(db, caseworker), programme="avrr")
        db.flush()
        log_in(client, w.users["caseworker_a"].email)

        response = client.get("/cases?lang=ar")

        assert response.status_code == 200
        assert html_tag(response.text) == '<html lang="ar" dir="rtl">'
        for name in ("Assisted voluntary return and reintegration", "Legal counselling", "avrr"):
            assert po_text("ar", name) in response.text, name
        assert "Assisted voluntary return and reintegration" not in response.text
        assert ">avrr<" not in response.text
        assert po_text("ar", "Intake") in response.text

    def test_service_errors_are_shown_in_french(self, client: TestClient, db: Session) -> None:
        w = world(db)
        log_in(client, w.users["caseworker_a"].email)

        response = client.get(f"/cases/{uuid.uuid4()}", headers={"Accept-Language": "fr"})

        assert response.status_code == 404
        assert po_text("fr", "no such case") in response.text
        assert po_text("fr", "Not found") in response.text

    def test_a_caseworker_works_in_spanish(self, client: TestClient, db: Session) -> None:
        w = world(db)
        caseworker = w.principal(db, "caseworker_a")
        person = people.person(db, caseworker, sex="female", nationality="SYR")
        people.case(db, caseworker, person, programme="avrr")
        db.flush()
        log_in(client, w.users["caseworker_a"].email)

        cases = client.get("/cases?lang=es")
        page = client.get(f"/people/{person.id}")

        assert html_tag(cases.text) == '<html lang="es" dir="ltr">'
        assert "Retorno voluntario asistido y reintegración" in cases.text and "Recepción" in cases.text
        assert "Mujer" in page.text and "Siria" in page.text and "Registrar a una persona" in page.text

    def test_the_api_answers_a_validation_error_in_the_callers_language(self, client: TestClient,
                                                                        db: Session) -> None:
        w = world(db)
        token = client.post("/api/v1/auth/token", json={"email": w.users["caseworker_a"].email,
                                                        "password": PASSWORD}).json()["access_token"]
        body = {"given_name": "A" * 201, "family_name": "B", "sex": "female", "nationality": "SYR"}
        answers = {lang: client.post("/api/v1/people", json=body, headers={
            "Authorization": f"Bearer {token}", "Accept-Language": lang}) for lang in ("es", "fr;q=0.9, en;q=0.1")}

        for response in answers.values():
            assert response.status_code == 422
        assert answers["es"].json()["detail"] == [{"field": "given_name", "type": "string_too_long",
                                                   "message": "debe tener como máximo 200 caracteres"}]
        assert answers["fr;q=0.9, en;q=0.1"].json()["detail"][0]["message"] == "doit comporter au plus 200 caractères"

    def test_failed_login_is_explained_in_arabic(self, client: TestClient) -> None:
        token = CSRF.search(client.get("/login?lang=ar").text).group(1)
        response = client.post("/login", data={"email": "nobody@example.org", "password": "not the password",
                                               "csrf_token": token})
        assert response.status_code == 401
        assert po_text("ar", "wrong e-mail or password") in response.text


class TestTheUsersOwnLanguage:
    def test_a_chosen_language_is_kept_for_the_user_and_outweighs_the_browser(self, client: TestClient,
                                                                              db: Session) -> None:
        w = world(db)
        admin = w.users["admin"]
        caseworker = w.users["caseworker_a"]
        log_in(client, admin.email)
        page = client.get("/admin")
        response = client.post(f"/admin/users/{caseworker.id}", data={
            "csrf_token": CSRF.search(page.text).group(1), "role": "caseworker", "active": "on",
            "office_ids": [str(o.id) for o in caseworker.offices], "locale": "es"}, follow_redirects=False)
        assert response.status_code == 303
        db.refresh(caseworker)
        assert caseworker.locale == "es"

        client.cookies.clear()
        log_in(client, caseworker.email)
        mine = client.get("/cases", headers={"Accept-Language": "fr"})
        assert html_tag(mine.text) == '<html lang="es" dir="ltr">'
        # The switcher still wins, for this browser.
        assert html_tag(client.get("/cases?lang=ar").text) == '<html lang="ar" dir="rtl">'

    def test_a_language_not_offered_is_refused_naming_the_field(self, client: TestClient, db: Session) -> None:
        w = world(db)
        log_in(client, w.users["admin"].email)
        page = client.get("/admin?lang=es")
        response = client.post("/admin/users", data={
            "csrf_token": CSRF.search(page.text).group(1), "email": "n.haddad@example.org",
            "full_name": "Nadia Haddad", "role": "caseworker", "organisation_id": str(w.agency.id),
            "password": "a long enough password", "locale": "de"})
        assert response.status_code == 422
        assert 'aria-describedby="user-locale-error"' in response.text
        assert "debe ser uno de los valores en, fr, ar, es" in response.text
