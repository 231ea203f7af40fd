"""What people read instead of the codes the database stores: one place for every label, in the page's language.

Templates use these as filters (registered in web/templating.py; their names are listed in
docs/architecture.md): `sex_label`, `document_type_label`, `relationship_label`, `role_label`,
`organisation_kind_label`, `country_label`, `language_label`, and with a programme's configuration
`state_label`, `transition_label`, `field_label`, `choice_label`; the global `country_choices()` gives the
(code, name) pairs of a country list sorted by name in the page's language.

The code tables live here, as strings, rather than in the domains' enums: web is below every domain, and a
label is a matter of presentation. tests/web/test_labels.py fails when an enum gains a member without one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import Enum
from functools import lru_cache
from typing import Any, Protocol

from babel import Locale, UnknownLocaleError
from jinja2 import pass_context
from jinja2.runtime import Context

from crossroads.kit.codes import ICAO_SPECIAL, alpha2_of, country_codes
from crossroads.kit.i18n import N_
from crossroads.web.i18n import translations

SEX = {"female": N_("Female"), "male": N_("Male"), "other": N_("Other"), "unknown": N_("Unknown")}
DOCUMENT_TYPE = {
    "passport": N_("Passport"),
    "national_id": N_("National identity card"),
    "birth_certificate": N_("Birth certificate"),
    "travel_document": N_("Travel document"),
    "residence_permit": N_("Residence permit"),
    "refugee_id": N_("Refugee identity card"),
    "other": N_("Other document"),
}
RELATIONSHIP = {
    "head": N_("Head of household"),
    "spouse": N_("Spouse or partner"),
    "child": N_("Son or daughter"),
    "parent": N_("Parent"),
    "sibling": N_("Brother or sister"),
    "grandchild": N_("Grandchild"),
    "other_relative": N_("Other relative"),
    "non_relative": N_("Not related"),
}
ROLE = {
    "caseworker": N_("Caseworker"),
    "supervisor": N_("Supervisor"),
    "partner": N_("Partner"),
    "data_officer": N_("Data officer"),
    "dpo": N_("Data protection officer"),
    "admin": N_("Administrator"),
}
ORGANISATION_KIND = {"agency": N_("Agency"), "government": N_("Government"), "partner": N_("Partner")}


class _Config(Protocol):
    """What the filters read of a programme configuration (programmes/config.py: ProgrammeConfig)."""

    def state(self, name: str) -> Any: ...

    def field(self, name: str) -> Any: ...

    @property
    def transitions(self) -> Any: ...


def _code(value: object) -> str:
    return value.value if isinstance(value, Enum) else str(value)


def _from(table: Mapping[str, str]) -> Callable[[Context, object], str]:
    @pass_context
    def label(context: Context, value: object) -> str:
        if value is None or value == "":
            return "—"
        code = _code(value)
        return context["_"](table[code]) if code in table else code

    return label


@lru_cache(maxsize=16)
def _locale(locale: str) -> Locale:
    try:
        return Locale.parse(locale)
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def country_name(code: str, locale: str, gettext: Callable[[str], str]) -> str:
    """The country of an ISO 3166-1 alpha-3 (or ICAO 9303) code, named by CLDR in the locale."""
    if code in ICAO_SPECIAL:
        return gettext(ICAO_SPECIAL[code])
    alpha2 = alpha2_of(code)
    name = _locale(locale).territories.get(alpha2) if alpha2 else None
    return name or country_codes().get(code, code)


@pass_context
def country_label(context: Context, code: object) -> str:
    if not code:
        return "—"
    return country_name(str(code), context["locale"], context["_"])


@lru_cache(maxsize=16)
def _country_choices(locale: str) -> tuple[tuple[str, str], ...]:
    gettext = translations(locale).gettext
    names = {code: country_name(code, locale, gettext) for code in country_codes()}
    return tuple(sorted(names.items(), key=lambda item: item[1].casefold()))


@pass_context
def country_choices(context: Context) -> tuple[tuple[str, str], ...]:
    # Built once per locale: every registration form lists some 250 countries.
    return _country_choices(context["locale"])


@pass_context
def language_label(context: Context, code: object) -> str:
    """An ISO 639 language code by its CLDR name in the locale (the code itself when CLDR has none)."""
    if not code:
        return "—"
    return _locale(context["locale"]).languages.get(str(code)) or str(code)


@pass_context
def state_label(context: Context, config: _Config | None, state: str) -> str:
    found = config.state(state) if config is not None else None
    return context["_"](found.label) if found is not None else state


@pass_context
def transition_label(context: Context, config: _Config | None, from_state: str, to_state: str) -> str:
    """A transition's own label, or the label of the state it leads to."""
    for t in config.transitions if config is not None else ():
        if t.to_state == to_state and t.from_state in (from_state, "*") and t.label:
            return str(context["_"](t.label))
    return str(state_label(context, config, to_state))


@pass_context
def field_label(context: Context, config: _Config | None, name: str) -> str:
    found = config.field(name) if config is not None else None
    return context["_"](found.label) if found is not None else name


@pass_context
def choice_label(context: Context, config: _Config | None, name: str, value: object) -> str:
    """A programme field's value as its choice label (each of a multiple choice, comma-separated)."""
    if value is None or value == "" or value == []:
        return "—"
    found = config.field(name) if config is not None else None
    choices = {c.value: c.label for c in (found.choices or [])} if found is not None else {}
    values = value if isinstance(value, list) else [value]
    if isinstance(value, bool):
        return context["_"]("Yes") if value else context["_"]("No")
    return ", ".join(context["_"](choices[v]) if v in choices else str(v) for v in values)


FILTERS: dict[str, Callable[..., str]] = {
    "sex_label": _from(SEX),
    "document_type_label": _from(DOCUMENT_TYPE),
    "relationship_label": _from(RELATIONSHIP),
    "role_label": _from(ROLE),
    "organisation_kind_label": _from(ORGANISATION_KIND),
    "country_label": country_label,
    "language_label": language_label,
    "state_label": state_label,
    "transition_label": transition_label,
    "field_label": field_label,
    "choice_label": choice_label,
}
GLOBALS = {"country_choices": country_choices}
