"""Overrides of a determination (with a reason; some wait for a supervisor) and appeals run to a decision."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crossroads.audit.service import record_event
from crossroads.auth.policy import Principal, cases_scope, require, require_appeal_decider, require_override_decider
from crossroads.auth.roles import Action
from crossroads.cases.models import Case
from crossroads.db.base import utcnow
from crossroads.eligibility.models import (
    Appeal,
    AppealStatus,
    Determination,
    Outcome,
    Override,
    OverrideStatus,
    RuleSetVersion,
)
from crossroads.eligibility.schemas import AppealCreate, AppealDecision, OverrideCreate, OverrideDecision
from crossroads.eligibility.service import effective_outcome, get_determination
from crossroads.kit.errors import Conflict, Invalid, NotFound
from crossroads.kit.i18n import N_

# Most to least favourable to the person: an override that moves a person up this list gives help the rules
# refused, and is the one a supervisor must approve.
_RANK = {Outcome.ELIGIBLE: 2, Outcome.UNDETERMINED: 1, Outcome.NOT_ELIGIBLE: 0}
_DECIDED = frozenset({AppealStatus.UPHELD, AppealStatus.OVERTURNED, AppealStatus.WITHDRAWN})


def needs_approval(current: Outcome, new: Outcome, *, approve_every_override: bool) -> bool:
    """The override waits for a supervisor: it grants eligibility the rules did not, or the programme's rule set
    asks for approval of every override."""
    return approve_every_override or (new is Outcome.ELIGIBLE and _RANK[current] < _RANK[new])


def _overrides(session: Session, determination_id: uuid.UUID) -> list[Override]:
    return list(session.scalars(select(Override).where(Override.determination_id == determination_id)))


def request_override(session: Session, *, principal: Principal, determination_id: uuid.UUID,
                     data: OverrideCreate) -> Override:
    """Override the current determination with a reason; in force at once unless it needs approval."""
    determination, case = get_determination(session, principal, Action.OVERRIDE_REQUEST, determination_id)
    if determination.superseded:
        raise Conflict(N_("a newer determination replaced this one"), field="determination_id")
    existing = _overrides(session, determination.id)
    if any(o.status is OverrideStatus.PENDING for o in existing):
        raise Conflict(N_("an override of this determination already waits for approval"),
                       field="determination_id")
    current = effective_outcome(determination, existing)
    if data.outcome is current:
        raise Invalid(N_("is already the outcome in force"), field="outcome")
    every = session.scalar(select(RuleSetVersion.approve_every_override)
                           .where(RuleSetVersion.id == determination.rule_set_id))
    waits = needs_approval(current, data.outcome, approve_every_override=bool(every))
    override = Override(
        id=uuid.uuid4(), determination_id=determination.id, case_id=case.id, office_id=case.office_id,
        outcome=data.outcome, reason=data.reason, needs_approval=waits,
        status=OverrideStatus.PENDING if waits else OverrideStatus.APPLIED,
        requested_by=principal.user_id, requested_at=utcnow(),
    )
    session.add(override)
    session.flush()
    # The reason is free text about the person; the trail keeps its length.
    record_event(session, actor=principal, action="override.request", entity_type="case", entity_id=case.id,
                 office_id=case.office_id,
                 details={"override": str(override.id), "determination": str(determination.id),
                          "from": current.value, "to": data.outcome.value, "needs_approval": waits,
                          "reason_length": len(data.reason)})
    return override


def _override(session: Session, principal: Principal, override_id: uuid.UUID) -> Override:
    override = session.scalar(select(Override).join(Case, Case.id == Override.case_id)
                              .where(Override.id == override_id, cases_scope(principal)))
    if override is None:
        raise NotFound(N_("no such override"), field="override_id")
    return override


def decide_override(session: Session, *, principal: Principal, override_id: uuid.UUID,
                    data: OverrideDecision) -> Override:
    """A supervisor other than the requester approves or rejects an override that waits."""
    require(principal, Action.OVERRIDE_DECIDE)
    override = _override(session, principal, override_id)
    require_override_decider(principal, override.requested_by)
    if override.status is not OverrideStatus.PENDING:
        raise Conflict(N_("this override is already decided"), field="override_id")
    override.status = OverrideStatus.APPROVED if data.approve else OverrideStatus.REJECTED
    override.decided_by, override.decided_at, override.decision_note = principal.user_id, utcnow(), data.note
    session.flush()
    record_event(session, actor=principal, action="override.decide", entity_type="case", entity_id=override.case_id,
                 office_id=override.office_id,
                 details={"override": str(override.id), "status": override.status.value,
                          "outcome": override.outcome.value})
    return override


def pending_overrides(session: Session, *, principal: Principal) -> list[tuple[Override, Determination, Case]]:
    """Overrides waiting for a supervisor of the user's offices, oldest first."""
    require(principal, Action.OVERRIDE_DECIDE)
    rows = session.execute(
        select(Override, Determination, Case).join(Determination, Determination.id == Override.determination_id)
        .join(Case, Case.id == Override.case_id)
        .where(Override.status == OverrideStatus.PENDING, cases_scope(principal))
        .order_by(Override.requested_at, Override.id)).all()
    record_event(session, actor=principal, action="override.queue", entity_type="override",
                 details={"pending": len(rows)})
    return list(rows)


