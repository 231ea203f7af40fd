"""The one place that decides who may do what to which record.

Every route asks `require()` for the action and applies `people_scope()` / `cases_scope()` inside its
query, so a record outside the user's offices is never loaded, let alone filtered out afterwards.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    Table,
    and_,
    bindparam,
    exists,
    false,
    or_,
    select,
)

from crossroads.auth.roles import ACTION_LABELS, Action, Role
from crossroads.db.base import Base
from crossroads.kit.errors import Forbidden, Invalid
from crossroads.kit.i18n import N_, Message

_REGISTRY = frozenset(
    {
        Action.PERSON_READ,
        Action.PERSON_CREATE,
        Action.PERSON_UPDATE,
        Action.HOUSEHOLD_MANAGE,
        Action.CASE_READ,
        Action.CASE_CREATE,
        Action.CASE_NOTE,
        Action.CASE_UPDATE,
        Action.CASE_TRANSITION,
        Action.CASE_ASSIGN,
        Action.CASE_TRANSFER,
        Action.CASE_TASK,
        Action.CASE_SERVICE,
        Action.CASE_ATTACHMENT,
        # Everyone who registers people checks for duplicates first.
        Action.DEDUP_CHECK,
        # Cases are opened under a programme and filled in on its form.
        Action.PROGRAMME_READ,
        # Whoever registers a person records and revokes their consent to share it.
        Action.CONSENT_READ,
        Action.CONSENT_RECORD,
        Action.CONSENT_REVOKE,
        # Finding the service a person needs is part of assisting them.
        Action.DIRECTORY_READ,
        # Referring a case, and answering referrals addressed to one's office from another office.
        Action.REFERRAL_READ,
        Action.REFERRAL_MANAGE,
        Action.REFERRAL_RESPOND,
        # Screening a person, determining their eligibility, overriding a determination with a reason and
        # lodging an appeal on their behalf; reading the rules that decided it, to explain them.
        Action.SCREENING_READ,
        Action.SCREENING_RECORD,
        Action.DETERMINATION_READ,
        Action.DETERMINATION_RUN,
        Action.OVERRIDE_REQUEST,
        Action.APPEAL_LODGE,
        Action.RULESET_READ,
    }
)

# Rule sets decide who gets help: an administrator drafts them, sees whose determination would change and only
# then activates them; nobody who works the cases changes the rules their cases are judged by.
_RULESETS = frozenset({Action.RULESET_READ, Action.RULESET_DRAFT, Action.RULESET_DIFF, Action.RULESET_ACTIVATE})

# Releases: the data officer prepares and hands out, the DPO sets budgets and agreements and decides; both
# read releases and download approved ones. Nobody else touches de-identification at all.
_RELEASES = frozenset({Action.RELEASE_READ, Action.RELEASE_DOWNLOAD})

# Least privilege: only the roles that assist people see identities. Partners see nothing of the
# registry until a referral shares consented fields, not even its programmes' forms and workflows, which
# name the sensitive fields a case holds; data officers and the DPO work on de-identified data and on the
# audit trail, and read the programmes whose fields a dataset offers; administrators manage accounts,
# programmes and the service directory, not cases. The directory holds no one's personal data: partners read
# it too, to refer onward, but only administrators import it and edit it.
GRANTS: dict[Role, frozenset[Action]] = {
    Role.CASEWORKER: _REGISTRY,
    # Supervisors also approve the transitions a programme reserves for them and oversee their offices.
    # Deciding that two records are one person, and merging them, is a supervisor's call.
    # Their decisions on pairs teach the duplicate engine, and they judge a version learnt from them before
    # activating it; a version's figures are counts over decisions, never a person's data.
    Role.SUPERVISOR: _REGISTRY | {Action.CASE_APPROVE, Action.OFFICE_DASHBOARD, Action.DEDUP_REVIEW,
                                  Action.DEDUP_MERGE, Action.REFERRAL_ANALYTICS, Action.DEDUP_MODEL_READ,
                                  Action.DEDUP_MODEL_TRAIN, Action.DEDUP_MODEL_ACTIVATE, Action.OVERRIDE_DECIDE,
                                  Action.APPEAL_DECIDE},
    # A partner reads its organisation's referral inbox and answers it; what it reads of a person is only
    # what their consent in force shares (referrals.service), never the registry.
    Role.PARTNER: frozenset({Action.DIRECTORY_READ, Action.REFERRAL_READ, Action.REFERRAL_RESPOND}),
    Role.DATA_OFFICER: _RELEASES | {Action.RELEASE_PREPARE, Action.EXCHANGE_ISSUE, Action.PROGRAMME_READ},
    Role.DPO: _RELEASES | {Action.AUDIT_READ, Action.RELEASE_APPROVE, Action.DATASET_MANAGE, Action.LEDGER_READ,
                           Action.AGREEMENT_MANAGE, Action.PROGRAMME_READ},
    # Administrators also run the engine's versions (activate, roll back) on the supervisors' comparison figures.
    Role.ADMIN: frozenset({Action.ADMIN_MANAGE, Action.AUDIT_READ, Action.PROGRAMME_READ, Action.PROGRAMME_MANAGE,
                           Action.DIRECTORY_READ, Action.DIRECTORY_MANAGE, Action.NOTIFY_MANAGE,
                           Action.DEDUP_MODEL_READ, Action.DEDUP_MODEL_ACTIVATE}) | _RULESETS,
}


# Sensitivity classes of recorded values, the programmes' (`programmes/config.py: Sensitivity`) and a person's
# identity's (`people/models.py: PERSON_FIELD_SENSITIVITY`): general data may appear in statistics, personal data
# identifies someone, sensitive and highly sensitive data can harm them if it travels.
GENERAL, PERSONAL, SENSITIVE, HIGHLY_SENSITIVE = "general", "personal", "sensitive", "highly_sensitive"
SENSITIVITIES = frozenset({GENERAL, PERSONAL, SENSITIVE, HIGHLY_SENSITIVE})

# Need to know: a caseworker reads the sensitive values of the records they hold (a person of their office, a
# case assigned to them) and only the general and personal values of the others they can open; a supervisor
# oversees their offices and reads them all. Roles that see no identities read none.
_READS: dict[Role, frozenset[str]] = {
    Role.CASEWORKER: frozenset({GENERAL, PERSONAL}),
    Role.SUPERVISOR: SENSITIVITIES,
}

# A person's identity is corrected by the office that registered them, or by a supervisor overseeing the person;
# a caseworker elsewhere who sees the person through a case asks that office.
_EDITS_ANY_PERSON_IN_SCOPE = frozenset({Role.SUPERVISOR})


def _table(name: str) -> Table:
    """A table of the schema, looked up by name as foreign keys name it.

    The scopes below are conditions on the schema's office columns. Naming the tables, rather than importing
    the domains' model classes, keeps this module below every domain that asks it: the policy depends on the
    schema, not on the code that serves it. The columns are the very ones the models map, so the conditions
    compose with `select(Case)` and friends exactly as the mapped attributes would.
    """
    return Base.metadata.tables[name]


@dataclass(frozen=True)
class Principal:
    """The authenticated user as the policy sees them, built once per request."""

    # None only for system work such as seeding the demo, which no user performs.
    user_id: uuid.UUID | None
    role: Role
    organisation_id: uuid.UUID
    office_ids: frozenset[uuid.UUID]
    # The language the user chose for their pages (users.locale), read with the principal in one statement.
    locale: str | None = None

    def may(self, action: Action) -> bool:
        # Action() raises for a string that merely looks like an action ("case.aprove"), which a plain
        # membership test would silently deny.
        return Action(action) in GRANTS[self.role]


class UnknownAction(Exception):
    """A page asked about an action the policy does not know (a misspelt name)."""


class Allowed:
    """The policy's answers for a page: `allowed.case_approve` is whether the user may `case.approve`.

    Templates read these instead of naming actions in strings. Jinja looks a missing attribute up as an item
    and renders an unknown one as empty, which would silently hide a button; a name that is no action raises
    from the item lookup instead, so the page fails to render and its test fails.
    """

    __slots__ = ("_actions",)

    def __init__(self, principal: Principal | None) -> None:
        self._actions = GRANTS[principal.role] if principal is not None else frozenset()

    def __getattr__(self, name: str) -> bool:
        try:
            return Action[name.upper()] in self._actions
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, name: str) -> bool:
        try:
            return Action[name.upper()] in self._actions
        except KeyError:
            raise UnknownAction(f"no action named {name!r}") from None


def require(principal: Principal, action: Action) -> None:
    if not principal.may(action):
        raise Forbidden(Message(N_("your role may not %(action)s"), {"action": Message(ACTION_LABELS[action])}))


def require_office(principal: Principal, action: Action, office_id: uuid.UUID) -> None:
    """The action is allowed and the office is one of the user's own."""
    require(principal, action)
    if office_id not in principal.office_ids:
        raise Forbidden(N_("you do not work in that office"), field="office_id")


