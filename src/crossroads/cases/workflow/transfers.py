"""Who holds a case: assigning it within its office, and transferring it to a colleague or another office."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, aliased

from crossroads.audit.service import record_event
from crossroads.auth.models import Office, User, user_offices
from crossroads.auth.policy import (
    Principal,
    case_holder_roles,
    incoming_transfers_scope,
    outgoing_transfers_scope,
    require,
)
from crossroads.auth.roles import Action
from crossroads.cases.models import Case
from crossroads.cases.service import load_case, touch
from crossroads.cases.workflow.models import CaseTransfer
from crossroads.cases.workflow.transitions import optional_text
from crossroads.db.base import utcnow
from crossroads.kit.errors import Conflict, Invalid, NotFound
from crossroads.kit.i18n import N_, Message
from crossroads.people.service import cover_office, uncover_office

PENDING = "pending"
ACCEPTED = "accepted"
DECLINED = "declined"
CANCELLED = "cancelled"
TRANSFER_STATUSES = (PENDING, ACCEPTED, DECLINED, CANCELLED)
DIRECTIONS = ("incoming", "outgoing")
LIST_LIMIT = 200


@dataclass(frozen=True)
class TransferItem:
    """A transfer as either end may see it: the case's number and programme, never the person or case data."""

    transfer: CaseTransfer
    case_number: str
    programme: str
    from_office: Office
    to_office: Office


def _require_holder(session: Session, user_id: uuid.UUID, office_id: uuid.UUID, field: str) -> None:
    """The user is active, in a role that works on cases, and works in the office; 422 on `field` otherwise."""
    found = session.scalar(
        select(User.id).join(user_offices, user_offices.c.user_id == User.id)
        .where(User.id == user_id, User.active, User.role.in_(sorted(case_holder_roles())),
               user_offices.c.office_id == office_id)
    )
    if found is None:
        raise Invalid("choose an active caseworker or supervisor who works in that office", field=field)


def assign_case(session: Session, *, principal: Principal, case_id: uuid.UUID, user_id: uuid.UUID) -> Case:
    """Give a case to an active caseworker or supervisor of the case's office."""
    require(principal, Action.CASE_ASSIGN)
    case = load_case(session, principal, case_id, lock=True)
    _require_holder(session, user_id, case.office_id, "user_id")
    if case.assigned_to == user_id:
        # Nothing changes, so nothing is written or recorded, and the editor's version stays valid.
        return case
    previous = case.assigned_to
    case.assigned_to = user_id
    touch(case)
    session.flush()
    record_event(session, actor=principal, action="case.assign", entity_type="case", entity_id=case.id,
                 office_id=case.office_id,
                 details={"from_user": str(previous) if previous else None, "to_user": str(user_id),
                          "version": case.version})
    return case


def _pending_transfer(session: Session, case_id: uuid.UUID) -> CaseTransfer | None:
    return session.scalar(select(CaseTransfer).where(CaseTransfer.case_id == case_id,
                                                     CaseTransfer.status == PENDING))


def request_transfer(session: Session, *, principal: Principal, case_id: uuid.UUID, to_office_id: uuid.UUID,
                     to_user_id: uuid.UUID | None = None, reason: str | None = None) -> TransferItem:
    """Ask another office, or a named colleague, to take over a case; nothing moves until they accept."""
    require(principal, Action.CASE_TRANSFER)
    reason = optional_text(reason, "reason")
    case = load_case(session, principal, case_id, lock=True)
    from_office = session.get(Office, case.office_id)
    to_office = session.get(Office, to_office_id)
    if to_office is None or not to_office.active:
        raise Invalid("no such office", field="to_office_id")
    if from_office is None or to_office.organisation_id != from_office.organisation_id:
        # A case is the organisation's file: handing work to another organisation is a referral, which
        # shares only consented fields, not a transfer of the whole case.
        raise Invalid("cases are transferred only between offices of the same organisation",
                      field="to_office_id")
    if to_office.id == case.office_id and to_user_id is None:
        raise Invalid("the case is already in this office: name the colleague who should take it over",
                      field="to_office_id")
    if to_user_id is not None:
        _require_holder(session, to_user_id, to_office.id, "to_user_id")
        if to_office.id == case.office_id and to_user_id == case.assigned_to:
            raise Invalid("the case is already assigned to this colleague", field="to_user_id")
    pending = _pending_transfer(session, case.id)
    if pending is not None:
        raise Conflict("this case already has a pending transfer; it must be decided or cancelled first",
                       field="case_id", extra={"pending_transfer": pending.id})
    transfer = CaseTransfer(case_id=case.id, from_office_id=case.office_id, to_office_id=to_office.id,
                            to_user_id=to_user_id, status=PENDING, reason=reason, requested_by=principal.user_id,
                            requested_at=utcnow())
    session.add(transfer)
    session.flush()
    record_event(session, actor=principal, action="case.transfer_requested", entity_type="case", entity_id=case.id,
                 office_id=case.office_id,
                 details={"transfer": transfer.id, "from_office": str(from_office.id), "to_office": str(to_office.id),
                          "to_user": str(to_user_id) if to_user_id else None, "version": case.version})
    return TransferItem(transfer=transfer, case_number=case.case_number, programme=case.programme,
                        from_office=from_office, to_office=to_office)


def _scoped_transfer(session: Session, scope: ColumnElement[bool], transfer_id: int, *,
                     lock: bool) -> CaseTransfer:
    query = select(CaseTransfer).where(CaseTransfer.id == transfer_id, scope)
    if lock:
        query = query.with_for_update(of=CaseTransfer).execution_options(populate_existing=True)
    transfer = session.scalar(query)
    if transfer is None:
        raise NotFound("no such transfer", field="transfer_id")
    return transfer


