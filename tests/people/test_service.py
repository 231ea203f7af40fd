"""Correcting a person: two editors of one version, in real concurrent transactions committed for real."""

from __future__ import annotations

import threading

from sqlalchemy import event, select

from crossroads.db.session import new_session, transaction, unit_of_work
from crossroads.kit.errors import Conflict
from crossroads.people.models import Person, PersonChange
from crossroads.people.schemas import PersonUpdate
from crossroads.people.service import update_person
from tests.factories import auth as af
from tests.factories import people as pf


class TestUpdatePersonConcurrently:
    def test_of_two_editors_of_one_version_the_second_gets_409_after_the_first_commits(self, scratch_engine):
        with unit_of_work(scratch_engine) as session:
            world = af.world(session)
            caseworker, supervisor = world.principal(session, "caseworker_a"), world.principal(session, "supervisor_a")
            person = pf.person(session, caseworker)
            person_id, version = person.id, person.version
        flushed, release = threading.Event(), threading.Event()
        outcome: dict[str, object] = {}

        def edit(name: str, principal, family_name: str, hold: bool) -> None:
            try:
                with new_session(scratch_engine) as session, transaction(session):
                    if hold:
                        # Stopped inside its transaction, its change written and the row locked, not committed.
                        event.listen(session, "after_flush", lambda *_: (flushed.set(), release.wait(30)), once=True)
                    update_person(session, principal=principal, person_id=person_id,
                                  data=PersonUpdate(version=version, family_name=family_name))
                outcome[name] = "saved"
            except Conflict as exc:
                outcome[name] = exc

        first = threading.Thread(target=edit, args=("first", caseworker, "Quispe", True))
        first.start()
        assert flushed.wait(30)
        second = threading.Thread(target=edit, args=("second", supervisor, "Mamani", False))
        second.start()
        second.join(0.5)
        # The second editor waits for the first: on PostgreSQL for the row lock, on SQLite for the write lock.
        assert second.is_alive()
        release.set()
        first.join(30)
        second.join(30)

        assert outcome["first"] == "saved"
        assert isinstance(outcome["second"], Conflict) and outcome["second"].field == "version"
        assert outcome["second"].extra == {"current_version": version + 1, "changed_fields": ["family_name"]}
        with unit_of_work(scratch_engine, read_only=True) as session:
            assert session.get(Person, person_id).family_name == "Quispe"
            assert session.scalars(select(PersonChange.after).where(PersonChange.person_id == person_id)).all() == [
                "Quispe"]
