"""Finding people, with or without a case: by name in any script and spelling, document or phone number.

Candidates come from the people's stored search keys (kit/names.py, people.person_search_keys), each key's
lookup capped and limited to the user's scope and the filters inside the query; they are then ranked by the
duplicate engine's name comparisons (dedup/engine/search.py) with the active model's weights, so that what
the duplicate check at registration calls one name, the search finds.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import phonenumbers
from sqlalchemy import ColumnElement, Select, func, select, union_all
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


def _key_lookup(keys: list[str], lookup: _Lookup) -> Select[Any]:
    # One capped lookup per key, in one statement: a key shared by many people stops at its cap instead of
    # making the database find all of them. Keys are stored per office that may see the person, so without
    # filters the lookup is read from the primary key's index alone and every row it counts is one the user may
    # see: the cap is never spent on people of other offices.
    parts = []
    for key in keys:
        part = select(PersonSearchKey.key, PersonSearchKey.person_id).where(
            PersonSearchKey.key == key, PersonSearchKey.office_id.in_(sorted(lookup.offices, key=str)))
        if lookup.filters:
            part = part.join(Person, Person.id == PersonSearchKey.person_id).where(*lookup.filters)
        parts.append(part.limit(PER_KEY_LIMIT).subquery().select())
    return parts[0] if len(parts) == 1 else union_all(*parts)  # type: ignore[return-value]


def _shared(session: Session, keys: list[str], lookup: _Lookup, into: Counter[uuid.UUID]) -> bool:
    """Count, per person, the keys they share with the query; whether some key reached its cap."""
    if not keys:
        return False
    per_key: Counter[str] = Counter()
    # A person seen from two of the user's offices has each key twice: counted once.
    seen: set[tuple[str, uuid.UUID]] = set()
    for key, person_id in session.execute(_key_lookup(keys, lookup)):
        per_key[key] += 1
        if (key, person_id) not in seen:
            seen.add((key, person_id))
            into[person_id] += 1
    return any(n >= PER_KEY_LIMIT for n in per_key.values())


def _name_candidates(session: Session, keys: QueryKeys,
                     lookup: _Lookup) -> tuple[list[uuid.UUID], bool]:
    shared: Counter[uuid.UUID] = Counter()
    capped = False
    if len(keys.words) > 1:
        # Two words together, or one letter off: narrow, so looked up first.
        capped = _shared(session, [*keys.pairs, *keys.typos], lookup, shared)
        if len(shared) < ENOUGH:
            capped = _shared(session, list(keys.near), lookup, shared) or capped
    if len(shared) < ENOUGH:
        words = [k for word in keys.words for k in word]
        capped = _shared(session, words, lookup, shared) or capped
    ranked = [pid for pid, _ in shared.most_common(MAX_RANKED)]
    return ranked, capped or len(shared) > MAX_RANKED


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
    for pid, given, family, nationality in rows:
        matched = numbers.get(pid, "name")
        score = name_score(model, forms, candidate_forms(given, family, aliases.get(pid, ()), nationality)) \
            if forms else 0.0
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
