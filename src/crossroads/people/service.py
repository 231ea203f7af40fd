"""Registering people, reading them under the access policy, correcting them, and linking households."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, func, insert, literal, or_, select
from sqlalchemy.orm import Session, selectinload

from crossroads.audit.service import record_event
from crossroads.auth.policy import (
    Principal,
    default_office,
    holds_person,
    people_scope,
    person_case_offices,
    readable_sensitivities,
    require,
    require_office,
    require_person_editor,
)
from crossroads.auth.roles import Action
from crossroads.db.base import utcnow
from crossroads.db.rows import insert_owned
from crossroads.kit.errors import Conflict, Invalid, NotFound
from crossroads.kit.names import name_search_keys, persian_reading
from crossroads.kit.text import normalise_document_number, search_key
from crossroads.people.models import (
    PERSON_FIELD_SENSITIVITY,
    Household,
    IdentityDocument,
    Person,
    PersonChange,
    PersonName,
    PersonNameToken,
    PersonSearchKey,
    Relationship,
)
from crossroads.people.schemas import AliasIn, DocumentIn, PersonCreate, PersonUpdate


def person_search_key(person: Person) -> str:
    return search_key(person.given_name, person.family_name, *(n.name for n in person.names))


def person_name_keys(given_name: str, family_name: str, aliases: list[str], nationality: str | None) -> list[str]:
    """The search keys of a person's names (kit/names.py), sorted."""
    names = [f"{given_name} {family_name}", *aliases]
    return sorted(name_search_keys(names, persian=persian_reading(names, nationality)))


def insert_name_tokens(session: Session, person: Person, *, offices: Iterable[uuid.UUID] | None = None) -> None:
    """Insert the tokens and search keys of the person's names; the person's row must already be flushed.

    `offices`: those that may see the person, when the caller knows them (a new person: their office alone).
    """
    insert_owned(session, PersonNameToken.__table__, owner="person_id", owner_id=person.id, column="token",
                 values=list(dict.fromkeys(t[:64] for t in person.search_key.split())))
    # A merged record is found through its survivor only.
    if person.merged_into_id is None:
        keys = person_name_keys(person.given_name, person.family_name, [n.name for n in person.names],
                                person.nationality)
        _insert_search_keys(session, person.id, keys, offices if offices is not None
                            else _offices_seeing(session, person.id, person.office_id))


def _offices_seeing(session: Session, person_id: uuid.UUID, office_id: uuid.UUID) -> set[uuid.UUID]:
    """The person's registration office and the offices of their cases: those `people_scope` lets see them."""
    return {office_id, *session.scalars(person_case_offices(person_id))}


def _insert_search_keys(session: Session, person_id: uuid.UUID, keys: list[str],
                        offices: Iterable[uuid.UUID]) -> None:
    for office_id in sorted(set(offices), key=str):
        insert_owned(session, PersonSearchKey.__table__, owner="person_id", owner_id=person_id, column="key",
                     values=keys, constants={"office_id": office_id})


def refresh_name_index(session: Session, person: Person) -> None:
    """Recompute the search key, name tokens and search keys after the person's names (or merge) changed."""
    person.search_key = person_search_key(person)
    session.execute(delete(PersonNameToken).where(PersonNameToken.person_id == person.id))
    session.execute(delete(PersonSearchKey).where(PersonSearchKey.person_id == person.id))
    insert_name_tokens(session, person)


def cover_office(session: Session, person_id: uuid.UUID, office_id: uuid.UUID) -> None:
    """Make the person findable by the users of `office_id`, where a case of theirs was opened or transferred.

    Copies the person's keys to that office, once: nothing happens when they are already there.
    """
    there = PersonSearchKey.__table__.alias("there")
    already = exists(select(there.c.key).where(there.c.person_id == person_id, there.c.office_id == office_id))
    keys = (select(PersonSearchKey.key, literal(office_id, PersonSearchKey.office_id.type), PersonSearchKey.person_id)
            .where(PersonSearchKey.person_id == person_id, ~already).distinct())
    session.execute(insert(PersonSearchKey).from_select(["key", "office_id", "person_id"], keys))


