"""Requests append to the trail without waiting for each other: no lock is held between an event's INSERT and
its transaction's commit. Real transactions on a database of the module's own, committed for real.

SQLite lets one transaction write at a time whatever the trail does, so there the tests check what still
holds: reading goes on beside an open write.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.exc import DBAPIError

from crossroads.audit.models import AuditEvent
from crossroads.audit.seal import seal_pending
from crossroads.audit.service import record_event
from crossroads.db.session import make_engine, new_session, transaction, unit_of_work
from crossroads.people.service import get_person
from tests.factories import audit as au
from tests.factories import auth as af
from tests.factories import people as pf


@pytest.fixture(scope="module")
def impatient(scratch_engine: Engine) -> Iterator[Engine]:
    """The module's database, where waiting for a lock fails after a moment instead of hanging the test."""
    url = scratch_engine.url.render_as_string(hide_password=False)
    if scratch_engine.dialect.name == "postgresql":
        engine = make_engine(url, connect_args={"options": "-c lock_timeout=3000"})
    else:
        engine = make_engine(url)

        @event.listens_for(engine, "connect")
        def _no_waiting(dbapi_connection, _record):
            dbapi_connection.execute("PRAGMA busy_timeout=0")

    yield engine
    engine.dispose()


def count(engine: Engine, action: str) -> int:
    with unit_of_work(engine, read_only=True) as session:
        return session.scalar(select(func.count()).where(AuditEvent.action == action)) or 0


@contextmanager
def open_write(engine: Engine, action: str) -> Iterator[None]:
    """A transaction in another thread, stopped while committing: its event INSERTed, its commit not done."""
    inserted, release = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def write() -> None:
        try:
            with new_session(engine) as session, transaction(session):
                event.listen(session, "after_flush", lambda *_: (inserted.set(), release.wait(30)), once=True)
                record_event(session, actor=None, action=action, entity_type="test")
        except BaseException as exc:  # reported by the test's thread below
            failures.append(exc)
            inserted.set()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        assert inserted.wait(30), "the first transaction never flushed its event"
        assert not failures, failures
        yield
    finally:
        release.set()
        thread.join()
    assert not failures, failures


class TestConcurrentAppends:
    def test_an_open_transaction_with_its_event_inserted_does_not_hold_up_another_commit(self, impatient):
        first, second = f"test.first_{uuid.uuid4().hex[:6]}", f"test.second_{uuid.uuid4().hex[:6]}"
        with open_write(impatient, first):
            if impatient.dialect.name == "postgresql":
                with new_session(impatient) as session, transaction(session):
                    record_event(session, actor=None, action=second, entity_type="test")
                assert count(impatient, second) == 1
            else:
                # One writer at a time on SQLite: a read-only unit of work still reads beside it.
                with pytest.raises(DBAPIError, match="database is locked"), unit_of_work(impatient) as session:
                    record_event(session, actor=None, action=second, entity_type="test")
            # The first transaction's event is not committed yet, and holds nobody up.
            assert count(impatient, first) == 0
        assert count(impatient, first) == 1

    def test_the_event_that_commits_last_is_sealed_last_whatever_its_id(self, impatient):
        first, second = f"test.first_{uuid.uuid4().hex[:6]}", f"test.second_{uuid.uuid4().hex[:6]}"
        with open_write(impatient, first):
            if impatient.dialect.name == "postgresql":
                with new_session(impatient) as session, transaction(session):
                    record_event(session, actor=None, action=second, entity_type="test")
                # The open transaction's event has the lower id and is invisible: sealed without it.
                seal_pending(impatient, key=au.KEY, trusted=au.TRUSTED)
        if impatient.dialect.name != "postgresql":
            with new_session(impatient) as session, transaction(session):
                record_event(session, actor=None, action=second, entity_type="test")
        seal_pending(impatient, key=au.KEY, trusted=au.TRUSTED)
        with unit_of_work(impatient, read_only=True) as session:
            rows = {action: (event_id, seq) for action, event_id, seq in session.execute(
                select(AuditEvent.action, AuditEvent.id, AuditEvent.seq).where(AuditEvent.action.in_([first, second])))}
            assert rows[first][0] < rows[second][0]
            if impatient.dialect.name == "postgresql":
                assert rows[first][1] > rows[second][1]
            assert au.verify(session).problem is None


@pytest.fixture(scope="module")
def person(scratch_engine):
    """A caseworker's principal and a person of their office, committed."""
    with unit_of_work(scratch_engine) as session:
        world = af.world(session)
        principal = world.principal(session, "caseworker_a")
        return principal, pf.person(session, principal).id


class TestReadsBesideWrites:
    def test_a_read_recording_its_access_waits_for_no_open_write_on_postgresql(self, impatient, person):
        principal, person_id = person
        with open_write(impatient, f"test.open_{uuid.uuid4().hex[:6]}"):
            if impatient.dialect.name == "postgresql":
                with new_session(impatient) as session, transaction(session):
                    get_person(session, principal=principal, person_id=person_id)
                assert count(impatient, "person.read") >= 1
            else:
                # SQLite: the read's audit row is a write, and waits for the open one like any other.
                with pytest.raises(DBAPIError, match="database is locked"), unit_of_work(impatient) as session:
                    get_person(session, principal=principal, person_id=person_id)
                with unit_of_work(impatient, read_only=True) as session:
                    assert session.scalar(select(func.count()).select_from(AuditEvent)) > 0