def default_office(principal: Principal, office_id: uuid.UUID | None) -> uuid.UUID:
    """The office a new record belongs to: the one asked for, or the user's only office."""
    if office_id is not None:
        return office_id
    if len(principal.office_ids) == 1:
        return next(iter(principal.office_ids))
    raise Invalid(N_("choose the office: you work in more than one"), field="office_id")


def readable_sensitivities(principal: Principal, *, holder: bool) -> frozenset[str]:
    """The sensitivity classes of a record's values the user may read; `holder` when they hold the record."""
    reads = _READS.get(principal.role, frozenset())
    return SENSITIVITIES if holder and reads else reads


def holds_person(principal: Principal, person_office_id: uuid.UUID) -> bool:
    """The person was registered in one of the user's offices."""
    return person_office_id in principal.office_ids


def holds_case(principal: Principal, assigned_to: uuid.UUID | None) -> bool:
    """The case is assigned to the user."""
    return _own(principal, assigned_to)


def may_edit_person(principal: Principal, person_office_id: uuid.UUID) -> bool:
    """The user may correct this person's identity (the person is already in their `people_scope`)."""
    return principal.may(Action.PERSON_UPDATE) and (
        principal.role in _EDITS_ANY_PERSON_IN_SCOPE or holds_person(principal, person_office_id))


