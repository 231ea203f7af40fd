"""Links between the cases of one family or household, kept in both directions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager, joinedload

from crossroads.audit.service import record_event
from crossroads.auth.policy import Principal, cases_scope, require
from crossroads.auth.roles import Action
from crossroads.cases.models import Case
from crossroads.cases.service import load_case, touch
from crossroads.cases.work.models import CaseLink
from crossroads.cases.work.schemas import LinkKind
from crossroads.kit.errors import Conflict, Invalid, NotFound
from crossroads.kit.i18n import N_, Message
from crossroads.people.models import Person, Relationship


@dataclass(frozen=True)
class Link:
    case_id: uuid.UUID
    linked_case_id: uuid.UUID
    kind: LinkKind
    created_at: datetime
    # False when the cases were already linked and nothing was written.
    created: bool


def _locked_pair(session: Session, principal: Principal, case_id: uuid.UUID,
                 linked_case_id: uuid.UUID) -> tuple[Case, Case]:
    if case_id == linked_case_id:
        raise Invalid("a case cannot be linked to itself", field="linked_case_id")
    # Both rows locked in id order, so two users linking one pair from either end cannot deadlock.
    found = {c.id: c for c in session.scalars(
        select(Case).where(Case.id.in_([case_id, linked_case_id]), cases_scope(principal))
        .order_by(Case.id).with_for_update(of=Case)
    )}
    if case_id not in found:
        raise NotFound("no such case", field="case_id")
    if linked_case_id not in found:
        raise NotFound("no such case", field="linked_case_id")
    return found[case_id], found[linked_case_id]


# How a refusal names a kind of link.
_KIND_LABELS = {LinkKind.FAMILY: N_("family"), LinkKind.HOUSEHOLD: N_("household"),
                LinkKind.SAME_PERSON_OTHER_PROGRAMME: N_("the same person in another programme")}


def _record(session: Session, principal: Principal, action: str, case: Case, other: Case, kind: LinkKind) -> None:
    record_event(session, actor=principal, action=action, entity_type="case", entity_id=case.id,
                 office_id=case.office_id,
                 details={"linked_case": str(other.id), "kind": kind.value, "version": case.version})


def link_cases(session: Session, *, principal: Principal, case_id: uuid.UUID, linked_case_id: uuid.UUID,
               kind: LinkKind) -> Link:
    """Link two cases the user can see, both ways; linking them again with the same kind changes nothing."""
    require(principal, Action.CASE_UPDATE)
    case, other = _locked_pair(session, principal, case_id, linked_case_id)
    if kind == LinkKind.SAME_PERSON_OTHER_PROGRAMME and (
            case.person_id != other.person_id or case.programme == other.programme):
        raise Invalid("this kind links cases of one person in two different programmes", field="kind")
    existing = session.get(CaseLink, (case.id, other.id))
    if existing is not None:
        if LinkKind(existing.kind) != kind:
            raise Conflict(Message(N_("the cases are already linked as %(kind)s"),
                                   {"kind": Message(_KIND_LABELS[LinkKind(existing.kind)])}), field="kind")
        return Link(case.id, other.id, kind, existing.created_at, created=False)
    link = CaseLink(case_id=case.id, linked_case_id=other.id, kind=kind.value)
    session.add_all([link, CaseLink(case_id=other.id, linked_case_id=case.id, kind=kind.value)])
    touch(case)
    touch(other)
    session.flush()
    _record(session, principal, "case.link", case, other, kind)
    _record(session, principal, "case.link", other, case, kind)
    return Link(case.id, other.id, kind, link.created_at, created=True)


def unlink_cases(session: Session, *, principal: Principal, case_id: uuid.UUID, linked_case_id: uuid.UUID) -> None:
    """Remove the link between two cases the user can see, both ways."""
    require(principal, Action.CASE_UPDATE)
    case, other = _locked_pair(session, principal, case_id, linked_case_id)
    existing = session.get(CaseLink, (case.id, other.id))
    if existing is None:
        raise NotFound("the cases are not linked", field="linked_case_id")
    kind = LinkKind(existing.kind)
    session.delete(existing)
    reverse = session.get(CaseLink, (other.id, case.id))
    if reverse is not None:
        session.delete(reverse)
    touch(case)
    touch(other)
    session.flush()
    _record(session, principal, "case.unlink", case, other, kind)
    _record(session, principal, "case.unlink", other, case, kind)


@dataclass(frozen=True)
class LinkedCase:
    kind: LinkKind
    case: Case


@dataclass(frozen=True)
class HouseholdCase:
    relationship: Relationship | None
    case: Case


@dataclass(frozen=True)
class CaseLinks:
    linked: list[LinkedCase]
    household: list[HouseholdCase]


def case_links(session: Session, *, principal: Principal, case_id: uuid.UUID) -> CaseLinks:
    """The cases linked to this one and the cases of the person's household, among those the user may see."""
    require(principal, Action.CASE_READ)
    case = load_case(session, principal, case_id)
    # The other end may have been transferred to an office the user does not work in: scope both lists.
    linked = [LinkedCase(kind=LinkKind(k), case=c) for c, k in session.execute(
        select(Case, CaseLink.kind).join(CaseLink, CaseLink.linked_case_id == Case.id)
        .where(CaseLink.case_id == case.id, cases_scope(principal))
        .options(joinedload(Case.person)).order_by(Case.opened_at, Case.id)
    )]
    household: list[HouseholdCase] = []
    if case.person.household_id is not None:
        seen = {lc.case.id for lc in linked} | {case.id}
        rows = session.execute(
            select(Case, Person.household_relationship).join(Case.person)
            .where(Person.household_id == case.person.household_id, cases_scope(principal))
            .options(contains_eager(Case.person)).order_by(Case.opened_at, Case.id)
        )
        household = [HouseholdCase(relationship=r, case=c) for c, r in rows if c.id not in seen]
    shown = [str(x.case.id) for x in linked] + [str(x.case.id) for x in household]
    # Listing other people's cases is a read of them, audited as case lists are.
    record_event(session, actor=principal, action="case.links_read", entity_type="case", entity_id=case.id,
                 office_id=case.office_id, details={"shown": shown, "version": case.version})
    return CaseLinks(linked=linked, household=household)
