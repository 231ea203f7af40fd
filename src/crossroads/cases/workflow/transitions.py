"""Moving a case through its programme's workflow, and the supervisor approvals some moves need."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crossroads.audit.service import record_event
from crossroads.auth.models import User
from crossroads.auth.policy import Principal, cases_scope, require, require_approver
from crossroads.auth.roles import Action
from crossroads.cases.models import Case, CaseNote
from crossroads.cases.service import case_config, load_case, touch
from crossroads.cases.workflow.models import CaseApproval, CaseStateChange
from crossroads.db.base import utcnow
from crossroads.kit.errors import Conflict, Invalid, NotFound
from crossroads.kit.i18n import N_, Message, ngettext
from crossroads.people.models import Person
from crossroads.programmes.config import (
    ProgrammeConfig,
    Reopening,
    TransitionDef,
    TransitionRefused,
    check_reopen,
    check_transition,
)

PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"
# A pending request whose case moved on before anyone decided it: its from_state no longer holds.
SUPERSEDED = "superseded"
APPROVAL_STATUSES = (PENDING, APPROVED, REJECTED, SUPERSEDED)

COMMENT_MAX = 2000
LIST_LIMIT = 200


@dataclass(frozen=True)
class TransitionOption:
    to_state: str
    label: str
    requires_approval: bool
    # Fields to fill in before the move is accepted; empty when the case may move now.
    missing_fields: list[str]
    # The move ends the case (closes, withdraws, refers out): it asks for a reason, and a confirmation on the page.
    reason_required: bool


@dataclass(frozen=True)
class TransitionOutcome:
    """A case after a request to move it: moved, or still in its state with the approval it waits for."""

    case: Case
    approval: CaseApproval | None


@dataclass(frozen=True)
class ApprovalItem:
    approval: CaseApproval
    case_number: str
    programme: str
    # The case's programme version, whose labels name the move; the person the case is about; who asked.
    programme_version_id: int | None = None
    person_name: str = ""
    requested_by_name: str | None = None


def optional_text(value: str | None, field: str, limit: int = COMMENT_MAX) -> str | None:
    """A free-text comment stripped, None when blank, refused when too long."""
    if value is None:
        return None
    value = value.strip()
    if len(value) > limit:
        raise Invalid(ngettext("must have at most %(num)d character", "must have at most %(num)d characters", limit),
                      field=field)
    return value or None


REASON_REQUIRED = N_("give a reason: ending or reopening a case needs one")


def required_reason(value: str | None) -> str:
    reason = optional_text(value, "reason")
    if reason is None:
        raise Invalid(REASON_REQUIRED, field="reason")
    return reason


def _state_label(config: ProgrammeConfig, name: str) -> Message | str:
    state = config.state(name)
    return Message(state.label) if state is not None else name


def _checked(config: ProgrammeConfig, case: Case, to_state: str) -> TransitionDef:
    try:
        return check_transition(config, case.state, to_state, case.data)
    except TransitionRefused as exc:
        possible = list(dict.fromkeys(t.to_state for t in config.next_states(case.state)))
        raise Invalid(exc.reason, field="to_state",
                      extra={"missing_fields": exc.missing_fields, "possible_states": possible}) from None


def _pending_approval(session: Session, case_id: uuid.UUID) -> CaseApproval | None:
    return session.scalar(select(CaseApproval).where(CaseApproval.case_id == case_id,
                                                     CaseApproval.status == PENDING))


def _apply(session: Session, principal: Principal, case: Case, config: ProgrammeConfig, to_state: str, *,
           approval: CaseApproval | None = None, comment: str | None = None, reason: str | None = None,
           reopened: bool = False) -> None:
    """Set the new state and record it; the caller has locked the case and checked the move."""
    from_state = case.state
    details: dict = {"from": from_state, "to": to_state}
    if approval is not None:
        details["approval"] = approval.id
    if reopened:
        details["reopened"] = True
    stale = _pending_approval(session, case.id)
    if stale is not None and stale is not approval:
        # The request was made from a state the case is leaving, so it could never be applied any more.
        stale.status = SUPERSEDED
        stale.decided_by = principal.user_id
        stale.decided_at = utcnow()
        details["superseded_approval"] = stale.id
    case.state = to_state
    target = config.state(to_state)
    case.closed_at = utcnow() if target is not None and target.terminal else None
    touch(case)
    if comment:
        # The comment is kept with the case as a note; the audit trail only points at it.
        note = CaseNote(case_id=case.id, author_id=principal.user_id, body=comment)
        session.add(note)
        session.flush()
        details["note"] = note.id
    change = CaseStateChange(case_id=case.id, from_state=from_state, to_state=to_state, reopened=reopened,
                             reason=reason, approval_id=approval.id if approval is not None else None,
                             changed_by=principal.user_id, changed_at=utcnow())
    session.add(change)
    session.flush()
    # The reason may describe the person: the trail points at the row that keeps it, never copies it.
    details["state_change"] = change.id
    if reason is not None:
        details["fields"] = ["reason"]
    details["version"] = case.version
    record_event(session, actor=principal, action="case.transition", entity_type="case", entity_id=case.id,
                 office_id=case.office_id, details=details)


def available_transitions(session: Session, *, principal: Principal, case_id: uuid.UUID) -> list[TransitionOption]:
    """The states a case may move to next under its programme version, and what each still needs."""
    require(principal, Action.CASE_TRANSITION)
    case = load_case(session, principal, case_id)
    config = case_config(session, case)
    options: dict[str, TransitionOption] = {}
    for t in config.next_states(case.state):
        if t.to_state in options:
            # check_transition applies the first matching definition, so the first one is what the user gets.
            continue
        try:
            check_transition(config, case.state, t.to_state, case.data)
            missing: list[str] = []
        except TransitionRefused as exc:
            missing = exc.missing_fields
        target = config.state(t.to_state)
        label = t.label or (target.label if target else t.to_state)
        options[t.to_state] = TransitionOption(t.to_state, label, t.requires_approval, missing,
                                               config.ends_case(t.to_state))
    return list(options.values())


def transition_case(session: Session, *, principal: Principal, case_id: uuid.UUID, to_state: str,
                    comment: str | None = None, reason: str | None = None) -> TransitionOutcome:
    """Move a case to another state of its workflow, or ask for approval when the programme requires it.

    A move that ends the case needs a reason, kept with the move (and with the approval request, if any).
    """
    require(principal, Action.CASE_TRANSITION)
    comment = optional_text(comment, "comment")
    reason = optional_text(reason, "reason")
    case = load_case(session, principal, case_id, lock=True)
    config = case_config(session, case)
    transition = _checked(config, case, to_state)
    if config.ends_case(to_state) and reason is None:
        raise Invalid(REASON_REQUIRED, field="reason")
    if not transition.requires_approval:
        _apply(session, principal, case, config, to_state, comment=comment, reason=reason)
        return TransitionOutcome(case=case, approval=None)
    return _request_approval(session, principal, case, config, to_state, comment=comment, reason=reason)


def _request_approval(session: Session, principal: Principal, case: Case, config: ProgrammeConfig, to_state: str, *,
                      comment: str | None = None, reason: str | None = None,
                      reopened: bool = False) -> TransitionOutcome:
    # Four eyes: a move the programme reserves for approval is always decided by a supervisor other than the
    # one who asked. A supervisor's own request therefore waits like a caseworker's, and no role may approve
    # alone; otherwise the supervisors who carry cases themselves would never have their work checked.
    pending = _pending_approval(session, case.id)
    if pending is not None:
        raise Conflict(Message(N_("a move to “%(state)s” is already waiting for approval; it must be decided first"),
                               {"state": _state_label(config, pending.to_state)}),
                       field="to_state", extra={"pending_approval": pending.id})
    approval = CaseApproval(case_id=case.id, from_state=case.state, to_state=to_state, status=PENDING,
                            requested_by=principal.user_id, requested_at=utcnow(), comment=comment, reason=reason)
    session.add(approval)
    session.flush()
    details: dict = {"approval": approval.id, "from": case.state, "to": to_state, "version": case.version}
    if reopened:
        details["reopened"] = True
    if reason is not None:
        details["fields"] = ["reason"]
    record_event(session, actor=principal, action="case.approval_requested", entity_type="case", entity_id=case.id,
                 office_id=case.office_id, details=details)
    return TransitionOutcome(case=case, approval=approval)


def _last_state_before(session: Session, case: Case) -> str | None:
    """The state the case left when it last entered its current state."""
    return session.scalar(select(CaseStateChange.from_state)
                          .where(CaseStateChange.case_id == case.id, CaseStateChange.to_state == case.state)
                          .order_by(CaseStateChange.id.desc()).limit(1))


def reopening_of(session: Session, case: Case, config: ProgrammeConfig) -> Reopening | None:
    """Where reopening this case would take it and whether a supervisor must approve; None while it is open."""
    state = config.state(case.state)
    if state is None or not state.terminal:
        return None
    return check_reopen(config, case.state, _last_state_before(session, case))


def _checked_reopening(session: Session, case: Case, config: ProgrammeConfig) -> Reopening:
    try:
        return check_reopen(config, case.state, _last_state_before(session, case))
    except TransitionRefused:
        raise Conflict(N_("only a case that has ended can be reopened"), field="state",
                       extra={"state": case.state}) from None


def reopen_case(session: Session, *, principal: Principal, case_id: uuid.UUID, reason: str | None) -> TransitionOutcome:
    """Reopen an ended case, with a reason, in the state its programme says; or ask a supervisor where it must."""
    require(principal, Action.CASE_TRANSITION)
    reason = required_reason(reason)
    case = load_case(session, principal, case_id, lock=True)
    config = case_config(session, case)
    reopening = _checked_reopening(session, case, config)
    if reopening.requires_approval:
        return _request_approval(session, principal, case, config, reopening.to_state, reason=reason,
                                 reopened=True)
    _apply(session, principal, case, config, reopening.to_state, reason=reason, reopened=True)
    return TransitionOutcome(case=case, approval=None)


def _scoped_approval(session: Session, principal: Principal, approval_id: int, *, lock: bool) -> CaseApproval:
    query = (select(CaseApproval).join(Case, Case.id == CaseApproval.case_id)
             .where(CaseApproval.id == approval_id, cases_scope(principal)))
    if lock:
        query = query.with_for_update(of=CaseApproval).execution_options(populate_existing=True)
    approval = session.scalar(query)
    if approval is None:
        raise NotFound("no such approval request", field="approval_id")
    return approval


def decide_approval(session: Session, *, principal: Principal, approval_id: int, approve: bool,
                    comment: str | None = None) -> TransitionOutcome:
    """Approve and apply, or reject, a pending move of a case in the supervisor's offices."""
    require(principal, Action.CASE_APPROVE)
    comment = optional_text(comment, "comment")
    approval = _scoped_approval(session, principal, approval_id, lock=False)
    require_approver(principal, approval.requested_by)
    # Case first, then the request: transition_case locks in the same order when it supersedes a request,
    # so two concurrent decisions or moves wait for each other instead of deadlocking.
    case = load_case(session, principal, approval.case_id, lock=True)
    approval = _scoped_approval(session, principal, approval_id, lock=True)
    if approval.status != PENDING:
        decided = Message(N_("this request was already decided: %(status)s"), {"status": Message(approval.status)})
        raise Conflict(decided, field="approval_id",
                       extra={"status": approval.status})
    config = case_config(session, case)
    # A request made while the case had ended asks to reopen it, not to move it along its workflow.
    reopening = config.ends_case(approval.from_state)
    if approve:
        if case.state != approval.from_state:
            raise Conflict(Message(N_("the case has moved to “%(state)s” since the request; reject it and ask again"),
                                   {"state": _state_label(config, case.state)}),
                           field="approval_id", extra={"state": case.state})
        # The data may have changed since the request: the move must still be allowed now.
        if not reopening:
            _checked(config, case, approval.to_state)
    approval.status = APPROVED if approve else REJECTED
    approval.decided_by = principal.user_id
    approval.decided_at = utcnow()
    approval.decision_comment = comment
    if approve:
        _apply(session, principal, case, config, approval.to_state, approval=approval, reason=approval.reason,
               reopened=reopening)
    session.flush()
    record_event(session, actor=principal, action="case.approval_decided", entity_type="case", entity_id=case.id,
                 office_id=case.office_id,
                 details={"approval": approval.id, "decision": approval.status, "from": approval.from_state,
                          "to": approval.to_state, "version": case.version})
    return TransitionOutcome(case=case, approval=approval)


