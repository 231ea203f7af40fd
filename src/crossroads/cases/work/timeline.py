"""A case's history, read from the audit trail and told in short sentences: newest first, grouped by day.

Each sentence is a message (an English msgid, translated where it is shown) and its parameters, some of them
labels that are translated too (states, programmes, services and fields by the labels of the case's own
programme version). Reads of the case are folded into one "viewed by N people" line per day; the audit
trail itself still holds every read.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from crossroads.audit.models import AuditEvent
from crossroads.audit.service import record_event
from crossroads.auth.models import User
from crossroads.auth.policy import Principal, require
from crossroads.auth.roles import Action
from crossroads.cases.service import case_config, load_case
from crossroads.cases.work import attachments
from crossroads.kit.errors import Invalid
from crossroads.kit.i18n import N_
from crossroads.programmes.config import ProgrammeConfig

TIMELINE_READ = "case.timeline_read"
PAGE_MAX = 500
# Reads of the case (its eligibility section included) shown as one line a day; each stays in the audit trail.
VIEWS = ("case.read", "case.links_read", "screening.list", "determination.list")

# What the filter offers, and the kind of each action. An action not listed is "other".
KINDS: dict[str, str] = {
    "changes": N_("Changes to the case"),
    "workflow": N_("Workflow and approvals"),
    "transfers": N_("Assignment and transfers"),
    "tasks": N_("Tasks"),
    "services": N_("Services"),
    "notes": N_("Notes"),
    "attachments": N_("Attachments"),
    "links": N_("Linked cases"),
    "referrals": N_("Referrals"),
    "views": N_("Views"),
    "other": N_("Other events"),
}
_KIND_OF: dict[str, str] = {
    "case.open": "changes", "case.update": "changes",
    "case.transition": "workflow", "case.approval_requested": "workflow", "case.approval_decided": "workflow",
    "case.assign": "transfers", "case.transfer_requested": "transfers", "case.transfer_accepted": "transfers",
    "case.transfer_declined": "transfers", "case.transfer_cancelled": "transfers",
    "case.task_add": "tasks", "case.task_complete": "tasks", "case.task_reopen": "tasks",
    "case.service_add": "services", "case.service_deliver": "services",
    "case.note": "notes",
    "case.attachment_add": "attachments", "case.attachment_read": "attachments", "case.summary_read": "views",
    "case.link": "links", "case.unlink": "links",
    **{f"case.referral_{step}": "referrals"
       for step in ("sent", "accepted", "declined", "started", "completed", "no_show", "closed")},
    **{action: "views" for action in VIEWS},
}

_TYPE_LABELS: dict[str | None, str] = {
    attachments.PDF: N_("PDF"), attachments.JPEG: N_("JPEG image"), attachments.PNG: N_("PNG image"),
    attachments.TEXT: N_("text file"), attachments.DOCX: N_("Word document"),
}
# Why a referral was declined and how it ended (crossroads.referrals.models: DeclineReason, Outcome), by code:
# referrals sit above cases, so the timeline names their codes here.
_REFERRAL_WORDS = {
    "no_capacity": N_("no capacity"), "not_eligible": N_("not eligible"),
    "outside_service_area": N_("outside the service area"), "service_not_offered": N_("service not offered"),
    "person_unreachable": N_("person unreachable"), "other": N_("other reason"),
    "service_provided": N_("service provided"), "partly_provided": N_("partly provided"),
    "referred_onward": N_("referred onward"), "person_declined": N_("the person declined"),
}
_LINK_LABELS = {"family": N_("family"), "household": N_("household"),
                "same_person_other_programme": N_("same person, other programme")}


def kind_of(action: str) -> str:
    return _KIND_OF.get(action, "other")


@dataclass(frozen=True)
class Sentence:
    """A message and its parameters; `labels` are translated as well, `values` are shown as they are."""

    message: str
    values: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # With a plural: the message is the singular, `plural` the plural form and `count` chooses (as `num`).
    plural: str | None = None
    count: int | None = None

    def text(self, gettext: Callable[[str], str], ngettext: Callable[[str, str, int], str] | None = None) -> str:
        params = {**self.values, **{k: ", ".join(gettext(v) for v in vs) for k, vs in self.labels.items()}}
        if self.plural is not None and self.count is not None:
            ngettext = ngettext or (lambda s, p, n: s if n == 1 else p)
            return ngettext(self.message, self.plural, self.count) % {**params, "num": self.count}
        return gettext(self.message) % params if params else gettext(self.message)

    def params(self) -> dict[str, Any]:
        """The parameters as the API gives them: values as they are, labels untranslated, joined."""
        out = {**self.values, **{k: ", ".join(vs) for k, vs in self.labels.items()}}
        if self.count is not None:
            out["num"] = self.count
        return out


def _referral(message: str, d: dict[str, Any]) -> Sentence:
    return Sentence(message, values={"reference": str(d.get("reference", "?"))})


def _size(n: Any) -> str:
    if not isinstance(n, int):
        return "?"
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} kB"
    return f"{n / (1024 * 1024):.1f} MB"


class Labels:
    """Names of a case's states, fields, services and programme from its own programme version."""

    def __init__(self, config: ProgrammeConfig | None) -> None:
        self.config = config

    def state(self, name: Any) -> str:
        found = self.config.state(str(name)) if self.config and name else None
        return found.label if found else str(name or "?")

    def field(self, name: str) -> str:
        found = self.config.field(name) if self.config else None
        return found.label if found else name

    def service(self, code: Any) -> str:
        found = next((s for s in self.config.services if s.code == code), None) if self.config else None
        return found.label if found else str(code or "?")

    def programme(self, code: Any) -> str:
        return self.config.label if self.config else str(code or "?")


