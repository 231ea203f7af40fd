"""The one transaction boundary (`transaction`, `unit_of_work`), refusals (`attempt`) and read-only work."""

from __future__ import annotations

import sqlite3
import time
import uuid

import pytest
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import event, func, inspect, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from crossroads.audit.models import AuditEvent
from crossroads.audit.service import record_event
from crossroads.auth.models import LoginAttempt, Organisation
from crossroads.auth.roles import OrganisationKind
from crossroads.db.session import attempt, keep_on_rollback, make_engine, transaction, unit_of_work
from crossroads.dedup.models import MatchModelVersion
from crossroads.kit.errors import Conflict, Invalid, Unauthenticated
from crossroads.kit.inputs import ControlCharacters
from crossroads.schema import upgrade_database
from tests.factories import audit as au


def attempts(db: Session, email: str) -> int:
    return db.scalar(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.email == email)) or 0


def events(db: Session, action: str) -> int:
    return db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)) or 0


def tag() -> str:
    return uuid.uuid4().hex[:10]


def write(db: Session, email: str, action: str, *, survives: bool = False) -> None:
    """A row and its audit event, both marked to survive a rollback or neither."""
    row = LoginAttempt(email=email, ip="192.0.2.1")
    if survives:
        keep_on_rollback(db, row)
    else:
        db.add(row)
    record_event(db, actor=None, action=action, entity_type="test", survives_rollback=survives)


class Form(BaseModel):
    count: int


class TestTransaction:
    def test_commits_the_rows_and_their_audit_events_when_the_block_ends(self, db):
        email, action = f"{tag()}@example.org", f"test.{tag()}"
        with transaction(db):
            write(db, email, action)
        db.rollback()  # undoes nothing that was committed
        assert attempts(db, email) == 1 and events(db, action) == 1

    def test_rolls_everything_back_when_the_block_raises(self, db):
        email, action = f"{tag()}@example.org", f"test.{tag()}"
        with pytest.raises(RuntimeError), transaction(db):
            write(db, email, action)
            db.flush()
            raise RuntimeError("failure")
        assert attempts(db, email) == 0 and events(db, action) == 0

    def test_refusal_keeps_the_rows_marked_to_survive_and_drops_the_rest(self, db):
        kept, dropped = f"{tag()}@example.org", f"{tag()}@example.org"
        kept_action, dropped_action = f"test.{tag()}", f"test.{tag()}"
        with pytest.raises(Unauthenticated), transaction(db):
            write(db, dropped, dropped_action)
            write(db, kept, kept_action, survives=True)
            db.flush()
            raise Unauthenticated("wrong e-mail or password")
        db.rollback()  # the survivors were committed, not merely left in the session
        assert attempts(db, kept) == 1 and events(db, kept_action) == 1
        assert attempts(db, dropped) == 0 and events(db, dropped_action) == 0
        au.seal(db)
        assert au.verify(db).problem is None

    def test_refusal_before_any_statement_drops_the_events_queued(self, db):
        kept_action, dropped_action = f"test.{tag()}", f"test.{tag()}"
        with pytest.raises(Invalid), transaction(db):
            record_event(db, actor=None, action=dropped_action, entity_type="test")
            record_event(db, actor=None, action=kept_action, entity_type="test", survives_rollback=True)
            raise Invalid("no")
        assert events(db, kept_action) == 1 and events(db, dropped_action) == 0

    def test_failed_commit_keeps_the_survivors_and_reports_the_failure(self, db):
        kept, kept_action = f"{tag()}@example.org", f"test.{tag()}"
        with transaction(db):
            taken = LoginAttempt(email=f"{tag()}@example.org", ip="192.0.2.1")
            db.add(taken)
        db.expunge(taken)
        with pytest.raises(IntegrityError), transaction(db):
            write(db, kept, kept_action, survives=True)
            # Fails only at commit, after the audit events were chained.
            db.add(LoginAttempt(id=taken.id, email="clash@example.org", ip="192.0.2.1"))
        assert attempts(db, kept) == 1 and events(db, kept_action) == 1
        au.seal(db)
        assert au.verify(db).problem is None

    def test_refuses_to_commit_over_an_open_savepoint(self, db):
        action = f"test.{tag()}"
        with pytest.raises(RuntimeError, match="savepoint"), transaction(db):
            db.begin_nested()
            record_event(db, actor=None, action=action, entity_type="test")
        assert events(db, action) == 0