def require_person_editor(principal: Principal, person_office_id: uuid.UUID) -> None:
    """Refuse (403) unless `may_edit_person`."""
    require(principal, Action.PERSON_UPDATE)
    if not may_edit_person(principal, person_office_id):
        raise Forbidden("only the office that registered this person, or a supervisor, may change their details",
                        field="person_id")


def cases_scope(principal: Principal) -> ColumnElement[bool]:
    offices = cases_scope_offices(principal)
    if not offices:
        return false()
    return _table("cases").c.office_id.in_(offices)


CASES_SCOPE_OFFICES = "scope_offices"


def cases_scope_bound() -> ColumnElement[bool]:
    """`cases_scope` with the offices left as a parameter (`CASES_SCOPE_OFFICES`, filled by
    `cases_scope_offices`), for a statement built once and run for every user: building and keying a new
    statement per call cost a determination more than its rules did."""
    return _table("cases").c.office_id.in_(bindparam(CASES_SCOPE_OFFICES, expanding=True))


def cases_scope_offices(principal: Principal) -> list[uuid.UUID]:
    """The offices whose cases `cases_scope_bound` lets this user see; none when they may not read cases."""
    if not principal.may(Action.CASE_READ):
        return []
    return sorted(principal.office_ids, key=str)


def people_scope(principal: Principal) -> ColumnElement[bool]:
    """People registered in the user's offices or with a case there."""
    if not principal.may(Action.PERSON_READ) or not principal.office_ids:
        return false()
    offices = principal.office_ids
    cases, people = _table("cases"), _table("people")
    with_case = exists(
        select(cases.c.id).where(cases.c.person_id == people.c.id, cases.c.office_id.in_(offices))
    )
    return or_(people.c.office_id.in_(offices), with_case)


def person_case_offices(person_id: uuid.UUID, *, office_id: uuid.UUID | None = None) -> Select[tuple[uuid.UUID]]:
    """The offices of the person's cases (only `office_id`, if given): with the office they were registered in,
    the offices whose users `people_scope` lets see them. The people search stores its keys per such office."""
    cases = _table("cases")
    query = select(cases.c.office_id).where(cases.c.person_id == person_id)
    if office_id is not None:
        query = query.where(cases.c.office_id == office_id)
    return query.distinct()


def person_visible(principal: Principal, person_id: SQLColumnExpression[uuid.UUID]) -> ColumnElement[bool]:
    """The person this id column points at is in the user's `people_scope` (for queries over pairs)."""
    people = _table("people")
    return exists(select(people.c.id).where(people.c.id == person_id, people_scope(principal))
                  .correlate_except(people))


def match_pairs_scope(principal: Principal, person_a_id: SQLColumnExpression[uuid.UUID],
                      person_b_id: SQLColumnExpression[uuid.UUID]) -> ColumnElement[bool]:
    """Candidate pairs a supervisor reviews: at least one of the two people is in their scope."""
    if not principal.may(Action.DEDUP_REVIEW) or not principal.office_ids:
        return false()
    return or_(person_visible(principal, person_a_id), person_visible(principal, person_b_id))


def case_holder_roles() -> frozenset[Role]:
    """Roles a case may be assigned or transferred to: those who work on the registry."""
    return frozenset(role for role, actions in GRANTS.items() if Action.CASE_UPDATE in actions)


