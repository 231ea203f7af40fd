"""What people read instead of the codes the database stores: one place for every label, in the page's language.

Templates use these as filters (registered in web/templating.py; their names are listed in
docs/architecture.md): `sex_label`, `document_type_label`, `relationship_label`, `role_label`,
`organisation_kind_label`, the referral and consent codes' `referral_state_label`, `referral_step_label`,
`decline_reason_label`, `referral_outcome_label`, `purpose_label`, `data_category_label`,
`consent_method_label` and `shared_field_label`, `country_label`, `language_label`, `weekdays_label` (an
HSDS schedule's days), and with a programme's configuration
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
from crossroads.kit.i18n import N_, pgettext
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
# Referrals (referrals/lifecycle.py: ReferralState; referrals/models.py: DeclineReason, Outcome). A state is said of
# one referral, in a context of its own: the same words head columns of counts and label dates.
REFERRAL_STATE = {
    "draft": N_("Draft"),
    "sent": N_("Sent, waiting for an answer"),
    "accepted": pgettext("referral state", "Accepted"),
    "declined": pgettext("referral state", "Declined"),
    "in_progress": N_("In progress"),
    "completed": pgettext("referral state", "Completed"),
    "closed": pgettext("referral state", "Closed"),
    "no_show": N_("The person did not come"),
}
REFERRAL_STEP = {
    "send": N_("Send"),
    "accept": N_("Accept"),
    "decline": N_("Decline"),
    "start": N_("Start"),
    "complete": N_("Complete"),
    "no_show": N_("No show"),
    "close": N_("Close"),
}
DECLINE_REASON = {
    "no_capacity": N_("No capacity"),
    "not_eligible": N_("Not eligible"),
    "outside_service_area": N_("Outside the service area"),
    "service_not_offered": N_("Service not offered"),
    "person_unreachable": N_("Person could not be reached"),
    "other": N_("Other reason"),
}
REFERRAL_OUTCOME = {
    "service_provided": N_("Service provided"),
    "partly_provided": N_("Service partly provided"),
    "referred_onward": N_("Referred onward"),
    "person_declined": N_("The person declined the service"),
}
# Consent (consent/coverage.py: Purpose, Category, Method).
PURPOSE = {
    "referral": N_("Referral to a service"),
    "case_management": N_("Case management"),
    "health_care": N_("Health care"),
    "legal_assistance": N_("Legal assistance"),
    "shelter": N_("Shelter"),
    "psychosocial_support": N_("Psychosocial support"),
    "family_tracing": N_("Family tracing"),
    "return_and_reintegration": N_("Return and reintegration"),
}
DATA_CATEGORY = {
    "identity": N_("Identity"),
    "contact": N_("Contact and languages"),
    "nationality_and_documents": N_("Nationality and documents"),
    "case_summary": N_("Case summary"),
    "health": N_("Health"),
    "protection_needs": N_("Protection needs"),
    "legal_status": N_("Legal status"),
}
CONSENT_METHOD = {
    "written": N_("Written"),
    "verbal": N_("Verbal"),
    "guardian": N_("By a guardian for a child"),
}
# The person's and case's fields a referral shares (consent/coverage.py: FIELDS), by their shared name;
# the programme's own fields (case.data.*) are labelled by its configuration instead.
SHARED_FIELD = {
    "person.given_name": N_("Given name"),
    "person.family_name": N_("Family name"),
    "person.aliases": N_("Other names"),
    "person.sex": N_("Sex"),
    "person.date_of_birth": N_("Date of birth"),
    "person.phone": N_("Phone"),
    "person.languages": N_("Languages"),
    "person.nationality": N_("Nationality"),
    "person.documents": N_("Identity documents"),
    "case.case_number": N_("Case number"),
    "case.programme": N_("Programme"),
    "case.state": N_("Case status"),
    "case.opened_at": N_("Opened"),
}


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


_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@pass_context
def weekdays_label(context: Context, byday: object) -> str:
    """An RFC 5545 BYDAY list (an HSDS schedule's "MO,TU") as CLDR's weekday names in the locale; a part that
    is not a plain weekday ("2MO" of a monthly rule) is kept as written."""
    if not byday:
        return ""
    names = _locale(context["locale"]).days["format"]["wide"]
    parts = [p.strip() for p in str(byday).split(",") if p.strip()]
    return ", ".join(names[_WEEKDAYS.index(p)] if p in _WEEKDAYS else p for p in parts)


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
    "referral_state_label": _from(REFERRAL_STATE),
    "referral_step_label": _from(REFERRAL_STEP),
    "decline_reason_label": _from(DECLINE_REASON),
    "referral_outcome_label": _from(REFERRAL_OUTCOME),
    "purpose_label": _from(PURPOSE),
    "data_category_label": _from(DATA_CATEGORY),
    "consent_method_label": _from(CONSENT_METHOD),
    "shared_field_label": _from(SHARED_FIELD),
    "country_label": country_label,
    "language_label": language_label,
    "weekdays_label": weekdays_label,
    "state_label": state_label,
    "transition_label": transition_label,
    "field_label": field_label,
    "choice_label": choice_label,
}
GLOBALS = {"country_choices": country_choices}