class TestAttempt:
    def test_refusal_undoes_the_actions_writes_and_is_returned(self, db):
        before, inside = f"{tag()}@example.org", f"{tag()}@example.org"
        before_action, inside_action = f"test.{tag()}", f"test.{tag()}"
        with transaction(db):
            write(db, before, before_action)
            with attempt(db) as tried:
                write(db, inside, inside_action)
                db.flush()
                raise Invalid("no", field="count")
            assert isinstance(tried.refusal, Invalid)
            # At once, before the page is rendered again in the same transaction.
            assert attempts(db, inside) == 0
        assert attempts(db, before) == 1 and events(db, before_action) == 1
        assert attempts(db, inside) == 0 and events(db, inside_action) == 0

    def test_invalid_form_data_is_a_refusal_too(self, db):
        email, action = f"{tag()}@example.org", f"test.{tag()}"
        with transaction(db), attempt(db) as tried:
            write(db, email, action)
            Form(count="many")
        assert isinstance(tried.refusal, PydanticValidationError)
        assert attempts(db, email) == 0 and events(db, action) == 0

    def test_action_that_goes_through_is_committed_with_the_request(self, db):
        email, action = f"{tag()}@example.org", f"test.{tag()}"
        with transaction(db):
            with attempt(db) as tried:
                write(db, email, action)
            assert tried.refusal is None
        assert attempts(db, email) == 1 and events(db, action) == 1

    def test_survivors_outlive_the_undo(self, db):
        kept, dropped = f"{tag()}@example.org", f"{tag()}@example.org"
        kept_action, dropped_action = f"test.{tag()}", f"test.{tag()}"
        with transaction(db), attempt(db):
            write(db, kept, kept_action, survives=True)
            write(db, dropped, dropped_action)
            db.flush()
            raise Unauthenticated("wrong e-mail or password")
        assert attempts(db, kept) == 1 and events(db, kept_action) == 1
        assert attempts(db, dropped) == 0 and events(db, dropped_action) == 0

    def test_refusal_after_a_failed_statement_leaves_the_transaction_usable(self, db):
        kept, after = f"{tag()}@example.org", f"{tag()}@example.org"
        kept_action = f"test.{tag()}"
        with transaction(db):
            taken = LoginAttempt(email=f"{tag()}@example.org", ip="192.0.2.1")
            db.add(taken)
        db.expunge(taken)
        with transaction(db):
            with attempt(db) as tried:
                write(db, kept, kept_action, survives=True)
                db.add(LoginAttempt(id=taken.id, email="clash@example.org", ip="192.0.2.1"))
                try:
                    db.flush()
                except IntegrityError:
                    raise Conflict("taken") from None
            assert isinstance(tried.refusal, Conflict)
            write(db, after, f"test.{tag()}")
        assert attempts(db, kept) == 1 and events(db, kept_action) == 1 and attempts(db, after) == 1

    def test_other_errors_propagate_and_the_boundary_rolls_back(self, db):
        email, action = f"{tag()}@example.org", f"test.{tag()}"
        with pytest.raises(KeyError), transaction(db), attempt(db):
            write(db, email, action)
            raise KeyError("bug")
        assert attempts(db, email) == 0 and events(db, action) == 0


class TestReadOnlyUnitOfWork:
    def test_reads(self, engine):
        with unit_of_work(engine, read_only=True) as session:
            assert session.scalar(select(func.count()).select_from(AuditEvent)) is not None

    def test_refuses_to_write(self, engine):
        email = f"{tag()}@example.org"
        with pytest.raises(DBAPIError), unit_of_work(engine, read_only=True) as session:
            session.add(LoginAttempt(email=email, ip="192.0.2.1"))
        with unit_of_work(engine, read_only=True) as session:
            assert attempts(session, email) == 0

    def test_reads_while_another_connection_holds_the_sqlite_write_lock(self, tmp_path):
        path = tmp_path / "locked.db"
        engine = make_engine(f"sqlite:///{path}")

        @event.listens_for(engine, "connect")
        def _impatient(dbapi_connection, _record):
            # Registered after make_engine's own: a writer gives up at once instead of after 10 s.
            dbapi_connection.execute("PRAGMA busy_timeout=0")

        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        writer = sqlite3.connect(path, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        try:
            with unit_of_work(engine, read_only=True) as session:
                assert session.connection().exec_driver_sql("SELECT x FROM t").scalar() == 1
            with pytest.raises(DBAPIError, match="database is locked"), unit_of_work(engine) as session:
                session.connection()
        finally:
            writer.rollback()
            writer.close()
            engine.dispose()


class TestMakeEngine:
    def test_sqlite_runs_in_wal_mode(self, engine):
        if engine.dialect.name != "sqlite":
            assert "audit_events" in inspect(engine).get_table_names()
            return
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"

    def test_database_errors_never_show_the_bound_values(self, engine):
        # hide_parameters=True. PostgreSQL's own message may still quote the refused row (its DETAIL), which is
        # why web/errors.py never logs a message.
        with engine.connect() as conn, pytest.raises(IntegrityError) as failed:
            conn.execute(text("INSERT INTO login_attempts (email, ip, attempted_at) VALUES (:email, NULL, :at)"),
                         {"email": "hidden.sentinel@example.org", "at": "2026-01-01 00:00:00"})
        assert "parameters hidden due to hide_parameters=True" in str(failed.value)
        assert "'hidden.sentinel@example.org'" not in str(failed.value)

    def test_a_pooled_connection_the_server_ended_is_replaced_at_checkout(self, database_url, monkeypatch):
        engine = make_engine(database_url)
        if engine.dialect.name != "postgresql":
            # SQLite runs in the process: no server can end its connections, so no check is made at checkout.
            assert len(engine.pool.dispatch.checkout) == 0
            engine.dispose()
            return
        pings: list[object] = []
        ping = engine.dialect.do_ping
        monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: pings.append(conn) or ping(conn))
        admin = make_engine(database_url)
        try:
            with engine.connect() as conn:
                first = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            with engine.connect() as conn:
                assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one() == first
            assert pings == []  # a live connection is handed out without a round trip
            with admin.connect() as conn:
                assert conn.exec_driver_sql(f"SELECT pg_terminate_backend({int(first)})").scalar_one()
                for _ in range(200):
                    if not conn.exec_driver_sql(
                            f"SELECT count(*) FROM pg_stat_activity WHERE pid = {int(first)}").scalar_one():
                        break
                    time.sleep(0.01)
            with engine.connect() as conn:
                assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one() != first
            assert len(pings) == 1  # the ended one was pinged, failed, and replaced
        finally:
            engine.dispose()
            admin.dispose()

    def test_sqlite_enforces_foreign_keys(self, tmp_path):
        engine = make_engine(f"sqlite:///{tmp_path / 'fk.db'}")
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
                conn.exec_driver_sql("CREATE TABLE child (parent_id INTEGER REFERENCES parent (id))")
            with pytest.raises(IntegrityError), engine.begin() as conn:
                conn.exec_driver_sql("INSERT INTO child VALUES (1)")
        finally:
            engine.dispose()


