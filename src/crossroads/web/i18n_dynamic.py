"""Strings the templates translate from variables (`_(s.value)`, `_(message)`), listed so extraction finds them."""

from __future__ import annotations

from crossroads.kit.i18n import N_

DYNAMIC = (
    # Sex (crossroads.people.models.Sex)
    N_("female"),
    N_("male"),
    N_("other"),
    N_("unknown"),
    # Identity document types (DocumentType; "other" is above)
    N_("passport"),
    N_("national_id"),
    N_("birth_certificate"),
    N_("travel_document"),
    N_("residence_permit"),
    N_("refugee_id"),
    # Household relationships (Relationship)
    N_("head"),
    N_("spouse"),
    N_("child"),
    N_("parent"),
    N_("sibling"),
    N_("grandchild"),
    N_("other_relative"),
    N_("non_relative"),
    # Roles (crossroads.auth.roles.Role)
    N_("caseworker"),
    N_("supervisor"),
    N_("partner"),
    N_("data_officer"),
    N_("dpo"),
    N_("admin"),
    # Organisation kinds (OrganisationKind; "partner" is above)
    N_("agency"),
    N_("government"),
    # Notification outbox (crossroads.notify.models: OutboxState, Channel)
    N_("pending"),
    N_("sent"),
    N_("dead"),
    N_("email"),
    N_("webhook"),
    # Case states
    N_("open"),
    # Programme names, as seeded by the foundation migration
    N_("Counter-trafficking assistance"),
    N_("Assisted voluntary return and reintegration"),
    N_("Unaccompanied and separated children"),
    N_("Family reunification"),
    N_("Labour mobility"),
    N_("Resettlement and movement"),
    N_("Legal counselling"),
    # Programme codes, shown where a case names its programme
    N_("counter_trafficking"),
    N_("avrr"),
    N_("uasc"),
    N_("family_reunification"),
    N_("labour_mobility"),
    N_("resettlement"),
    N_("legal_counselling"),
    # Error pages and the login form
    N_("wrong e-mail or password"),
    N_("the form expired or came from another site; reload the page and try again"),
    N_("someone else changed this record; reload it and apply your change again"),
    N_("internal error"),
    N_("Not Found"),
    N_("Method Not Allowed"),
    N_("you do not work in that office"),
    N_("choose the office: you work in more than one"),
    # Service errors, shown on the error page or beside a form field
    N_("no such person"),
    N_("no such case"),
    N_("no such office"),
    N_("no such organisation"),
    N_("no such user"),
    N_("an organisation with this name exists"),
    N_("an office with this code exists"),
    N_("one of the offices does not exist"),
    N_("a user with this e-mail exists"),
    N_("administrators cannot deactivate themselves or change their own role"),
    N_("a person cannot be added to their own household twice"),
    N_("only the office that registered this person, or a supervisor, may change their details"),
    N_("this record was merged into another person; edit that person instead"),
    N_("no such webhook"),
    N_("no such message"),
    N_("webhooks are sent over HTTPS only"),
    N_("only a dead message can be retried"),
    # Form validation messages raised by our validators
    N_("must be an ISO 3166-1 alpha-3 country code, e.g. SYR, ERI, AFG"),
    N_("must be an ISO 639-1 or 639-3 language code, e.g. ar, ti, prs"),
    N_("must be an international number starting with + and the country code"),
    N_("is not a possible phone number"),
    N_("must be between 1900-01-01 and today"),
    N_("give either date_of_birth or estimated_age, not both"),
    N_("give either person_id of a registered person or person to register"),
    N_("cannot be removed, only changed"),
    # Statuses of approval requests and transfers, named in refusals
    N_("pending"),
    N_("approved"),
    N_("superseded"),
    N_("accepted"),
    N_("declined"),
    N_("cancelled"),
    # ICAO 9303 nationality codes outside ISO 3166 (kit/codes.py), which pycountry does not translate.
    N_("Stateless person"),
    N_("Refugee"),
    N_("Refugee (other)"),
    N_("Unspecified"),
)