def _own(principal: Principal, requested_by: uuid.UUID | None) -> bool:
    return requested_by is not None and requested_by == principal.user_id


def may_decide_approval(principal: Principal, requested_by: uuid.UUID | None) -> bool:
    """The user may approve transitions, and the request to decide is not their own (four eyes)."""
    return principal.may(Action.CASE_APPROVE) and not _own(principal, requested_by)


def require_approver(principal: Principal, requested_by: uuid.UUID | None) -> None:
    """Refuse (403) unless `may_decide_approval`."""
    require(principal, Action.CASE_APPROVE)
    if not may_decide_approval(principal, requested_by):
        raise Forbidden("another supervisor must decide your own request", field="approval_id")


def may_decide_release(principal: Principal, prepared_by: uuid.UUID) -> bool:
    """The user may decide releases, and did not prepare this one (four eyes)."""
    return principal.may(Action.RELEASE_APPROVE) and principal.user_id is not None \
        and principal.user_id != prepared_by


def require_release_decider(principal: Principal, prepared_by: uuid.UUID) -> None:
    """Refuse (403) unless `may_decide_release`."""
    require(principal, Action.RELEASE_APPROVE)
    if not may_decide_release(principal, prepared_by):
        raise Forbidden("a release must be approved by someone other than the person who prepared it",
                        field="release_id")


def referrals_made_scope(principal: Principal) -> ColumnElement[bool]:
    """Referrals made from one of the user's offices, which any colleague there may follow."""
    if not principal.may(Action.REFERRAL_MANAGE) or not principal.office_ids:
        return false()
    return _table("referrals").c.office_id.in_(principal.office_ids)


def referrals_received_scope(principal: Principal) -> ColumnElement[bool]:
    """Referrals addressed to the user's side and sent (a draft is the referrer's alone): a partner's
    organisation for external referrals, one of the user's offices for internal ones."""
    if not principal.may(Action.REFERRAL_RESPOND):
        return false()
    referrals = _table("referrals")
    sent = referrals.c.state != "draft"
    if principal.role is Role.PARTNER:
        return and_(sent, referrals.c.kind == "external", referrals.c.to_organisation_id == principal.organisation_id)
    if not principal.office_ids:
        return false()
    return and_(sent, referrals.c.kind == "internal", referrals.c.to_office_id.in_(principal.office_ids))


def incoming_transfers_scope(principal: Principal) -> ColumnElement[bool]:
    """Transfers the user may see and decide: addressed to one of their offices and, when named, to them.

    The case itself stays outside the receiver's `cases_scope` until the transfer is accepted.
    """
    if not principal.may(Action.CASE_TRANSFER) or not principal.office_ids or principal.user_id is None:
        return false()
    transfers = _table("case_transfers")
    return and_(
        transfers.c.to_office_id.in_(principal.office_ids),
        or_(transfers.c.to_user_id.is_(None), transfers.c.to_user_id == principal.user_id),
    )


def outgoing_transfers_scope(principal: Principal) -> ColumnElement[bool]:
    """Transfers sent from one of the user's offices, which any colleague there may follow or cancel."""
    if not principal.may(Action.CASE_TRANSFER) or not principal.office_ids:
        return false()
    return _table("case_transfers").c.from_office_id.in_(principal.office_ids)


def may_decide_override(principal: Principal, requested_by: uuid.UUID | None) -> bool:
    """The user decides overrides, and did not ask for this one (four eyes)."""
    return principal.may(Action.OVERRIDE_DECIDE) and not _own(principal, requested_by)


def require_override_decider(principal: Principal, requested_by: uuid.UUID | None) -> None:
    """Refuse (403) unless `may_decide_override`."""
    require(principal, Action.OVERRIDE_DECIDE)
    if not may_decide_override(principal, requested_by):
        raise Forbidden(N_("another supervisor must decide your own override"), field="override_id")


def may_decide_appeal(principal: Principal, lodged_by: uuid.UUID | None) -> bool:
    """The user decides appeals, and did not lodge this one."""
    return principal.may(Action.APPEAL_DECIDE) and not _own(principal, lodged_by)


def require_appeal_decider(principal: Principal, lodged_by: uuid.UUID | None) -> None:
    """Refuse (403) unless `may_decide_appeal`."""
    require(principal, Action.APPEAL_DECIDE)
    if not may_decide_appeal(principal, lodged_by):
        raise Forbidden(N_("another supervisor must decide an appeal you lodged"), field="appeal_id")
