"""Translations from Babel catalogues, chosen per request."""

from __future__ import annotations

from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from fastapi import Request

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
SUPPORTED = ("en", "fr", "ar")
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


def negotiate(request: Request, user_locale: str | None = None) -> str:
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE), user_locale):
        if candidate in SUPPORTED:
            return candidate
    header = request.headers.get("accept-language", "")
    for part in header.split(","):
        code = part.split(";")[0].strip().split("-")[0].lower()
        if code in SUPPORTED:
            return code
    return request.app.state.settings.default_locale


def text_direction(locale: str) -> str:
    return Locale.parse(locale).text_direction
