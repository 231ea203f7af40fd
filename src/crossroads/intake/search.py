"""Finding people, with or without a case: by name in any script and spelling, document or phone number.

Candidates come from the people's stored search keys (kit/names.py, people.person_search_keys), each key's
lookup capped and limited to the user's scope and the filters inside the query; they are then ranked by the
duplicate engine's name comparisons (dedup/engine/search.py) with the active model's weights, so that what
the duplicate check at registration calls one name, the search finds.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import phonenumbers
from sqlalchemy import ColumnElement, Select, bindparam, distinct, func, literal, select, union_all
from sqlalchemy.orm import Session

from crossroads.audit.service import record_event
from crossroads.auth.policy import Principal, cases_scope, people_scope, require
from crossroads.auth.roles import Action
from crossroads.cases.models import Case
from crossroads.dedup.engine.search import candidate_forms, name_score, query_forms
from crossroads.dedup.service import active_model
from crossroads.kit.errors import Invalid
from crossroads.kit.i18n import N_
from crossroads.kit.names import QueryKeys, query_search_keys
from crossroads.kit.text import normalise_document_number
from crossroads.people.models import IdentityDocument, Person, PersonName, PersonSearchKey, Sex

# Rows one key may bring: a common name ("Mohammed") is shared by a good part of a million people; its first
# rows are enough to rank when the other words narrow the search, and the filters narrow it inside the lookup.
PER_KEY_LIMIT = 200
# Pair keys first, then the broader ones (a word and another's first consonant, then each word alone) while
# fewer people than this were found.
ENOUGH = 10
# People ranked at most, those sharing the most keys with the query; the pages page through them.
MAX_RANKED = 60
MAX_BORN_WITHIN = 10


@dataclass(frozen=True)
class PeopleFilters:
    q: str
    sex: Sex | None = None
    born: int | None = None
    born_within: int = 0
    nationality: str | None = None
    office_id: uuid.UUID | None = None

    def used(self) -> list[str]:
        names = ["sex", "born", "nationality", "office_id"]
        return [n for n in names if getattr(self, n) is not None]


@dataclass(frozen=True)
class PersonHit:
    person: Person
    score: float
    cases: int
    # "document" or "phone" when the query was one of the person's numbers, else "name".
    matched: str


@dataclass(frozen=True)
class PeoplePage:
    items: list[PersonHit]
    total: int
    # More people shared the query's keys than were ranked: narrow the search with a filter or more words.
    total_is_capped: bool
    page: int
    page_size: int
    has_more: bool = field(default=False)


def _filters(filters: PeopleFilters) -> list[ColumnElement[bool]]:
    """Conditions on the person row from the search's optional filters."""
    conditions: list[ColumnElement[bool]] = []
    if filters.sex is not None:
        conditions.append(Person.sex == filters.sex)
    if filters.born is not None:
        # A range on the date itself, which an estimated date (1 January of the year) also falls into.
        lo, hi = filters.born - filters.born_within, filters.born + filters.born_within
        conditions.append(Person.date_of_birth >= date(max(lo, 1), 1, 1))
        conditions.append(Person.date_of_birth <= date(min(hi, 9999), 12, 31))
    if filters.nationality is not None:
        conditions.append(Person.nationality == filters.nationality)
    if filters.office_id is not None:
        conditions.append(Person.office_id == filters.office_id)
    return conditions


def _visible(principal: Principal) -> list[ColumnElement[bool]]:
    return [people_scope(principal), Person.merged_into_id.is_(None)]


@dataclass(frozen=True)
class _Lookup:
    """Where the name keys are looked up: the user's offices, and the filters on the person row if any."""
    offices: frozenset[uuid.UUID]
    filters: tuple[ColumnElement[bool], ...]


def _key_rows(n_keys: int, filters: tuple[ColumnElement[bool], ...], cap: int, *, skip: int = 0) -> Select[Any]:
    # One capped lookup per key, in one statement: a key shared by many people stops at its cap instead of
    # making the database find all of them. Keys are stored per office that may see the person, so without
    # filters the lookup is read from the primary key's index alone and every row it counts is one the user may
    # see: the cap is never spent on people of other offices. The keys and offices are parameters `k0`, `k1`, …
    # and `offices`.
    parts = []
    for i in range(n_keys):
        part = select(PersonSearchKey.key, PersonSearchKey.person_id, literal(i).label("position")).where(
            PersonSearchKey.key == bindparam(f"k{i}"), PersonSearchKey.office_id.in_(bindparam("offices",
                                                                                              expanding=True)))
        if filters:
            part = part.join(Person, Person.id == PersonSearchKey.person_id).where(*filters)
        part = part.offset(skip).limit(1) if skip else part.limit(cap)
        parts.append(part.subquery().select())
    return parts[0] if len(parts) == 1 else union_all(*parts)  # type: ignore[return-value]


