"""Opening, reading, editing and finding cases, and keeping their notes."""

from __future__ import annotations

import base64
import json
import re
import typing
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import phonenumbers
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Select,
    Table,
    TextClause,
    Uuid,
    and_,
    any_,
    bindparam,
    cast,
    delete,
    func,
    intersect,
    null,
    select,
    text,
    union,
    update,
)
from sqlalchemy.orm import Session, joinedload, selectinload

from crossroads.audit.models import AuditEvent
from crossroads.audit.service import record_event
from crossroads.auth.models import Office
from crossroads.auth.policy import Principal, cases_scope, default_office, people_scope, require, require_office
from crossroads.auth.roles import Action
from crossroads.cases.models import Case, CaseFlag, CaseNote
from crossroads.cases.schemas import CaseCreate, CaseOpening, CaseUpdate, NoteCreate
from crossroads.db.base import utcnow
from crossroads.kit.errors import Conflict, Invalid, NotFound
from crossroads.kit.i18n import N_, Message
from crossroads.kit.names import name_tokens, query_search_keys
from crossroads.kit.text import normalise_document_number, query_tokens
from crossroads.people.models import IdentityDocument, Person, PersonNameToken, PersonSearchKey
from crossroads.people.service import cover_office
from crossroads.programmes.config import FieldErrors, ProgrammeConfig, validate_data
from crossroads.programmes.service import current_version, field_expression, get_version

COUNT_CAP = 1_000
# A name search answers "more than 100" sooner than it could count a common name's thousand cases.
SEARCH_COUNT_CAP = 100
CASE_NUMBER = re.compile(r"^[A-Z0-9]+-\d{4}(-\d*)?$|^[A-Z0-9]+-$")


_offices = typing.cast(Table, Office.__table__)
# One statement: the update's row lock serialises numbering per office until commit on PostgreSQL; SQLite
# already holds the write lock. A plain table update, built once: the ORM's bulk update path and building the
# statement on every case cost more than running it, and no loaded office needs synchronising.
_NEXT_NUMBER = (
    update(_offices).where(_offices.c.id == bindparam("office")).values(case_counter=_offices.c.case_counter + 1)
    .returning(_offices.c.code, _offices.c.case_counter)
)


def _next_case_number(session: Session, office_id: uuid.UUID) -> str:
    row = session.execute(_NEXT_NUMBER, {"office": office_id}).first()
    if row is None:
        raise Invalid("no such office", field="office_id")
    return f"{row.code}-{utcnow().year}-{row.case_counter:06d}"


def _validated(config: ProgrammeConfig, data: dict[str, Any]) -> dict[str, Any]:
    try:
        return validate_data(config, data)
    except FieldErrors as exc:
        errors = [(f"data.{e.field}", e.message) for e in exc.errors]
        raise Invalid(errors[0][1], field=errors[0][0], errors=errors) from None


def _set_flags(session: Session, case: Case, flags: list[str]) -> None:
    flags = sorted(set(flags))
    if flags == sorted(case.flags or []):
        return
    if case.flags:
        session.execute(delete(CaseFlag).where(CaseFlag.case_id == case.id))
    case.flags = flags
    session.add_all(CaseFlag(case_id=case.id, flag=f) for f in flags)


def touch(case: Case) -> None:
    """Mark activity on a case: the office dashboard lists cases without any for a while."""
    case.last_activity_at = utcnow()


def open_case(session: Session, *, principal: Principal, data: CaseCreate) -> Case:
    """Open a case for a person the user can see, in one of the user's offices, under the current version."""
    require(principal, Action.CASE_CREATE)
    person = session.scalar(select(Person).where(Person.id == data.person_id, people_scope(principal)))
    if person is None:
        raise NotFound("no such person", field="person_id")
    return open_case_for(session, principal=principal, person=person, data=data)


def open_case_for(session: Session, *, principal: Principal, person: Person, data: CaseOpening) -> Case:
    """Open a case for a person already loaded under the user's scope (or just registered by them)."""
    require(principal, Action.CASE_CREATE)
    programme, version, config = current_version(session, data.programme)
    office_id = data.office_id or (person.office_id if person.office_id in principal.office_ids else None)
    if office_id is None:
        office_id = default_office(principal, None)
    require_office(principal, Action.CASE_CREATE, office_id)
    clean = _validated(config, data.data)
    case = Case(
        id=uuid.uuid4(),
        case_number=_next_case_number(session, office_id),
        person_id=person.id,
        programme=programme.code,
        programme_version_id=version.id,
        office_id=office_id,
        state=config.initial_state,
        data=clean,
        flags=[],
        opened_by=principal.user_id,
        assigned_to=principal.user_id,
    )
    session.add(case)
    session.flush()
    if office_id != person.office_id:
        # The case's office may now see the person: the people search must find them from it.
        cover_office(session, person.id, office_id)
    _set_flags(session, case, data.flags)
    case.person = person
    record_event(
        session, actor=principal, action="case.open", entity_type="case", entity_id=case.id, office_id=office_id,
        details={"programme": programme.code, "version": version.version, "person": str(person.id),
                 "fields": sorted(clean), "state": case.state},
    )
    return case