def _move(message: str, d: dict[str, Any], names: Labels) -> Sentence:
    return Sentence(message, labels={"from": (names.state(d.get("from")),), "to": (names.state(d.get("to")),)})


def _decided(d: dict[str, Any], names: Labels) -> Sentence:
    message = {"approved": N_("Move from %(from)s to %(to)s approved"),
               "rejected": N_("Move from %(from)s to %(to)s rejected")}.get(
        d.get("decision", ""), N_("Move from %(from)s to %(to)s decided"))
    return _move(message, d, names)


def _updated(d: dict[str, Any], names: Labels) -> Sentence:
    fields = [f for f in d.get("fields") or [] if isinstance(f, str)]
    if not fields:
        return Sentence(N_("Case updated"))
    return Sentence(N_("Details updated: %(fields)s"), labels={"fields": tuple(names.field(f) for f in fields)})


def _service(message: str, d: dict[str, Any], names: Labels) -> Sentence:
    return Sentence(message, labels={"service": (names.service(d.get("code")),)})


def _added_service(d: dict[str, Any], names: Labels) -> Sentence:
    if d.get("status") == "delivered":
        return _service(N_("Service delivered: %(service)s"), d, names)
    return _service(N_("Service planned: %(service)s"), d, names)


def _link(message: str, d: dict[str, Any]) -> Sentence:
    return Sentence(message, labels={"kind": (_LINK_LABELS.get(d.get("kind", ""), N_("other")),)})


def _plain(message: str) -> Callable[[dict[str, Any], Labels], Sentence]:
    return lambda d, names: Sentence(message)