def uncover_office(session: Session, person_id: uuid.UUID, office_id: uuid.UUID) -> None:
    """After a case left `office_id`: its users stop finding the person, unless the person is registered there
    or has another case there. Call it once the case's new office is flushed."""
    still = or_(exists(select(Person.id).where(Person.id == person_id, Person.office_id == office_id)),
                exists(person_case_offices(person_id, office_id=office_id)))
    session.execute(delete(PersonSearchKey).where(PersonSearchKey.person_id == person_id,
                                                  PersonSearchKey.office_id == office_id, ~still))


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
    insert_name_tokens(session, person, offices=[office_id])
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


# Editing a person

# The fields an edit may change, in the order the person's page lists them.
EDITABLE = ("given_name", "family_name", "aliases", "sex", "date_of_birth", "date_of_birth_estimated", "nationality",
            "languages", "phone", "documents")
# Fields the duplicate check and the name search read: a change to one of them rebuilds the person's keys.
MATCHED = frozenset({"given_name", "family_name", "aliases", "sex", "date_of_birth", "date_of_birth_estimated",
                     "nationality", "phone", "documents"})
# Fields the name tokens and search keys are made from: nationality too, which decides how a name in Arabic
# script is read (kit/names.py: persian_reading).
NAMES = frozenset({"given_name", "family_name", "aliases", "nationality"})


def _document_value(d: IdentityDocument | DocumentIn) -> dict[str, str | None]:
    return {"document_type": d.document_type.value, "number": d.number, "issuing_country": d.issuing_country,
            "expiry_date": d.expiry_date.isoformat() if d.expiry_date else None}


def person_values(person: Person) -> dict[str, Any]:
    """The editable fields as plain JSON values; lists sorted, so that only a changed list compares unequal."""
    return {
        "given_name": person.given_name,
        "family_name": person.family_name,
        "aliases": sorted(({"name": n.name, "kind": n.kind.value} for n in person.names),
                          key=lambda a: (a["kind"], a["name"])),
        "sex": person.sex.value,
        "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else None,
        "date_of_birth_estimated": person.date_of_birth_estimated,
        "nationality": person.nationality,
        "languages": list(person.languages),
        "phone": person.phone,
        "documents": sorted((_document_value(d) for d in person.documents),
                            key=lambda d: tuple(v or "" for v in d.values())),
    }


def _replace_names(person: Person, wanted: list[AliasIn]) -> None:
    # Names kept by the edit keep their rows (and ids): a merge lists the ids it moved, so an unmerge can still
    # move exactly those back.
    remaining = list(dict.fromkeys((a.name, a.kind) for a in wanted))
    for row in list(person.names):
        if (row.name, row.kind) in remaining:
            remaining.remove((row.name, row.kind))
        else:
            person.names.remove(row)
    person.names.extend(PersonName(name=name, kind=kind) for name, kind in remaining)


def _replace_documents(person: Person, wanted: list[DocumentIn]) -> None:
    remaining = [_document_value(d) for d in wanted]
    for row in list(person.documents):
        value = _document_value(row)
        if value in remaining:
            remaining.remove(value)
        else:
            person.documents.remove(row)
    for d in wanted:
        if _document_value(d) in remaining:
            remaining.remove(_document_value(d))
            person.documents.append(IdentityDocument(
                document_type=d.document_type, number=d.number, number_normalised=normalise_document_number(d.number),
                issuing_country=d.issuing_country, expiry_date=d.expiry_date))


def _fields_changed_since(session: Session, person: Person, version: int) -> list[str]:
    rows = session.scalars(select(PersonChange.field).where(PersonChange.person_id == person.id,
                                                            PersonChange.version > version))
    return sorted(set(rows))