def _most_shared_statement(n_keys: int, filters: tuple[ColumnElement[bool], ...], cap: int,
                           ranked: int) -> Select[Any]:
    rows = _key_rows(n_keys, filters, cap).subquery()
    # A person seen from two of the user's offices has each key twice: counted once. Among people sharing as many
    # keys, those found by an earlier (narrower) key come first.
    shared = func.count(distinct(rows.c.key))
    return (select(rows.c.person_id).group_by(rows.c.person_id)
            .order_by(shared.desc(), func.min(rows.c.position), rows.c.person_id).limit(ranked + 1))


# Without filters a lookup's statement depends on its number of keys alone, so it is built once per number and
# kept: SQLAlchemy memoises a statement's cache key on the statement object, and computing it again for a union of
# twenty lookups took more CPU than the database's work. With filters (their values are inside the statement) it
# is built for each search.
@lru_cache(maxsize=128)
def _most_shared_cached(n_keys: int, cap: int, ranked: int) -> Select[Any]:
    return _most_shared_statement(n_keys, (), cap, ranked)


@lru_cache(maxsize=128)
def _capped_cached(n_keys: int, cap: int) -> Select[Any]:
    return _key_rows(n_keys, (), cap, skip=cap - 1)


def _parameters(keys: list[str], lookup: _Lookup) -> dict[str, Any]:
    return {"offices": sorted(lookup.offices, key=str), **{f"k{i}": key for i, key in enumerate(keys)}}


def _most_shared(session: Session, keys: list[str], lookup: _Lookup) -> list[uuid.UUID]:
    """The people sharing the most of these keys, most first, MAX_RANKED + 1 at most. The database counts: the
    lookups bring thousands of rows for common names, and handing each to Python cost more than ranking."""
    statement = _most_shared_statement(len(keys), lookup.filters, PER_KEY_LIMIT, MAX_RANKED) if lookup.filters \
        else _most_shared_cached(len(keys), PER_KEY_LIMIT, MAX_RANKED)
    return list(session.scalars(statement, _parameters(keys, lookup)))


def _some_key_capped(session: Session, keys: list[str], lookup: _Lookup) -> bool:
    """Whether some key's lookup reached its cap: more people shared it than were counted."""
    statement = _key_rows(len(keys), lookup.filters, PER_KEY_LIMIT, skip=PER_KEY_LIMIT - 1) if lookup.filters \
        else _capped_cached(len(keys), PER_KEY_LIMIT)
    return session.execute(statement, _parameters(keys, lookup)).first() is not None


def _name_candidates(session: Session, keys: QueryKeys,
                     lookup: _Lookup) -> tuple[list[uuid.UUID], bool]:
    looked_up: list[str] = []
    found: list[uuid.UUID] = []
    # Narrow keys first (two words together, or one letter off), then broader ones while fewer than ENOUGH
    # people were found; each step counts every key looked up so far.
    steps = [[*keys.pairs, *keys.typos], list(keys.near)] if len(keys.words) > 1 else []
    steps.append([k for word in keys.words for k in word])
    for step in steps:
        if not step:
            continue
        looked_up += step
        found = _most_shared(session, looked_up, lookup)
        if len(found) >= ENOUGH:
            break
    if not looked_up:
        return [], False
    capped = len(found) > MAX_RANKED or _some_key_capped(session, looked_up, lookup)
    return found[:MAX_RANKED], capped