def _item(session: Session, transfer: CaseTransfer, case: Case) -> TransferItem:
    from_office = session.get(Office, transfer.from_office_id)
    to_office = session.get(Office, transfer.to_office_id)
    assert from_office is not None and to_office is not None  # foreign keys
    return TransferItem(transfer=transfer, case_number=case.case_number, programme=case.programme,
                        from_office=from_office, to_office=to_office)


def _still_pending(transfer: CaseTransfer) -> None:
    if transfer.status != PENDING:
        raise Conflict(Message(N_("this transfer was already %(status)s"), {"status": Message(transfer.status)}),
                       field="transfer_id",
                       extra={"status": transfer.status})


def decide_transfer(session: Session, *, principal: Principal, transfer_id: int, accept: bool,
                    comment: str | None = None) -> TransferItem:
    """Accept a transfer addressed to the user, moving the case to their office and to them, or decline it."""
    require(principal, Action.CASE_TRANSFER)
    comment = optional_text(comment, "comment")
    scope = incoming_transfers_scope(principal)
    transfer = _scoped_transfer(session, scope, transfer_id, lock=False)
    # The case is not in the receiver's cases_scope yet: the transfer addressed to them is what lets them
    # load it. Case first, then the transfer, the order request_transfer and load_case follow elsewhere.
    case = session.scalar(select(Case).where(Case.id == transfer.case_id).with_for_update(of=Case)
                          .execution_options(populate_existing=True))
    transfer = _scoped_transfer(session, scope, transfer_id, lock=True)
    _still_pending(transfer)
    if case is None or case.office_id != transfer.from_office_id:
        raise Conflict("the case is no longer in the office that asked for the transfer", field="transfer_id")
    transfer.status = ACCEPTED if accept else DECLINED
    transfer.decided_by = principal.user_id
    transfer.decided_at = utcnow()
    transfer.decision_comment = comment
    details: dict = {"transfer": transfer.id, "from_office": str(transfer.from_office_id),
                     "to_office": str(transfer.to_office_id)}
    if accept:
        # When a colleague is named only they can accept, so the case always goes to whoever accepts it.
        case.office_id = transfer.to_office_id
        case.assigned_to = transfer.to_user_id or principal.user_id
        touch(case)
        details["assigned_to"] = str(case.assigned_to)
    session.flush()
    if accept:
        # Who may see the person follows the case (the policy's people_scope); so does the people search.
        cover_office(session, case.person_id, transfer.to_office_id)
        uncover_office(session, case.person_id, transfer.from_office_id)
    details["version"] = case.version
    record_event(session, actor=principal, action=f"case.transfer_{transfer.status}", entity_type="case",
                 entity_id=case.id, office_id=case.office_id, details=details)
    return _item(session, transfer, case)


def cancel_transfer(session: Session, *, principal: Principal, transfer_id: int) -> TransferItem:
    """Withdraw a pending transfer sent from one of the user's offices."""
    require(principal, Action.CASE_TRANSFER)
    transfer = _scoped_transfer(session, outgoing_transfers_scope(principal), transfer_id, lock=True)
    _still_pending(transfer)
    case = session.get(Case, transfer.case_id)
    assert case is not None  # foreign key, cascades on delete
    transfer.status = CANCELLED
    transfer.decided_by = principal.user_id
    transfer.decided_at = utcnow()
    session.flush()
    record_event(session, actor=principal, action="case.transfer_cancelled", entity_type="case", entity_id=case.id,
                 office_id=case.office_id,
                 details={"transfer": transfer.id, "to_office": str(transfer.to_office_id), "version": case.version})
    return _item(session, transfer, case)


def list_transfers(session: Session, *, principal: Principal, direction: str = "incoming", status: str = PENDING,
                   limit: int = LIST_LIMIT) -> list[TransferItem]:
    """Transfers addressed to the user (incoming) or sent from their offices (outgoing), oldest first."""
    require(principal, Action.CASE_TRANSFER)
    if direction not in DIRECTIONS:
        raise Invalid(Message(N_("must be one of %(expected)s"), {"expected": ", ".join(DIRECTIONS)}),
                      field="direction")
    if status not in TRANSFER_STATUSES:
        raise Invalid(Message(N_("must be one of %(expected)s"), {"expected": ", ".join(TRANSFER_STATUSES)}),
                      field="status")
    scope = incoming_transfers_scope(principal) if direction == "incoming" else outgoing_transfers_scope(principal)
    from_office, to_office = aliased(Office), aliased(Office)
    # Only the case's number and programme are selected: the receiver sees no identity or case data.
    rows = session.execute(
        select(CaseTransfer, Case.case_number, Case.programme, from_office, to_office)
        .join(Case, Case.id == CaseTransfer.case_id)
        .join(from_office, from_office.id == CaseTransfer.from_office_id)
        .join(to_office, to_office.id == CaseTransfer.to_office_id)
        .where(scope, CaseTransfer.status == status)
        .order_by(CaseTransfer.requested_at, CaseTransfer.id).limit(min(max(limit, 1), LIST_LIMIT))
    ).all()
    items = [TransferItem(transfer=t, case_number=number, programme=programme, from_office=fo, to_office=to)
             for t, number, programme, fo, to in rows]
    record_event(session, actor=principal, action="case.transfer_list", entity_type="case",
                 details={"direction": direction, "status": status,
                          "shown": [str(i.transfer.case_id) for i in items]})
    return items


def count_incoming(session: Session, *, principal: Principal) -> int:
    """How many transfers wait for the user's decision (addressed to their offices, or to them)."""
    if not principal.may(Action.CASE_TRANSFER):
        return 0
    return session.scalar(select(func.count()).select_from(CaseTransfer)
                          .where(incoming_transfers_scope(principal), CaseTransfer.status == PENDING)) or 0
