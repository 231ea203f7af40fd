"""Registering people, reading them under the access policy, and linking households."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from crossroads.audit.service import record_event
from crossroads.auth.policy import Principal, default_office, people_scope, require, require_office
from crossroads.auth.roles import Action
from crossroads.db.rows import insert_owned
from crossroads.kit.errors import Invalid, NotFound
from crossroads.kit.names import name_search_keys, persian_reading
from crossroads.kit.text import normalise_document_number, search_key
from crossroads.people.models import (
    Household,
    IdentityDocument,
    Person,
    PersonName,
    PersonNameToken,
    PersonSearchKey,
    Relationship,
)
from crossroads.people.schemas import PersonCreate


def person_search_key(person: Person) -> str:
    return search_key(person.given_name, person.family_name, *(n.name for n in person.names))


def person_name_keys(given_name: str, family_name: str, aliases: list[str], nationality: str | None) -> list[str]:
    """The search keys of a person's names (kit/names.py), sorted."""
    names = [f"{given_name} {family_name}", *aliases]
    return sorted(name_search_keys(names, persian=persian_reading(names, nationality)))


def insert_name_tokens(session: Session, person: Person) -> None:
    """Insert the tokens and search keys of the person's names; the person's row must already be flushed."""
    insert_owned(session, PersonNameToken.__table__, owner="person_id", owner_id=person.id, column="token",
                 values=list(dict.fromkeys(t[:64] for t in person.search_key.split())))
    keys = person_name_keys(person.given_name, person.family_name, [n.name for n in person.names], person.nationality)
    insert_owned(session, PersonSearchKey.__table__, owner="person_id", owner_id=person.id, column="key", values=keys)


def refresh_name_index(session: Session, person: Person) -> None:
    """Recompute the search key, name tokens and search keys after the person's names changed."""
    person.search_key = person_search_key(person)
    session.execute(delete(PersonNameToken).where(PersonNameToken.person_id == person.id))
    session.execute(delete(PersonSearchKey).where(PersonSearchKey.person_id == person.id))
    insert_name_tokens(session, person)


def add_person(session: Session, *, principal: Principal, data: PersonCreate) -> Person:
    """Add a person's record in one of the user's offices; `intake.service.register_person` wraps it.

    The registry's entry point is the intake's, which also writes the person's matching keys and queues
    likely duplicates: a record added here alone is invisible to the duplicate check.
    """
    office_id = default_office(principal, data.office_id)
    require_office(principal, Action.PERSON_CREATE, office_id)
    person = Person(
        id=uuid.uuid4(),
        office_id=office_id,
        given_name=data.given_name,
        family_name=data.family_name,
        sex=data.sex,
        date_of_birth=data.date_of_birth,
        date_of_birth_estimated=data.date_of_birth_estimated,
        nationality=data.nationality,
        languages=list(dict.fromkeys(data.languages)),
        phone=data.phone,
        created_by=principal.user_id,
        names=[PersonName(name=a.name, kind=a.kind) for a in data.aliases],
        documents=[
            IdentityDocument(
                document_type=d.document_type,
                number=d.number,
                number_normalised=normalise_document_number(d.number),
                issuing_country=d.issuing_country,
                expiry_date=d.expiry_date,
            )
            for d in data.documents
        ],
    )
    person.search_key = person_search_key(person)
    session.add(person)
    session.flush()
    insert_name_tokens(session, person)
    record_event(
        session,
        actor=principal,
        action="person.create",
        entity_type="person",
        entity_id=person.id,
        office_id=office_id,
        details={
            "fields": sorted(k for k, v in data.model_dump(exclude={"office_id"}).items() if v not in (None, [])),
            "aliases": len(data.aliases),
            "documents": len(data.documents),
        },
    )
    return person


def load_person(session: Session, principal: Principal, person_id: uuid.UUID, *, full: bool) -> Person:
    query = select(Person).where(Person.id == person_id, people_scope(principal))
    if full:
        query = query.options(selectinload(Person.names), selectinload(Person.documents))
    person = session.scalar(query)
    if person is None:
        # Out of scope and non-existent look the same, so a probe learns nothing.
        raise NotFound("no such person", field="person_id")
    return person