def _number_matches(session: Session, q: str, conditions: list[ColumnElement[bool]]) -> dict[uuid.UUID, str]:
    found: dict[uuid.UUID, str] = {}
    document = normalise_document_number(q)
    if len(document) >= 4 and any(c.isdigit() for c in document):
        for pid in session.scalars(select(IdentityDocument.person_id).join(Person)
                                   .where(IdentityDocument.number_normalised == document, *conditions)
                                   .limit(MAX_RANKED)):
            found[pid] = "document"
    digits = q.replace(" ", "").replace("-", "")
    if digits.startswith("+") or (digits.isdigit() and len(digits) >= 7):
        try:
            number = phonenumbers.parse(digits if digits.startswith("+") else f"+{digits}", None)
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            e164 = None
        if e164 is not None:
            for pid in session.scalars(select(Person.id).where(Person.phone == e164, *conditions).limit(MAX_RANKED)):
                found.setdefault(pid, "phone")
    return found


def _check(filters: PeopleFilters) -> str:
    q = " ".join(filters.q.split())
    if not q:
        raise Invalid(N_("enter a name, a document number or a phone number"), field="q")
    if filters.born_within and filters.born is None:
        raise Invalid(N_("born_within needs born, the year of birth it is counted from"), field="born_within")
    if not 0 <= filters.born_within <= MAX_BORN_WITHIN:
        raise Invalid(N_("must be between 0 and 10 years"), field="born_within")
    return q


def search_people(session: Session, *, principal: Principal, filters: PeopleFilters, page: int = 1,
                  page_size: int = 25) -> PeoplePage:
    """People in the user's scope whose names, documents or phone match the query, best first; audited."""
    require(principal, Action.PERSON_READ)
    q = _check(filters)
    person_filters = _filters(filters)
    numbers = _number_matches(session, q, [*_visible(principal), *person_filters])
    keys = query_search_keys(q)
    lookup = _Lookup(offices=frozenset(principal.office_ids), filters=tuple(person_filters))
    ids, capped = _name_candidates(session, keys, lookup) if keys.words and lookup.offices else ([], False)
    ids = list(dict.fromkeys([*numbers, *ids]))
    # Ranking reads four columns and the aliases; whole records are loaded for the page shown only. The policy's
    # scope is checked here again on the few candidates: what the user may see never rests on the key rows alone.
    rows = session.execute(select(Person.id, Person.given_name, Person.family_name, Person.nationality)
                           .where(Person.id.in_(ids), *_visible(principal))).all() if ids else []
    aliases: dict[uuid.UUID, list[str]] = {}
    if rows:
        for person_id, name in session.execute(select(PersonName.person_id, PersonName.name)
                                               .where(PersonName.person_id.in_(ids)).order_by(PersonName.id)):
            aliases.setdefault(person_id, []).append(name)
    model = active_model(session)
    forms = query_forms(q)
    scored: list[tuple[float, str, str, uuid.UUID, str]] = []
    # Namesakes are what a common name brings: each distinct name is compared once.
    by_name: dict[tuple[str, str, tuple[str, ...], str | None], float] = {}
    for pid, given, family, nationality in rows:
        matched = numbers.get(pid, "name")
        names = (given, family, tuple(aliases.get(pid, ())), nationality)
        score = by_name.get(names)
        if score is None:
            score = by_name[names] = name_score(model, forms, candidate_forms(*names)) if forms else 0.0
        if matched != "name":
            # The number is the person's own: above any name, however close.
            score += 1000.0
        scored.append((score, family, given, pid, matched))
    scored.sort(key=lambda s: (-s[0], s[1], s[2], str(s[3])))
    start = (page - 1) * page_size
    shown = scored[start:start + page_size]
    page_ids = [pid for _, _, _, pid, _ in shown]
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(page_ids)))} if shown else {}
    cases: dict[uuid.UUID, int] = {}
    if shown:
        cases = {pid: n for pid, n in session.execute(
            select(Case.person_id, func.count()).where(Case.person_id.in_(page_ids), cases_scope(principal))
            .group_by(Case.person_id))}
    # The query itself is not recorded: it is a name, a document or a phone number. What was shown is.
    record_event(session, actor=principal, action="person.search", entity_type="person",
                 details={"words": len(keys.words), "filters": filters.used(), "found": len(scored),
                          "shown": [str(pid) for pid in page_ids]})
    return PeoplePage(items=[PersonHit(person=people[pid], score=round(s, 2), cases=cases.get(pid, 0), matched=m)
                             for s, _, _, pid, m in shown],
                      total=len(scored), total_is_capped=capped, page=page, page_size=page_size,
                      has_more=start + page_size < len(scored))
