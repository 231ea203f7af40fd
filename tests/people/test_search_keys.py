"""People's search keys: written with the person, and rebuilt for people registered before they existed."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from crossroads.people.models import PersonSearchKey
from crossroads.people.schemas import PersonUpdate
from crossroads.people.service import person_name_keys, reindex_search_keys, update_person
from tests.factories import people as pf


class TestReindexSearchKeys:
    def test_fills_missing_keys_and_writes_nothing_the_second_time(self, db, world):
        person = pf.person(db, world.principal(db, "caseworker_a"), given_name="Youssef", family_name="Al-Haddad",
                           nationality="SYR", aliases=["يوسف الحداد"])
        expected = person_name_keys("Youssef", "Al-Haddad", ["يوسف الحداد"], "SYR")
        assert sorted(db.scalars(select(PersonSearchKey.key).where(PersonSearchKey.person_id == person.id))) \
            == expected
        db.execute(delete(PersonSearchKey).where(PersonSearchKey.person_id == person.id))

        people, changed = reindex_search_keys(db, chunk=10)
        assert changed == 1 and people >= 1
        assert sorted(db.scalars(select(PersonSearchKey.key).where(PersonSearchKey.person_id == person.id))) \
            == expected
        assert reindex_search_keys(db, chunk=10)[1] == 0

    def test_every_key_is_hashed_so_the_table_holds_no_readable_name(self, db, world):
        person = pf.person(db, world.principal(db, "caseworker_a"), given_name="Youssef", family_name="Haddad")
        keys = db.scalars(select(PersonSearchKey.key).where(PersonSearchKey.person_id == person.id)).all()
        assert keys and all(len(k) == 17 and k[1] == ":" for k in keys)
        assert db.scalar(select(func.count()).where(PersonSearchKey.key.contains("hd"))) == 0

    def test_an_edit_of_the_names_or_nationality_rebuilds_the_keys(self, db, world):
        person = pf.person(db, world.principal(db, "caseworker_a"), given_name="Youssef", family_name="Haddad",
                           nationality="SYR")
        update_person(db, principal=world.principal(db, "supervisor_a"), person_id=person.id,
                      data=PersonUpdate(version=person.version, family_name="Rezaei", nationality="IRN"))
        assert sorted(db.scalars(select(PersonSearchKey.key).where(PersonSearchKey.person_id == person.id))) \
            == person_name_keys("Youssef", "Rezaei", [], "IRN")
