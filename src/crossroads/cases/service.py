"""Opening cases, finding them, and keeping their notes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from crossroads.audit.service import record_event
from crossroads.auth.models import Office
from crossroads.auth.policy import (
    Principal,
    cases_scope,
    default_office,
    people_scope,
    require,
    require_office,
)
from crossroads.auth.roles import Action
from crossroads.cases.models import Case, CaseNote, Programme
from crossroads.cases.schemas import CaseCreate, NoteCreate
from crossroads.db.base import utcnow
from crossroads.kit.errors import Invalid, NotFound
from crossroads.kit.pagination import PageParams
from crossroads.kit.text import query_tokens
from crossroads.people.models import Person


def list_programmes(session: Session) -> list[Programme]:
    return list(session.scalars(select(Programme).where(Programme.active).order_by(Programme.code)))


def _next_case_number(session: Session, office_id: uuid.UUID) -> str:
    # The row lock serialises numbering per office on PostgreSQL; SQLite already holds the write lock.
    office = session.scalar(select(Office).where(Office.id == office_id).with_for_update())
    if office is None:
        raise Invalid("no such office", field="office_id")
    office.case_counter += 1
    return f"{office.code}-{utcnow().year}-{office.case_counter:06d}"


def open_case(session: Session, *, principal: Principal, data: CaseCreate) -> Case:
    """Open a case for a person the user can see, in one of the user's offices."""
    require(principal, Action.CASE_CREATE)
    programme = session.get(Programme, data.programme)
    if programme is None or not programme.active:
        raise Invalid(f"unknown programme; choose one of {', '.join(p.code for p in list_programmes(session))}",
                      field="programme")
    person = session.scalar(select(Person).where(Person.id == data.person_id, people_scope(principal)))
    if person is None:
        raise NotFound("no such person", field="person_id")
    office_id = data.office_id or (
        person.office_id if person.office_id in principal.office_ids else None
    )
    if office_id is None:
        office_id = default_office(principal, None)
    require_office(principal, Action.CASE_CREATE, office_id)
    case = Case(
        id=uuid.uuid4(),
        case_number=_next_case_number(session, office_id),
        person_id=person.id,
        programme=programme.code,
        office_id=office_id,
        opened_by=principal.user_id,
        assigned_to=principal.user_id,
    )
    session.add(case)
    session.flush()
    case.person = person
    record_event(
        session, actor=principal, action="case.open", entity_type="case", entity_id=case.id,
        office_id=office_id, details={"programme": programme.code, "person": str(person.id)},
    )
    return case


@dataclass(frozen=True)
class CaseFilters:
    q: str | None = None
    programme: str | None = None
    state: str | None = None


def search_cases(
    session: Session, *, principal: Principal, filters: CaseFilters, page: PageParams
) -> tuple[list[Case], int]:
    """Cases in the user's offices matching every word of the query, newest first."""
    require(principal, Action.CASE_READ)
    conditions = [cases_scope(principal)]
    if filters.q:
        tokens = query_tokens(filters.q)
        number = filters.q.strip().upper()
        # Each word must start a word of some name the person is known by ("jose" finds "José
        # Muñoz" and "Jose-Maria"); a case number matches from its start.
        name_match = [
            or_(Person.search_key.like(f"{t}%"), Person.search_key.like(f"% {t}%")) for t in tokens
        ]
        conditions.append(or_(*(name_match or [Person.id.is_(None)]), Case.case_number.like(f"{number}%")))
    if filters.programme:
        conditions.append(Case.programme == filters.programme)
    if filters.state:
        conditions.append(Case.state == filters.state)
    base = select(Case).join(Person, Person.id == Case.person_id).where(*conditions)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.scalars(
        base.options(joinedload(Case.person))
        .order_by(Case.opened_at.desc(), Case.id)
        .limit(page.page_size)
        .offset(page.offset)
    ).all()
    record_event(
        session, actor=principal, action="case.list", entity_type="case",
        details={"searched": bool(filters.q), "shown": [str(c.id) for c in rows], "total": total},
    )
    return list(rows), total


def _load_case(session: Session, principal: Principal, case_id: uuid.UUID, *, with_notes: bool) -> Case:
    query = select(Case).where(Case.id == case_id, cases_scope(principal)).options(joinedload(Case.person))
    if with_notes:
        query = query.options(selectinload(Case.notes))
    case = session.scalar(query)
    if case is None:
        raise NotFound("no such case", field="case_id")
    return case


def get_case(session: Session, *, principal: Principal, case_id: uuid.UUID) -> Case:
    """Read a case with its notes; the read is audited."""
    require(principal, Action.CASE_READ)
    case = _load_case(session, principal, case_id, with_notes=True)
    record_event(
        session, actor=principal, action="case.read", entity_type="case", entity_id=case.id,
        office_id=case.office_id,
    )
    return case


def cases_of_person(session: Session, *, principal: Principal, person_id: uuid.UUID) -> list[Case]:
    require(principal, Action.CASE_READ)
    return list(
        session.scalars(
            select(Case).where(Case.person_id == person_id, cases_scope(principal)).order_by(Case.opened_at.desc())
        )
    )


def add_case_note(session: Session, *, principal: Principal, case_id: uuid.UUID, data: NoteCreate) -> CaseNote:
    """Add a note to a case in the user's offices."""
    require(principal, Action.CASE_NOTE)
    case = _load_case(session, principal, case_id, with_notes=False)
    note = CaseNote(case_id=case.id, author_id=principal.user_id, body=data.body)
    session.add(note)
    case.updated_at = utcnow()
    session.flush()
    record_event(
        session, actor=principal, action="case.note", entity_type="case", entity_id=case.id,
        office_id=case.office_id, details={"note": note.id, "length": len(data.body)},
    )
    return note