def load_case(session: Session, principal: Principal, case_id: uuid.UUID, *, with_notes: bool = False,
              lock: bool = False) -> Case:
    """A case in the user's scope, or 404; `lock` takes a row lock for a read-modify-write."""
    query = select(Case).where(Case.id == case_id, cases_scope(principal)).options(joinedload(Case.person))
    if with_notes:
        query = query.options(selectinload(Case.notes))
    if lock:
        query = query.with_for_update(of=Case)
    case = session.scalar(query)
    if case is None:
        raise NotFound("no such case", field="case_id")
    return case


def case_config(session: Session, case: Case) -> ProgrammeConfig:
    if case.programme_version_id is None:
        return current_version(session, case.programme)[2]
    return get_version(session, case.programme_version_id)[1]


def get_case(session: Session, *, principal: Principal, case_id: uuid.UUID) -> Case:
    """Read a case with its notes; the read is audited."""
    require(principal, Action.CASE_READ)
    case = load_case(session, principal, case_id, with_notes=True)
    record_event(session, actor=principal, action="case.read", entity_type="case", entity_id=case.id,
                 office_id=case.office_id)
    return case


def _changes_since(session: Session, case: Case, version: int) -> list[dict[str, Any]]:
    """What happened to the case after the editor's version, from the audit trail (field names, not values)."""
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "case", AuditEvent.entity_id == str(case.id),
                                 # Reads (of the case, its links, its files, its timeline, its screenings
                                 # and determinations) change nothing.
                                 AuditEvent.action.not_like("%read"), AuditEvent.action.not_like("%.list"),
                                 ).order_by(AuditEvent.id.desc()).limit(50)
    ).all()
    out = []
    for ev in events:
        if ev.details.get("version") is not None and ev.details["version"] <= version:
            break
        out.append({"action": ev.action, "at": ev.occurred_at.isoformat(),
                    "by": str(ev.actor_id) if ev.actor_id else None, "fields": ev.details.get("fields", [])})
    return list(reversed(out))


def update_case(session: Session, *, principal: Principal, case_id: uuid.UUID, data: CaseUpdate) -> Case:
    """Change a case's programme fields or flags; a stale version is refused with what changed since."""
    require(principal, Action.CASE_UPDATE)
    case = load_case(session, principal, case_id, lock=True)
    if case.version != data.version:
        changes = _changes_since(session, case, data.version)
        changed_since = sorted({f for c in changes for f in c["fields"]})
        raise Conflict(
            f"this case was changed since version {data.version} (now {case.version}); review the changes and "
            "apply yours again", field="version",
            extra={"current_version": case.version, "changes": changes,
                   "current_values": {f: case.data.get(f) for f in changed_since}, "state": case.state},
        )
    changed: list[str] = []
    if data.data is not None:
        merged = dict(case.data)
        for key, value in data.data.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        clean = _validated(case_config(session, case), merged)
        changed = sorted(k for k in set(case.data) | set(clean) if case.data.get(k) != clean.get(k))
        case.data = clean
    if data.flags is not None:
        if sorted(set(data.flags)) != sorted(case.flags):
            changed.append("flags")
        _set_flags(session, case, data.flags)
    touch(case)
    session.flush()
    record_event(session, actor=principal, action="case.update", entity_type="case", entity_id=case.id,
                 office_id=case.office_id, details={"fields": changed, "version": case.version})
    return case


def cases_of_person(session: Session, *, principal: Principal, person_id: uuid.UUID) -> list[Case]:
    require(principal, Action.CASE_READ)
    return list(session.scalars(
        select(Case).where(Case.person_id == person_id, cases_scope(principal)).order_by(Case.opened_at.desc())
    ))


def add_case_note(session: Session, *, principal: Principal, case_id: uuid.UUID, data: NoteCreate) -> CaseNote:
    """Add a note to a case in the user's offices."""
    require(principal, Action.CASE_NOTE)
    case = load_case(session, principal, case_id)
    note = CaseNote(case_id=case.id, author_id=principal.user_id, body=data.body)
    session.add(note)
    touch(case)
    session.flush()
    record_event(session, actor=principal, action="case.note", entity_type="case", entity_id=case.id,
                 office_id=case.office_id, details={"note": note.id, "length": len(data.body),
                                                    "version": case.version})
    return note


# Finding cases

SORTS = {
    "-opened_at": (Case.opened_at, True),
    "opened_at": (Case.opened_at, False),
    "-last_activity_at": (Case.last_activity_at, True),
    "last_activity_at": (Case.last_activity_at, False),
}


