"""A case's history, read from the audit trail and told in short sentences."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crossroads.audit.models import AuditEvent
from crossroads.audit.service import record_event
from crossroads.auth.models import User
from crossroads.auth.policy import Principal, require
from crossroads.auth.roles import Action
from crossroads.cases.service import load_case
from crossroads.cases.work import attachments

TIMELINE_READ = "case.timeline_read"
PAGE_MAX = 500

_TYPE_LABELS: dict[str | None, str] = {
    attachments.PDF: "PDF", attachments.JPEG: "JPEG image", attachments.PNG: "PNG image",
    attachments.TEXT: "text file", attachments.DOCX: "Word document",
}


def _size(n: Any) -> str:
    if not isinstance(n, int):
        return "unknown size"
    if n < 1024:
        return f"{n} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / (1024 * 1024):.1f} MB"


def _move(d: dict[str, Any]) -> str:
    return f"from {d.get('from', '?')} to {d.get('to', '?')}"


def _updated(d: dict[str, Any]) -> str:
    fields = d.get("fields") or []
    return f"updated: {', '.join(fields)}" if fields else "case updated"


# Each description uses only what the trail holds: codes, field names, counts — never values.
_DESCRIBE: dict[str, Callable[[dict[str, Any]], str]] = {
    "case.open": lambda d: f"case opened in {d.get('programme', 'a programme')}, state {d.get('state', '?')}",
    "case.read": lambda d: "case viewed",
    "case.update": _updated,
    "case.note": lambda d: "note added",
    "case.transition": lambda d: f"moved {_move(d)}",
    "case.approval_requested": lambda d: f"approval requested to move {_move(d)}",
    "case.approval_decided": lambda d: f"move {_move(d)} {d.get('decision', 'decided')}",
    "case.assign": lambda d: "case assigned",
    "case.transfer_requested": lambda d: "transfer to another office requested",
    "case.transfer_accepted": lambda d: "transfer accepted",
    "case.transfer_declined": lambda d: "transfer declined",
    "case.transfer_cancelled": lambda d: "transfer cancelled",
    "case.task_add": lambda d: "task added",
    "case.task_complete": lambda d: "task completed",
    "case.task_reopen": lambda d: "task reopened",
    "case.service_add": lambda d: f"service {d.get('status', 'planned')}: {d.get('code', '?')}",
    "case.service_deliver": lambda d: f"service delivered: {d.get('code', '?')}",
    "case.attachment_add": lambda d: f"attachment added ({_TYPE_LABELS.get(d.get('type'), 'file')}, "
                                     f"{_size(d.get('size'))})",
    "case.attachment_read": lambda d: "attachment downloaded",
    "case.link": lambda d: f"linked to another case ({d.get('kind', '?').replace('_', ' ')})",
    "case.unlink": lambda d: f"link to another case removed ({d.get('kind', '?').replace('_', ' ')})",
    "case.links_read": lambda d: "linked cases viewed",
    # Written by referrals (crossroads.referrals.service) as the receiver answers.
    "case.referral_declined": lambda d: f"referral {d.get('reference', '?')} declined: "
                                        f"{d.get('reason', '?').replace('_', ' ')}",
    "case.referral_completed": lambda d: f"referral {d.get('reference', '?')} completed: "
                                         f"{d.get('outcome', '?').replace('_', ' ')}",
}


def describe(action: str, details: dict[str, Any]) -> str:
    """A short human description of an audit event, e.g. "moved from intake to counselling"."""
    describer = _DESCRIBE.get(action)
    if describer is not None:
        return describer(details or {})
    # Actions added later still read sensibly: "case.flag_added" becomes "flag added".
    return action.removeprefix("case.").replace("_", " ").replace(".", " ")


@dataclass(frozen=True)
class TimelineEntry:
    id: int
    occurred_at: datetime
    action: str
    actor_id: uuid.UUID | None
    actor_name: str | None
    actor_role: str | None
    description: str
    details: dict[str, Any]


def case_timeline(session: Session, *, principal: Principal, case_id: uuid.UUID, after: int | None = None,
                  limit: int = 200) -> tuple[list[TimelineEntry], int | None]:
    """The case's audit events, oldest first, after `after`; and where the next page starts. Audited."""
    require(principal, Action.CASE_READ)
    case = load_case(session, principal, case_id)
    limit = min(limit, PAGE_MAX)
    # Reading the timeline is audited but not shown in it: it would otherwise fill up with its own reads.
    query = (
        select(AuditEvent, User.full_name).outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.entity_type == "case", AuditEvent.entity_id == str(case.id),
               AuditEvent.action != TIMELINE_READ)
    )
    # In the order the events were recorded: a case's writes lock its row, so its events' ids follow their
    # commits. (`seq`, the trail's order, is only given when the sealer runs.)
    if after is not None:
        query = query.where(AuditEvent.id > after)
    rows = session.execute(query.order_by(AuditEvent.id).limit(limit + 1)).all()
    more = len(rows) > limit
    entries = [
        TimelineEntry(id=e.id, occurred_at=e.occurred_at, action=e.action, actor_id=e.actor_id,
                      actor_name=name, actor_role=e.actor_role, description=describe(e.action, e.details),
                      details=e.details)
        for e, name in rows[:limit]
    ]
    record_event(session, actor=principal, action=TIMELINE_READ, entity_type="case", entity_id=case.id,
                 office_id=case.office_id, details={"shown": len(entries), "version": case.version})
    return entries, entries[-1].id if more and entries else None
