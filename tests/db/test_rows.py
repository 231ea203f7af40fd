"""Writing the rows a record owns in one statement (`insert_owned`)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from crossroads.db.rows import insert_owned
from crossroads.people.models import Person, PersonNameToken
from tests.factories import people as pf


class TestInsertOwned:
    def test_one_row_per_value_for_the_owner_only(self, db: Session, world):
        person = pf.person(db, world.principal(db, "caseworker_a"))
        other = pf.person(db, world.principal(db, "caseworker_a"), given_name="Amina")
        before = set(db.scalars(select(PersonNameToken.token).where(PersonNameToken.person_id == other.id)))
        insert_owned(db, PersonNameToken.__table__, owner="person_id", owner_id=person.id, column="token",
                     values=["zz-first", "zz-second", "zz-third"])
        tokens = set(db.scalars(select(PersonNameToken.token).where(PersonNameToken.person_id == person.id)))
        assert {"zz-first", "zz-second", "zz-third"} <= tokens
        assert set(db.scalars(select(PersonNameToken.token).where(PersonNameToken.person_id == other.id))) == before

    def test_no_values_write_nothing(self, db: Session):
        owner = uuid.uuid4()
        # No row for an owner that does not exist: with no values no statement is sent at all.
        insert_owned(db, PersonNameToken.__table__, owner="person_id", owner_id=owner, column="token", values=[])
        assert db.get(Person, owner) is None
        assert db.scalars(select(PersonNameToken).where(PersonNameToken.person_id == owner)).all() == []