# Each sentence uses only what the trail holds: codes, field names, counts — never values.
_DESCRIBE: dict[str, Callable[[dict[str, Any], Labels], Sentence]] = {
    "case.open": lambda d, names: Sentence(N_("Case opened in %(programme)s, in the state %(state)s"), labels={
        "programme": (names.programme(d.get("programme")),), "state": (names.state(d.get("state")),)}),
    "case.update": _updated,
    "case.note": _plain(N_("Note added")),
    "case.transition": lambda d, names: _move(N_("Moved from %(from)s to %(to)s"), d, names),
    "case.approval_requested": lambda d, names: _move(N_("Approval asked to move from %(from)s to %(to)s"), d,
                                                      names),
    "case.approval_decided": _decided,
    "case.assign": _plain(N_("Case assigned")),
    "case.transfer_requested": _plain(N_("Transfer to another office requested")),
    "case.transfer_accepted": _plain(N_("Transfer accepted")),
    "case.transfer_declined": _plain(N_("Transfer declined")),
    "case.transfer_cancelled": _plain(N_("Transfer cancelled")),
    "case.task_add": _plain(N_("Task added")),
    "case.task_complete": _plain(N_("Task completed")),
    "case.task_reopen": _plain(N_("Task reopened")),
    "case.service_add": _added_service,
    "case.service_deliver": lambda d, names: _service(N_("Service delivered: %(service)s"), d, names),
    "case.attachment_add": lambda d, names: Sentence(
        N_("Attachment added (%(type)s, %(size)s)"), values={"size": _size(d.get("size"))},
        labels={"type": (_TYPE_LABELS.get(d.get("type"), N_("file")),)}),
    "case.attachment_read": _plain(N_("Attachment downloaded")),
    "case.link": lambda d, names: _link(N_("Linked to another case (%(kind)s)"), d),
    "case.unlink": lambda d, names: _link(N_("Link to another case removed (%(kind)s)"), d),
    "case.summary_read": _plain(N_("Summary opened for printing")),
    # Written by referrals (crossroads.referrals.service) at each step of a referral from this case.
    "case.referral_sent": lambda d, names: _referral(N_("Referral %(reference)s sent"), d),
    "case.referral_accepted": lambda d, names: _referral(N_("Referral %(reference)s accepted"), d),
    "case.referral_started": lambda d, names: _referral(N_("Referral %(reference)s started"), d),
    "case.referral_no_show": lambda d, names: _referral(N_("Referral %(reference)s: the person did not come"), d),
    "case.referral_closed": lambda d, names: _referral(N_("Referral %(reference)s closed"), d),
    "case.referral_declined": lambda d, names: Sentence(
        N_("Referral %(reference)s declined: %(reason)s"), values={"reference": str(d.get("reference", "?"))},
        labels={"reason": (_REFERRAL_WORDS.get(str(d.get("reason")), N_("other reason")),)}),
    "case.referral_completed": lambda d, names: Sentence(
        N_("Referral %(reference)s completed: %(outcome)s"), values={"reference": str(d.get("reference", "?"))},
        labels={"outcome": (_REFERRAL_WORDS.get(str(d.get("outcome")), N_("other outcome")),)}),
}


def describe(action: str, details: dict[str, Any], config: ProgrammeConfig | None = None) -> Sentence:
    """The sentence telling an audit event, e.g. "Moved from Intake to Counselling"."""
    describer = _DESCRIBE.get(action)
    if describer is not None:
        return describer(details or {}, Labels(config))
    # An action added later still shows, by its code, until it is given a sentence here.
    return Sentence(N_("Recorded: %(action)s"), values={"action": action})


def viewed(people: int) -> Sentence:
    # Not marked here: cases/timeline.html says this with ngettext, which extracts it as one plural entry.
    return Sentence("Viewed by %(num)d person", plural="Viewed by %(num)d people", count=people)


@dataclass(frozen=True)
class TimelineEntry:
    # None for the day's folded views, which stand for several events.
    id: int | None
    occurred_at: datetime
    action: str
    kind: str
    actor_id: uuid.UUID | None
    actor_name: str | None
    actor_role: str | None
    sentence: Sentence
    details: dict[str, Any]
    # For folded views: how many reads, by how many people.
    times: int | None = None
    people: int | None = None

    @property
    def description(self) -> str:
        """The sentence in English."""
        return self.sentence.text(lambda s: s)


@dataclass(frozen=True)
class TimelineDay:
    day: date
    entries: list[TimelineEntry]


@dataclass(frozen=True)
class TimelinePage:
    days: list[TimelineDay]
    # Pass as `before` for older events; None at the end.
    next_before: int | None
    kind: str | None


def _day(dialect: str, column: Any) -> ColumnElement[str]:
    # The UTC day as text on both backends: SQLite stores UTC without a zone, PostgreSQL a timestamptz.
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.strftime("%Y-%m-%d", column)