@pytest.fixture
def scratch(tmp_path):
    """A migrated database of its own, since unit_of_work commits for real."""
    engine = make_engine(f"sqlite:///{tmp_path / 'scratch.db'}")
    upgrade_database(engine)
    yield engine
    engine.dispose()


def organisation(name: str) -> Organisation:
    return Organisation(name=name, kind=OrganisationKind.AGENCY)


def names(engine) -> list[str]:
    with unit_of_work(engine) as session:
        return list(session.scalars(select(Organisation.name)))


class TestUnitOfWork:
    def test_commits_when_the_block_ends(self, scratch):
        with unit_of_work(scratch) as session:
            session.add(organisation("Kept"))
        assert names(scratch) == ["Kept"]

    def test_rolls_back_everything_if_the_block_raises(self, scratch):
        with pytest.raises(RuntimeError), unit_of_work(scratch) as session:
            session.add(organisation("Dropped"))
            session.flush()
            raise RuntimeError("refused")
        assert names(scratch) == []


class TestNulNeverReachesTheDatabase:
    """The engine's last check, for what no schema checked first (PostgreSQL would fail on these, SQLite store
    them): refused as invalid input naming the column, the same on both backends."""

    def test_a_nul_in_a_text_column_is_refused_naming_it(self, db):
        before = db.scalar(select(func.count()).select_from(Organisation))
        with pytest.raises(ControlCharacters) as caught, db.begin_nested():
            db.add(Organisation(name=f"Org\x00{tag()}", kind=OrganisationKind.PARTNER))
            db.flush()
        assert caught.value.field == "name" and caught.value.status_code == 422
        assert db.scalar(select(func.count()).select_from(Organisation)) == before

    def test_attempt_treats_it_as_a_refusal(self, db):
        with attempt(db) as tried:
            db.add(Organisation(name=f"Org\x00{tag()}", kind=OrganisationKind.PARTNER))
            db.flush()
        assert isinstance(tried.refusal, ControlCharacters)
        db.add(Organisation(name=f"Org {tag()}", kind=OrganisationKind.PARTNER))
        db.flush()  # the session goes on

    def test_a_nul_in_a_query_parameter_is_refused(self, db):
        with pytest.raises(ControlCharacters) as caught:
            db.scalar(select(Organisation.id).where(Organisation.name == "Org\x00"))
        assert caught.value.field == "name"

    def test_a_nul_inside_a_json_value_is_refused(self, db):
        version = f"test-{tag()}"
        with attempt(db) as tried:
            db.add(MatchModelVersion(version=version, parameters={"levels": ["fine", {"bad\x00": 1}]}))
            db.flush()
        assert isinstance(tried.refusal, ControlCharacters)
        assert db.scalar(select(func.count()).where(MatchModelVersion.version == version)) == 0

    def test_a_nul_after_a_backslash_inside_a_json_value_is_refused(self, db):
        version = f"test-{tag()}"
        with attempt(db) as tried:
            db.add(MatchModelVersion(version=version, parameters={"note": "C:\\\x00"}))
            db.flush()
        assert isinstance(tried.refusal, ControlCharacters)

    def test_the_text_backslash_u0000_inside_a_json_value_is_kept(self, db):
        version = f"test-{tag()}"
        written = {"note": "\\u0000 is how JSON writes NUL", "deeper": ["\\\\u0000"]}
        db.add(MatchModelVersion(version=version, parameters=written))
        db.flush()
        db.expire_all()
        assert db.scalar(select(MatchModelVersion.parameters).where(MatchModelVersion.version == version)) == written

    def test_text_without_nul_passes(self, db):
        name = f"Org\t{tag()}\u202e"
        db.add(Organisation(name=name, kind=OrganisationKind.PARTNER))
        db.flush()
        assert db.scalar(select(Organisation.name).where(Organisation.name == name)) == name