def get_person(session: Session, *, principal: Principal, person_id: uuid.UUID) -> Person:
    """Read a person's full record; the read itself is audited."""
    require(principal, Action.PERSON_READ)
    person = load_person(session, principal, person_id, full=True)
    record_event(
        session, actor=principal, action="person.read", entity_type="person", entity_id=person.id,
        office_id=person.office_id,
    )
    return person


def household_members(session: Session, *, principal: Principal, person: Person) -> list[Person]:
    """Members of the person's household that the user may see, head first."""
    if person.household_id is None:
        return []
    rows = session.scalars(
        select(Person)
        .where(Person.household_id == person.household_id, people_scope(principal))
        .order_by(Person.household_relationship != Relationship.HEAD, Person.date_of_birth)
    ).all()
    record_event(
        session, actor=principal, action="household.read", entity_type="household",
        entity_id=person.household_id, office_id=person.office_id, details={"members": len(rows)},
    )
    return list(rows)


def household_head(session: Session, *, principal: Principal, person_id: uuid.UUID) -> Person:
    """The person whose household a member joins, made head of a new household if they have none."""
    require(principal, Action.HOUSEHOLD_MANAGE)
    head = load_person(session, principal, person_id, full=False)
    if head.household_id is None:
        household = Household(id=uuid.uuid4(), office_id=head.office_id)
        session.add(household)
        session.flush()
        head.household_id = household.id
        head.household_relationship = Relationship.HEAD
        record_event(
            session, actor=principal, action="household.create", entity_type="household",
            entity_id=household.id, office_id=head.office_id, details={"head": str(head.id)},
        )
    return head


def join_household(session: Session, *, principal: Principal, head: Person, member: Person,
                   relationship: Relationship) -> Person:
    """Put a person into the head's household (see `household_head`)."""
    if member.id == head.id:
        raise Invalid("a person cannot be added to their own household twice", field="person_id")
    member.household_id = head.household_id
    member.household_relationship = relationship
    session.flush()
    record_event(
        session, actor=principal, action="household.add_member", entity_type="household",
        entity_id=head.household_id, office_id=head.office_id,
        details={"person": str(member.id), "relationship": relationship.value},
    )
    return member


def reindex_search_keys(session: Session, *, chunk: int = 2_000,
                        progress: Callable[[int, int], None] | None = None) -> tuple[int, int]:
    """Recompute every person's search keys, writing only those that changed: (people, people changed).

    Needed once after the upgrade that added the keys (a migration cannot compute them), and after a release
    that changes how they are made (kit/names.py). Running it twice writes nothing the second time.
    """
    total = session.scalar(select(func.count()).select_from(Person)) or 0
    done = changed = 0
    last: uuid.UUID | None = None
    while True:
        query = select(Person.id, Person.given_name, Person.family_name, Person.nationality).order_by(Person.id)
        rows = session.execute((query.where(Person.id > last) if last else query).limit(chunk)).all()
        if not rows:
            break
        ids = [r.id for r in rows]
        aliases: dict[uuid.UUID, list[str]] = {}
        for person_id, name in session.execute(select(PersonName.person_id, PersonName.name)
                                               .where(PersonName.person_id.in_(ids)).order_by(PersonName.id)):
            aliases.setdefault(person_id, []).append(name)
        stored: dict[uuid.UUID, set[str]] = {}
        for person_id, key in session.execute(select(PersonSearchKey.person_id, PersonSearchKey.key)
                                              .where(PersonSearchKey.person_id.in_(ids))):
            stored.setdefault(person_id, set()).add(key)
        for r in rows:
            keys = person_name_keys(r.given_name, r.family_name, aliases.get(r.id, []), r.nationality)
            if set(keys) != stored.get(r.id, set()):
                session.execute(delete(PersonSearchKey).where(PersonSearchKey.person_id == r.id))
                insert_owned(session, PersonSearchKey.__table__, owner="person_id", owner_id=r.id, column="key",
                             values=keys)
                changed += 1
        done += len(rows)
        last = ids[-1]
        if progress:
            progress(done, total)
    record_event(session, actor=None, action="person.search_reindex", entity_type="person_search_key",
                 system_actor="cli", details={"people": done, "changed": changed})
    return done, changed