@dataclass(frozen=True)
class CaseFilters:
    q: str | None = None
    programme: str | None = None
    state: str | None = None
    office_id: uuid.UUID | None = None
    assigned_to: uuid.UUID | None = None
    flag: str | None = None
    opened_from: date | None = None
    opened_to: date | None = None
    fields: dict[str, str] = field(default_factory=dict)
    sort: str = "-opened_at"


def _token_range(token: str) -> Any:
    # Folded tokens are [a-z0-9]; every token starting with `token` sorts between it and its successor.
    return _prefix_range(PersonNameToken.token, token)


def _prefix_range(column: Any, prefix: str) -> Any:
    """`column` starts with `prefix`, as a range an ordinary B-tree index serves (binary collation)."""
    return and_(column >= prefix, column < prefix[:-1] + chr(ord(prefix[-1]) + 1))


# A name search first collects the matching people; up to this many, their ids go to the case query as a list,
# which the database answers from the person_id index and a small sort. Beyond it (a one- or two-letter
# prefix), the people stay a subquery.
PEOPLE_LIST_LIMIT = 10_000


def _all_of(selects: list[Select]) -> Select:
    return selects[0] if len(selects) == 1 else intersect(*selects)  # type: ignore[return-value]


def _people_named(q: str) -> Any:
    """People with a name word starting with each query word, or agreeing with it by skeleton.

    The skeletons are the search keys the people search looks up (kit/names.py), so "Yusef Hadad" finds
    "Youssef Al-Haddad" and "Jamal Yousef" finds جمال يوسف here as there; the people search also ranks and
    forgives a typo, a list of cases filters. A word of one or two consonants ("Ali") agrees by skeleton with
    too many names to filter on, so it must start a name word.
    """
    tokens = list(dict.fromkeys(query_tokens(q)))
    if not tokens:
        return None
    # One intersection, not one join per word.
    alternatives = [_all_of([select(PersonNameToken.person_id).where(_token_range(t)) for t in tokens])]
    keys = query_search_keys(q)
    words = name_tokens(q)
    if keys.words and len(words) == len(keys.words) and not all(keys.short):
        alternatives.append(_all_of([
            select(PersonNameToken.person_id).where(_token_range(word)) if short
            else select(PersonSearchKey.person_id).where(PersonSearchKey.key.in_(word_keys))
            for word, word_keys, short in zip(words, keys.words, keys.short, strict=True)]))
    if len(alternatives) == 1:
        return alternatives[0].subquery()
    # SQLite takes no parenthesised compound inside a compound: each side is read from its own subquery.
    return union(*(select(a.subquery().c[0]) for a in alternatives)).subquery()


def _query_condition(session: Session, q: str) -> Any:
    """Names (every word a prefix of some name), case number, document number or phone number.

    Each alternative is its own indexed lookup; several are joined by a UNION of case ids, because an OR
    across them would keep the database from using any index and scan every case in scope.
    """
    q = q.strip()
    alternatives: list[Any] = []
    upper = q.upper()
    if CASE_NUMBER.match(upper):
        alternatives.append(_prefix_range(Case.case_number, upper))
    if q.startswith("+") or (q.replace(" ", "").isdigit() and len(q.replace(" ", "")) >= 7):
        try:
            number = phonenumbers.parse(q if q.startswith("+") else f"+{q}", None)
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            alternatives.append(Case.person_id.in_(select(Person.id).where(Person.phone == e164)))
        except phonenumbers.NumberParseException:
            pass
    document = normalise_document_number(q)
    if len(document) >= 4 and any(c.isdigit() for c in document):
        alternatives.append(Case.person_id.in_(
            select(IdentityDocument.person_id).where(IdentityDocument.number_normalised == document)))
    people = _people_named(q)
    if people is not None:
        if session.get_bind().dialect.name == "postgresql":
            # `= ANY(array of the people)`: PostgreSQL collects them once, in the same statement, and probes
            # the cases' person index with the array. As `IN (subquery)` it would plan a semi-join over every
            # case in scope; as a list of ids it would ship thousands of parameters each way.
            people_array = cast(select(func.array_agg(people.c[0])).scalar_subquery(), ARRAY(Uuid))
            alternatives.append(Case.person_id == any_(people_array))
        else:
            ids = list(session.scalars(select(people.c[0]).limit(PEOPLE_LIST_LIMIT + 1)))
            if len(ids) <= PEOPLE_LIST_LIMIT:
                alternatives.append(Case.person_id.in_(ids) if ids else Case.id.is_(None))
            else:
                alternatives.append(Case.person_id.in_(select(people.c[0])))
    if not alternatives:
        return Case.id.is_(None)
    if len(alternatives) == 1:
        return alternatives[0]
    return Case.id.in_(union(*(select(Case.id).where(a) for a in alternatives)))