def update_person(session: Session, *, principal: Principal, person_id: uuid.UUID,
                  data: PersonUpdate) -> tuple[Person, list[str]]:
    """Correct a person's details against the version the editor saw; answers the person and the fields changed.

    A stale version is refused (409) with the fields changed since. Each changed field is kept with its values
    before and after (`PersonChange`) and audited by name in the same transaction. The caller rebuilds what is
    derived from the changed fields beyond the name search (`intake.service.edit_person`: matching keys).
    """
    require(principal, Action.PERSON_UPDATE)
    person = session.scalar(
        select(Person).where(Person.id == person_id, people_scope(principal))
        .options(selectinload(Person.names), selectinload(Person.documents))
        .with_for_update(of=Person).execution_options(populate_existing=True)
    )
    if person is None:
        raise NotFound("no such person", field="person_id")
    require_person_editor(principal, person.office_id)
    if person.merged_into_id is not None:
        raise Conflict("this record was merged into another person; edit that person instead", field="person_id",
                       extra={"merged_into_id": str(person.merged_into_id)})
    if person.version != data.version:
        raise Conflict(
            f"this person's details were changed since version {data.version} (now {person.version}); review "
            "the changes and apply yours again", field="version",
            extra={"current_version": person.version,
                   "changed_fields": _fields_changed_since(session, person, data.version)},
        )
    before = person_values(person)
    for name, value in data.changes().items():
        if name == "aliases":
            _replace_names(person, value)  # type: ignore[arg-type]
        elif name == "documents":
            _replace_documents(person, value)  # type: ignore[arg-type]
        elif name == "languages":
            person.languages = list(dict.fromkeys(value))  # type: ignore[call-overload]
        else:
            setattr(person, name, value)
    after = person_values(person)
    changed = [name for name in EDITABLE if before[name] != after[name]]
    if changed:
        # One UPDATE of the person's row, which raises its version once: a change of names or documents alone
        # touches it too, since it is still a new version of the person.
        person.search_key = person_search_key(person)
        person.updated_at = utcnow()
        session.flush()
        if NAMES & set(changed):
            refresh_name_index(session, person)
        session.add_all(PersonChange(person_id=person.id, version=person.version, field=name, before=before[name],
                                     after=after[name], changed_by=principal.user_id) for name in changed)
    record_event(
        session, actor=principal, action="person.update", entity_type="person", entity_id=person.id,
        office_id=person.office_id, details={"fields": changed, "version": person.version},
    )
    return person, changed


@dataclass(frozen=True)
class Change:
    """A field of a person changed by an edit; the values only where the user may read the field's class."""

    at: datetime
    by: uuid.UUID | None
    version: int
    field: str
    shown: bool
    before: Any = None
    after: Any = None


def person_changes(session: Session, *, principal: Principal, person: Person) -> list[Change]:
    """The changes made to a person's details, newest first; the person was read under the policy already."""
    readable = readable_sensitivities(principal, holder=holds_person(principal, person.office_id))
    rows = session.scalars(select(PersonChange).where(PersonChange.person_id == person.id)
                           .order_by(PersonChange.id.desc()).limit(200))
    out = []
    for row in rows:
        shown = PERSON_FIELD_SENSITIVITY.get(row.field) in readable
        out.append(Change(at=row.changed_at, by=row.changed_by, version=row.version, field=row.field, shown=shown,
                          before=row.before if shown else None, after=row.after if shown else None))
    return out


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
        query = select(Person.id, Person.given_name, Person.family_name, Person.nationality, Person.office_id,
                       Person.merged_into_id).order_by(Person.id)
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
            if r.merged_into_id is not None:
                continue
            keys = person_name_keys(r.given_name, r.family_name, aliases.get(r.id, []), r.nationality)
            if set(keys) != stored.get(r.id, set()):
                session.execute(delete(PersonSearchKey).where(PersonSearchKey.person_id == r.id))
                _insert_search_keys(session, r.id, keys, _offices_seeing(session, r.id, r.office_id))
                changed += 1
        done += len(rows)
        last = ids[-1]
        if progress:
            progress(done, total)
    record_event(session, actor=None, action="person.search_reindex", entity_type="person_search_key",
                 system_actor="cli", details={"people": done, "changed": changed})
    return done, changed
