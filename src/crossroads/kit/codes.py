"""Validation of ISO country and language codes (pycountry) shared by every domain."""

from __future__ import annotations

import gettext
from functools import lru_cache

import pycountry

# ICAO 9303 codes used on travel documents for people without a recognised nationality.
ICAO_SPECIAL = {"XXA": "Stateless person", "XXB": "Refugee", "XXC": "Refugee (other)", "XXX": "Unspecified"}


@lru_cache
def country_codes() -> dict[str, str]:
    codes = {c.alpha_3: c.name for c in pycountry.countries}
    codes.update(ICAO_SPECIAL)
    return codes


@lru_cache
def _alpha2() -> dict[str, str]:
    return {c.alpha_3: c.alpha_2 for c in pycountry.countries}


def alpha2_of(code: str) -> str | None:
    """The ISO 3166-1 alpha-2 code of an alpha-3 one, which CLDR (Babel) names territories by."""
    return _alpha2().get(code)


@lru_cache
def country_names(locale: str) -> dict[str, str]:
    """Country names in the given locale, from pycountry's iso3166-1 catalogues (English if none)."""
    try:
        trans = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[locale])
    except OSError:
        return country_codes()
    # The ICAO codes are not in ISO 3166; the UI catalogue translates them.
    return {code: trans.gettext(name) for code, name in country_codes().items()}


def check_country(code: str) -> str:
    code = code.strip().upper()
    if code not in country_codes():
        raise ValueError("must be an ISO 3166-1 alpha-3 country code, e.g. SYR, ERI, AFG")
    return code


@lru_cache(maxsize=1024)
def check_language(code: str) -> str:
    code = code.strip().lower()
    if len(code) == 2 and pycountry.languages.get(alpha_2=code):
        return code
    if len(code) == 3 and pycountry.languages.get(alpha_3=code):
        return code
    raise ValueError("must be an ISO 639-1 or 639-3 language code, e.g. ar, ti, prs")