def _filtered(session: Session, principal: Principal, filters: CaseFilters) -> Select:
    conditions: list[ColumnElement[bool] | TextClause] = [cases_scope(principal)]
    if filters.q:
        conditions.append(_query_condition(session, filters.q))
    if filters.programme:
        conditions.append(Case.programme == filters.programme)
    if filters.state:
        conditions.append(Case.state == filters.state)
    if filters.office_id:
        conditions.append(Case.office_id == filters.office_id)
    if filters.assigned_to:
        conditions.append(Case.assigned_to == filters.assigned_to)
    if filters.flag:
        conditions.append(Case.id.in_(select(CaseFlag.case_id).where(CaseFlag.flag == filters.flag)))
    if filters.opened_from:
        conditions.append(Case.opened_at >= datetime.combine(filters.opened_from, time.min, tzinfo=UTC))
    if filters.opened_to:
        day_after = filters.opened_to + timedelta(days=1)
        conditions.append(Case.opened_at < datetime.combine(day_after, time.min, tzinfo=UTC))
    dialect = session.get_bind().dialect.name
    for name, value in filters.fields.items():
        conditions.append(text(f"{field_expression(dialect, name)} = :v_{name}").bindparams(**{f"v_{name}": value}))
    return select(Case).where(*conditions)


def encode_cursor(case: Case, sort: str) -> str:
    column, _ = SORTS[sort]
    value = getattr(case, column.key)
    return base64.urlsafe_b64encode(json.dumps([value.isoformat(), str(case.id)]).encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        value, case_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(value), uuid.UUID(case_id)
    except (ValueError, TypeError):
        raise Invalid("not a cursor returned by this list", field="cursor") from None


@dataclass(frozen=True)
class CasePage:
    items: list[Case]
    total: int | None
    total_is_capped: bool
    next_cursor: str | None


def search_cases(session: Session, *, principal: Principal, filters: CaseFilters, page_size: int = 25,
                 cursor: str | None = None, page: int = 1) -> CasePage:
    """Cases in the user's offices matching the filters, sorted, one keyset page at a time."""
    require(principal, Action.CASE_READ)
    if filters.sort not in SORTS:
        raise Invalid(Message(N_("must be one of %(expected)s"), {"expected": ", ".join(SORTS)}), field="sort")
    base = _filtered(session, principal, filters)
    column, descending = SORTS[filters.sort]
    query = base
    if cursor:
        value, case_id = _decode_cursor(cursor)
        after = (column < value) | ((column == value) & (Case.id > case_id)) if descending else \
            (column > value) | ((column == value) & (Case.id > case_id))
        query = query.where(after)
    elif page > 1:
        query = query.offset((page - 1) * page_size)
    order = column.desc() if descending else column.asc()
    counted: int | None = None
    if filters.q and session.get_bind().dialect.name == "postgresql":
        # The page's ids first, ranked from the person index's included columns; then only those rows. A search
        # sorts every case it matches to find its page, so on the page that is counted the same statement counts
        # them (the window sees all matches before the LIMIT): a second statement would find the matching people
        # again. Cursor pages are not counted, and the window's buffering would only slow them.
        matches = func.count().over() if cursor is None else null()
        page_ids = (query.with_only_columns(Case.id, matches.label("matches"))
                    .order_by(order, Case.id).limit(page_size + 1).subquery())
        found = session.execute(
            select(Case, page_ids.c.matches).join(page_ids, page_ids.c.id == Case.id)
            .options(joinedload(Case.person)).order_by(order, Case.id)).all()
        rows = [case for case, _ in found]
        counted = found[0][1] if found else None
    else:
        rows = list(session.scalars(
            query.options(joinedload(Case.person)).order_by(order, Case.id).limit(page_size + 1)
        ))
    more = len(rows) > page_size
    rows = rows[:page_size]
    # Counted on the first page only (later pages keep the first page's figure), only when the page does not
    # already hold everything, and only up to a cap: an exact count over a million cases costs more than the page.
    total: int | None = None
    cap = SEARCH_COUNT_CAP if filters.q else COUNT_CAP
    if cursor is None:
        if not more and page == 1:
            total = len(rows)
        elif counted is not None:
            total = counted
        else:
            total = session.scalar(select(func.count()).select_from(
                base.with_only_columns(Case.id).limit(cap + 1).subquery())) or 0
    record_event(session, actor=principal, action="case.list", entity_type="case",
                 details={"searched": bool(filters.q), "shown": [str(c.id) for c in rows]})
    return CasePage(items=rows, total=min(total, cap) if total is not None else None,
                    total_is_capped=total is not None and total > cap,
                    next_cursor=encode_cursor(rows[-1], filters.sort) if more and rows else None)