def list_approvals(session: Session, *, principal: Principal, status: str = PENDING,
                   limit: int = LIST_LIMIT) -> list[ApprovalItem]:
    """Approval requests on cases of the user's offices: pending ones oldest first, decided ones newest first."""
    require(principal, Action.CASE_TRANSITION)
    if status not in APPROVAL_STATUSES:
        raise Invalid(Message(N_("must be one of %(expected)s"), {"expected": ", ".join(APPROVAL_STATUSES)}),
                      field="status")
    order = CaseApproval.requested_at.asc() if status == PENDING else CaseApproval.requested_at.desc()
    rows = session.execute(
        select(CaseApproval, Case.case_number, Case.programme, Case.programme_version_id, Person.given_name,
               Person.family_name, User.full_name)
        .join(Case, Case.id == CaseApproval.case_id).join(Person, Person.id == Case.person_id)
        .outerjoin(User, User.id == CaseApproval.requested_by)
        .where(CaseApproval.status == status, cases_scope(principal))
        .order_by(order, CaseApproval.id).limit(min(max(limit, 1), LIST_LIMIT))
    ).all()
    items = [ApprovalItem(approval=a, case_number=number, programme=programme, programme_version_id=version,
                          person_name=f"{given} {family}", requested_by_name=asker)
             for a, number, programme, version, given, family, asker in rows]
    record_event(session, actor=principal, action="case.approval_list", entity_type="case",
                 details={"status": status, "shown": [str(i.approval.case_id) for i in items]})
    return items


def count_approvals_waiting(session: Session, *, principal: Principal) -> int:
    """How many pending requests on cases of the user's offices the user may decide (not their own)."""
    if not principal.may(Action.CASE_APPROVE):
        return 0
    not_own = CaseApproval.requested_by.is_distinct_from(principal.user_id)
    return session.scalar(select(func.count()).select_from(CaseApproval).join(Case, Case.id == CaseApproval.case_id)
                          .where(CaseApproval.status == PENDING, cases_scope(principal), not_own)) or 0