def count_pending_overrides(session: Session, principal: Principal) -> int | None:
    """How many overrides wait for the user's decision; None for a role that decides none."""
    if not principal.may(Action.OVERRIDE_DECIDE):
        return None
    return session.scalar(select(func.count()).select_from(Override).join(Case, Case.id == Override.case_id)
                          .where(Override.status == OverrideStatus.PENDING, cases_scope(principal))) or 0


def lodge_appeal(session: Session, *, principal: Principal, determination_id: uuid.UUID,
                 data: AppealCreate) -> Appeal:
    """Lodge the person's appeal against a determination, on their behalf."""
    determination, case = get_determination(session, principal, Action.APPEAL_LODGE, determination_id)
    if session.scalar(select(Appeal.id).where(Appeal.determination_id == determination.id,
                                              Appeal.status.in_([AppealStatus.LODGED, AppealStatus.UNDER_REVIEW]))):
        raise Conflict(N_("an appeal against this determination is already open"), field="determination_id")
    appeal = Appeal(id=uuid.uuid4(), determination_id=determination.id, case_id=case.id, office_id=case.office_id,
                    grounds=data.grounds, lodged_by=principal.user_id, lodged_at=utcnow(),
                    status=AppealStatus.LODGED)
    session.add(appeal)
    session.flush()
    record_event(session, actor=principal, action="appeal.lodge", entity_type="case", entity_id=case.id,
                 office_id=case.office_id,
                 details={"appeal": str(appeal.id), "determination": str(determination.id),
                          "grounds_length": len(data.grounds)})
    return appeal


def decide_appeal(session: Session, *, principal: Principal, appeal_id: uuid.UUID, data: AppealDecision) -> Appeal:
    """Take an appeal under review or decide it; overturning it puts the new outcome in force as an override."""
    require(principal, Action.APPEAL_DECIDE)
    appeal = session.scalar(select(Appeal).join(Case, Case.id == Appeal.case_id)
                            .where(Appeal.id == appeal_id, cases_scope(principal)))
    if appeal is None:
        raise NotFound(N_("no such appeal"), field="appeal_id")
    require_appeal_decider(principal, appeal.lodged_by)
    if appeal.status in _DECIDED:
        raise Conflict(N_("this appeal is already decided"), field="appeal_id")
    status = AppealStatus(data.status)
    if status is AppealStatus.UNDER_REVIEW and appeal.status is AppealStatus.UNDER_REVIEW:
        raise Conflict(N_("this appeal is already under review"), field="status")
    if status in _DECIDED and not data.decision:
        raise Invalid(N_("required to decide an appeal"), field="decision")
    if status is AppealStatus.OVERTURNED and data.new_outcome is None:
        raise Invalid(N_("required when the appeal is overturned"), field="new_outcome")
    if status is not AppealStatus.OVERTURNED and data.new_outcome is not None:
        raise Invalid(N_("only for an overturned appeal"), field="new_outcome")
    now = utcnow()
    appeal.status = status
    if status in _DECIDED:
        appeal.decision, appeal.decided_by, appeal.decided_at = data.decision, principal.user_id, now
    override = None
    if status is AppealStatus.OVERTURNED and data.new_outcome is not None:
        appeal.new_outcome = data.new_outcome
        # The supervisor deciding the appeal is the approval: the override is in force as decided.
        override = Override(
            id=uuid.uuid4(), determination_id=appeal.determination_id, case_id=appeal.case_id,
            office_id=appeal.office_id, outcome=data.new_outcome, reason=data.decision or "",
            needs_approval=False, status=OverrideStatus.APPROVED, requested_by=principal.user_id,
            requested_at=now, decided_by=principal.user_id, decided_at=now, appeal_id=appeal.id)
        session.add(override)
    session.flush()
    record_event(session, actor=principal, action="appeal.decide", entity_type="case", entity_id=appeal.case_id,
                 office_id=appeal.office_id,
                 details={"appeal": str(appeal.id), "status": status.value,
                          "new_outcome": data.new_outcome.value if data.new_outcome else None,
                          "override": str(override.id) if override else None})
    return appeal