def _group(entries: Iterable[TimelineEntry]) -> list[TimelineDay]:
    days: dict[date, list[TimelineEntry]] = {}
    for e in sorted(entries, key=lambda e: (e.occurred_at, e.id or 0), reverse=True):
        days.setdefault(e.occurred_at.date(), []).append(e)
    return [TimelineDay(day, items) for day, items in days.items()]


def case_timeline(session: Session, *, principal: Principal, case_id: uuid.UUID, before: int | None = None,
                  limit: int = 200, kind: str | None = None) -> TimelinePage:
    """The case's events newest first, before `before`, grouped by day, reads folded; audited."""
    require(principal, Action.CASE_READ)
    if kind is not None and kind not in KINDS:
        raise Invalid(f"must be one of {', '.join(KINDS)}", field="kind")
    case = load_case(session, principal, case_id)
    config = case_config(session, case)
    limit = min(limit, PAGE_MAX)
    of_case = [AuditEvent.entity_type == "case", AuditEvent.entity_id == str(case.id)]
    entries: list[TimelineEntry] = []
    more = False
    window_start: datetime | None = None
    if kind != "views":
        # Reading the timeline is audited but not shown in it: it would otherwise fill up with its own reads.
        query = (select(AuditEvent, User.full_name).outerjoin(User, User.id == AuditEvent.actor_id)
                 .where(*of_case, AuditEvent.action.not_in([TIMELINE_READ, *VIEWS])))
        if kind is not None:
            wanted = [a for a, k in _KIND_OF.items() if k == kind]
            query = query.where(AuditEvent.action.in_(wanted) if kind != "other"
                                else AuditEvent.action.not_in(list(_KIND_OF)))
        # In the order the events were recorded: a case's writes lock its row, so its events' ids follow their
        # commits. (`seq`, the trail's order, is only given when the sealer runs.)
        if before is not None:
            query = query.where(AuditEvent.id < before)
        rows = session.execute(query.order_by(AuditEvent.id.desc()).limit(limit + 1)).all()
        more = len(rows) > limit
        entries = [
            TimelineEntry(id=e.id, occurred_at=e.occurred_at, action=e.action, kind=kind_of(e.action),
                          actor_id=e.actor_id, actor_name=name, actor_role=e.actor_role,
                          sentence=describe(e.action, e.details, config), details=e.details)
            for e, name in rows[:limit]
        ]
        if more and entries:
            window_start = entries[-1].occurred_at
    if kind in (None, "views"):
        entries += _views(session, of_case, before=before, since=window_start)
    record_event(session, actor=principal, action=TIMELINE_READ, entity_type="case", entity_id=case.id,
                 office_id=case.office_id, details={"shown": len(entries), "version": case.version})
    shown = [e.id for e in entries if e.id is not None]
    next_before = min(shown) if more and shown else None
    return TimelinePage(days=_group(entries), next_before=next_before, kind=kind)


def _views(session: Session, of_case: list[ColumnElement[bool]], *, before: int | None,
           since: datetime | None) -> list[TimelineEntry]:
    """One entry a day for the reads of the case in the page's window of time, counted by the database."""
    day = _day(session.get_bind().dialect.name, AuditEvent.occurred_at)
    query = select(day, AuditEvent.actor_id, func.count(), func.max(AuditEvent.occurred_at)).where(
        *of_case, AuditEvent.action.in_(VIEWS))
    if before is not None:
        # The page after an event covers the time before it: each read is counted on one page only.
        query = query.where(AuditEvent.occurred_at < select(AuditEvent.occurred_at)
                            .where(AuditEvent.id == before).scalar_subquery())
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    by_day: dict[str, tuple[int, int, datetime]] = {}
    for d, _actor, count, last in session.execute(query.group_by(day, AuditEvent.actor_id)):
        people, times, latest = by_day.get(d, (0, 0, last))
        by_day[d] = (people + 1, times + count, max(latest, last))
    return [TimelineEntry(id=None, occurred_at=latest, action="case.read", kind="views", actor_id=None,
                          actor_name=None, actor_role=None, sentence=viewed(people), details={}, times=times,
                          people=people)
            for people, times, latest in by_day.values()]
