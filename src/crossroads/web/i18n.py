"""Translations from Babel catalogues, chosen per request."""

from __future__ import annotations

from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel import Locale, negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from fastapi import Request

from crossroads.kit.i18n import LOCALES, translate

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
SUPPORTED = LOCALES
LANG_COOKIE = "crossroads_lang"


@lru_cache
def translations(locale: str) -> NullTranslations:
    po = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()
    # Catalogues ship as .po only and are compiled in memory once per process: no binary .mo files in
    # the repository and no build step to forget.
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(fp=buf)


def accepted_languages(header: str) -> list[str]:
    """The languages of an Accept-Language header, most preferred first (RFC 9110 q-values; q=0 refuses)."""
    weighted = []
    for position, part in enumerate(header.split(",")):
        tag, *params = [p.strip() for p in part.split(";")]
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and 0 < quality <= 1:
            weighted.append((-quality, position, tag.lower()))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate(request: Request, user_locale: str | None = None) -> str:
    """?lang=, then the cookie it sets, then the user's own preference, then the browser's languages by weight."""
    if user_locale is None:
        # Set by auth/deps.py once the request's user is known.
        user_locale = getattr(getattr(request.state, "principal", None), "locale", None)
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE), user_locale):
        if candidate in SUPPORTED:
            return candidate
    preferred = accepted_languages(request.headers.get("accept-language", ""))
    # Babel matches "fr-SN" to "fr" and knows aliases; it tries the preferences in the order given.
    chosen = negotiate_locale(preferred, SUPPORTED, sep="-")
    if chosen in SUPPORTED:
        return chosen
    return request.app.state.settings.default_locale


def localise(request: Request, text: str | None) -> str | None:
    """A message (kit.i18n.Message) or msgid in the request's language, for answers built outside templates."""
    if text is None:
        return None
    return translate(translations(negotiate(request)), text)


def text_direction(locale: str) -> str:
    return Locale.parse(locale).text_direction
