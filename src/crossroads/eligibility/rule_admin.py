"""Rule set versions of a programme: drafted from a rule file, compared with the active one, then activated."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crossroads.audit.service import record_event
from crossroads.auth.policy import Principal, require
from crossroads.auth.roles import Action
from crossroads.db.base import utcnow
from crossroads.eligibility import rulesets
from crossroads.eligibility.models import RuleSetStatus, RuleSetVersion
from crossroads.eligibility.reevaluation_run import diff_in_connection
from crossroads.eligibility.schemas import RuleSetCreate
from crossroads.eligibility.service import active_rule_set, compiled
from crossroads.kit.errors import Conflict, Invalid, NotFound
from crossroads.kit.i18n import N_, Message
from crossroads.programmes.models import Programme


def _programme(session: Session, code: str) -> Programme:
    programme = session.get(Programme, code)
    if programme is None:
        raise NotFound(N_("no such programme"), field="code")
    return programme


def list_rule_sets(session: Session, *, principal: Principal, programme: str) -> list[RuleSetVersion]:
    """The programme's rule set versions, newest first."""
    require(principal, Action.RULESET_READ)
    _programme(session, programme)
    return list(session.scalars(select(RuleSetVersion).where(RuleSetVersion.programme == programme)
                                .order_by(RuleSetVersion.created_at.desc(), RuleSetVersion.id.desc())))


def get_rule_set(session: Session, *, principal: Principal, rule_set_id: int) -> RuleSetVersion:
    require(principal, Action.RULESET_READ)
    row = session.get(RuleSetVersion, rule_set_id)
    if row is None:
        raise NotFound(N_("no such rule set"), field="rule_set_id")
    return row


def parse_rule_file(text: str, *, source: str, programme: str) -> rulesets.RuleSet:
    """The rule set a file defines, or a 422 naming `source` with the file's line and problem."""
    try:
        ruleset = rulesets.load_ruleset(text, source=source)
    except rulesets.RuleFileError as exc:
        raise Invalid(Message(N_("line %(line)s: %(problem)s"), {"line": exc.line, "problem": exc.problem}),
                      field="source") from None
    if ruleset.programme != programme:
        raise Invalid(Message(N_("this rule file is for the programme %(other)s"), {"other": ruleset.programme}),
                      field="source")
    return ruleset


def draft_rule_set(session: Session, *, principal: Principal | None, programme: str, data: RuleSetCreate,
                   ) -> RuleSetVersion:
    """Store a new draft version of the programme's rules, refused with its line when the file is malformed.

    `principal` is None for the operator's command line, which has the database itself in hand.
    """
    if principal is not None:
        require(principal, Action.RULESET_DRAFT)
    _programme(session, programme)
    parse_rule_file(data.source, source=f"{programme} {data.version}", programme=programme)
    if session.scalar(select(RuleSetVersion.id).where(RuleSetVersion.programme == programme,
                                                      RuleSetVersion.version == data.version)):
        raise Conflict(N_("this programme already has a rule set with this version"), field="version")
    row = RuleSetVersion(programme=programme, version=data.version, source=data.source,
                         status=RuleSetStatus.DRAFT, approve_every_override=data.approve_every_override,
                         created_by=principal.user_id if principal else None, created_at=utcnow())
    session.add(row)
    session.flush()
    record_event(session, actor=principal, action="ruleset.draft", entity_type="rule_set", entity_id=row.id,
                 details={"programme": programme, "version": data.version,
                          "approve_every_override": data.approve_every_override})
    return row


def _draft(session: Session, principal: Principal, action: Action, rule_set_id: int) -> RuleSetVersion:
    require(principal, action)
    row = session.get(RuleSetVersion, rule_set_id)
    if row is None:
        raise NotFound(N_("no such rule set"), field="rule_set_id")
    if row.status is not RuleSetStatus.DRAFT:
        raise Conflict(N_("only a draft rule set can be compared or activated"), field="rule_set_id")
    return row


def keep_diff_report(session: Session, *, principal: Principal | None, row: RuleSetVersion,
                     against: RuleSetVersion | None, report: dict[str, Any]) -> RuleSetVersion:
    """Store the report on the draft, naming the active version it was compared with."""
    row.diff_report = {**report, "against": against.id if against else None,
                       "against_version": against.version if against else None}
    row.diff_at, row.diff_by = utcnow(), principal.user_id if principal else None
    session.flush()
    record_event(session, actor=principal, action="ruleset.diff", entity_type="rule_set", entity_id=row.id,
                 details={"programme": row.programme, "version": row.version,
                          "against": against.version if against else None, "cases": report["cases"],
                          "changed": report["changed"]})
    return row


def diff_rule_set(session: Session, *, principal: Principal, rule_set_id: int, on: date | None = None,
                  ) -> RuleSetVersion:
    """Compare a draft with the programme's active rule set over all its cases, in this request, and keep the report.

    For a large registry `crossroads rules diff` reads in worker processes outside any write transaction.
    """
    row = _draft(session, principal, Action.RULESET_DIFF, rule_set_id)
    active = active_rule_set(session, row.programme)
    report = diff_in_connection(session.connection(), row.programme, compiled(active) if active else None,
                                compiled(row), on=on)
    return keep_diff_report(session, principal=principal, row=row, against=active, report=report)


def activate_rule_set(session: Session, *, principal: Principal | None, rule_set_id: int) -> RuleSetVersion:
    """Make a draft the programme's active rule set, once its diff report against the active one was produced."""
    if principal is not None:
        row = _draft(session, principal, Action.RULESET_ACTIVATE, rule_set_id)
    else:
        found = session.get(RuleSetVersion, rule_set_id)
        if found is None or found.status is not RuleSetStatus.DRAFT:
            raise Conflict(N_("only a draft rule set can be compared or activated"), field="rule_set_id")
        row = found
    active = active_rule_set(session, row.programme)
    if row.diff_report is None or row.diff_report.get("against") != (active.id if active else None):
        raise Conflict(N_("produce the diff report against the active rule set before activating"),
                       field="rule_set_id")
    now = utcnow()
    if active is not None:
        active.status, active.retired_at = RuleSetStatus.RETIRED, now
        # The retired row first: the database allows one active rule set per programme.
        session.flush()
    row.status, row.activated_by, row.activated_at = RuleSetStatus.ACTIVE, principal.user_id if principal else None, now
    session.flush()
    record_event(session, actor=principal, action="ruleset.activate", entity_type="rule_set", entity_id=row.id,
                 details={"programme": row.programme, "version": row.version,
                          "retired": active.version if active else None})
    return row
