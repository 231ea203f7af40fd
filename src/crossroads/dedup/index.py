"""The blocking index: each person's matching keys, written in the same transaction as the person."""

from __future__ import annotations

import uuid

from sqlalchemy import delete
from sqlalchemy.orm import Session

from crossroads.db.rows import insert_owned
from crossroads.dedup.engine.keys import PersonRecord, blocking_keys
from crossroads.dedup.models import PersonMatchKey
from crossroads.people.models import Person
from crossroads.people.schemas import PersonCreate


def _dob(value: object) -> str | None:
    return value.isoformat() if value is not None else None  # type: ignore[attr-defined]


def person_record(person: Person) -> PersonRecord:
    """What the engine compares of a registered person; names and documents must be loaded."""
    return PersonRecord(
        id=str(person.id),
        given_name=person.given_name,
        family_name=person.family_name,
        aliases=tuple(n.name for n in person.names),
        date_of_birth=_dob(person.date_of_birth),
        dob_estimated=person.date_of_birth_estimated,
        sex=person.sex.value if person.sex else None,
        nationality=person.nationality,
        documents=tuple(d.number for d in person.documents),
        document_types=tuple(d.document_type.value for d in person.documents),
        phones=(person.phone,) if person.phone else (),
    )


def record_from_data(data: PersonCreate) -> PersonRecord:
    """What the engine compares of a person about to be registered (not saved, so no id)."""
    return PersonRecord(
        id="",
        given_name=data.given_name,
        family_name=data.family_name,
        aliases=tuple(a.name for a in data.aliases),
        date_of_birth=_dob(data.date_of_birth),
        dob_estimated=data.date_of_birth_estimated,
        sex=data.sex.value,
        nationality=data.nationality,
        documents=tuple(d.number for d in data.documents),
        document_types=tuple(d.document_type.value for d in data.documents),
        phones=(data.phone,) if data.phone else (),
    )


def key_rows(person_id: uuid.UUID, record: PersonRecord) -> list[PersonMatchKey]:
    return [PersonMatchKey(person_id=person_id, key=k) for k in sorted(blocking_keys(record))]


def index_person(session: Session, person: Person, *, fresh: bool = False) -> int:
    """Replace the person's keys; a merged record has none, so no check or batch run finds it.

    The person's row must already be flushed (the keys are inserted at once).
    """
    if not fresh:
        session.execute(delete(PersonMatchKey).where(PersonMatchKey.person_id == person.id))
    if person.merged_into_id is not None:
        return 0
    keys = sorted(blocking_keys(person_record(person)))
    insert_owned(session, PersonMatchKey.__table__, owner="person_id", owner_id=person.id, column="key", values=keys)
    return len(keys)
