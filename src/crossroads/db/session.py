"""Engines, sessions and the one transaction boundary of every request, job and CLI command.

`transaction(session)` commits when its block ends and rolls back when it raises, a refusal included.
`attempt(session)` undoes a refused action at once so that a page can show the refusal beside its form.
Rows marked with `keep_on_rollback` (and audit events recorded with `survives_rollback=True`) outlive
every rollback and are committed all the same: a failed login must still count toward the limit.
"""

from __future__ import annotations

import json
import logging
import re
import select
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from itertools import zip_longest
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, Dialect, Engine, create_engine, event, inspect
from sqlalchemy.engine import ExecutionContext
from sqlalchemy.exc import DisconnectionError, StatementError
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from crossroads.kit.errors import DomainError
from crossroads.kit.inputs import CONTROL_MESSAGE, ControlCharacters

log = logging.getLogger("crossroads.db")

# A connection execution option: the transaction only reads (see _configure_sqlite and new_session).
_READ_ONLY = "crossroads_read_only"
_SURVIVORS = "crossroads.db.survivors"

Refusal = DomainError | ValidationError


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT and defers the write lock; we take over
    # (the recipe in SQLAlchemy's SQLite dialect docs) and begin every transaction IMMEDIATE. Nearly
    # every request writes at least its audit row, so taking the write lock up front avoids
    # SQLITE_BUSY_SNAPSHOT failures when a read transaction later tries to write.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A read-only unit of work (`audit verify`, listings) begins DEFERRED: in WAL mode it reads beside a
        # writer instead of queueing behind it for the write lock. query_only makes SQLite refuse its writes,
        # since a deferred transaction that writes late is exactly what BEGIN IMMEDIATE exists to avoid. The
        # pragma outlives the checkout, so it is switched only when the pooled connection's setting differs.
        read_only = bool(conn.get_execution_options().get(_READ_ONLY))
        if conn.info.get("query_only", False) != read_only:
            conn.exec_driver_sql(f"PRAGMA query_only={int(read_only)}")
            conn.info["query_only"] = read_only
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


# The last line of defence for NUL, which PostgreSQL refuses in text and JSON and SQLite stores: the schemas,
# the form and parameter checks refuse it first and name the field they got it in. Anything that gets past them
# (a command, a service fed by a file) is refused here with the column's name instead of failing in the
# database, and the same on both backends.
_BIND_SUFFIX = re.compile(r"(__\d+|_\d+)$")


def _bound(parameters: Any, names: Sequence[str]) -> Iterator[tuple[str, Any]]:
    """(bind name, value) of a DBAPI parameter set: a dict, a row, or a list of either (executemany);
    a batch of insertmanyvalues arrives as one flat row of several rows' values."""
    if isinstance(parameters, dict):
        yield from parameters.items()
    elif isinstance(parameters, list | tuple):
        if parameters and all(isinstance(row, dict | list | tuple) for row in parameters):
            for row in parameters:
                yield from _bound(row, names)
        else:
            yield from zip_longest(names[:len(parameters)], parameters, fillvalue="")


def _refuse_nul(_conn: Connection, _cursor: Any, _statement: str, parameters: Any, context: ExecutionContext | None,
                _executemany: bool) -> None:
    names = getattr(getattr(context, "compiled", None), "positiontup", None) or ()
    for name, value in _bound(parameters, names):
        if isinstance(value, str) and "\x00" in value:
            raise ControlCharacters(CONTROL_MESSAGE, field=_BIND_SUFFIX.sub("", str(name)) or None)


# NUL as JSON writes it: `\u0000` whose backslash begins an escape, i.e. preceded by an even run of backslashes
# (`\\u0000` is an escaped backslash and the text "u0000").
_JSON_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


def _json_without_nul(value: Any) -> str:
    # JSON writes NUL as the escape \u0000, which a str parameter check cannot see. Searching the text written
    # (json.dumps escapes every control character) costs a fraction of walking the value: a determination's trace
    # and inputs took 0.3 ms to walk.
    text = json.dumps(value)
    if "\\u0000" in text and _JSON_NUL.search(text):
        raise ControlCharacters(CONTROL_MESSAGE)
    return text


def refused_by_database_layer(exc: BaseException) -> DomainError | None:
    """The refusal behind an error raised while a statement was prepared (SQLAlchemy wraps some of them)."""
    if isinstance(exc, StatementError) and isinstance(exc.orig, DomainError):
        return exc.orig
    return None


def refresh_planner_statistics(engine: Engine) -> None:
    """Give SQLite's planner fresh statistics before serving; PostgreSQL keeps its own by autovacuum.

    Without them SQLite drives every list from the office index and sorts each case in scope. A full
    ANALYZE is needed: sampled statistics (analysis_limit) still chose that plan. It took 0.36 s at 100,000
    cases.
    """
    if engine.dialect.name != "sqlite":
        return
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def _refuse_dropped_connection(dialect: Dialect, dbapi_connection: Any) -> None:
    """Hand out a pooled PostgreSQL connection only if it is still connected, without a round trip when it is.

    The pool's pre-ping sends a statement at every checkout, one round trip of every request's five or six (0.3 to
    0.5 ms of a determination's 5). A server that ends a connection (a restart, pg_terminate_backend, an idle
    timeout) first sends its error and closes the socket, so an idle connection with input waiting, or none to
    wait on, is the one to check: only then is the dialect's ping sent, and a connection that fails it is replaced
    (raising DisconnectionError makes the pool connect afresh). A peer that vanished without closing is not seen,
    as the ping would only have hung on it."""
    if dbapi_connection.closed or dbapi_connection.broken:
        raise DisconnectionError("the pooled connection was closed")
    poll = getattr(select, "poll", None)
    if poll is not None:
        poller = poll()
        poller.register(dbapi_connection.fileno(), select.POLLIN)
        if not poller.poll(0):
            return
    try:
        dialect.do_ping(dbapi_connection)
    except Exception as exc:
        raise DisconnectionError("the pooled connection is gone") from exc


def make_engine(url: str, **kwargs: Any) -> Engine:
    kwargs.setdefault("json_serializer", _json_without_nul)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True, **kwargs)
        _configure_sqlite(engine)
    else:
        engine = create_engine(url, pool_size=10, max_overflow=10, hide_parameters=True, **kwargs)
        if not kwargs.get("pool_pre_ping"):
            @event.listens_for(engine, "checkout")
            def _on_checkout(dbapi_connection: Any, _record: ConnectionPoolEntry, _proxy: Any) -> None:
                _refuse_dropped_connection(engine.dialect, dbapi_connection)
    event.listen(engine, "before_cursor_execute", _refuse_nul)
    return engine


@lru_cache
def _engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine(url: str | None = None) -> Engine:
    if url is None:
        from crossroads.config import get_settings

        url = get_settings().database_url
    return _engine_for(url)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


@lru_cache(maxsize=32)
def _read_only(engine: Engine) -> Engine:
    # PostgreSQL begins the transaction READ ONLY and refuses its writes itself; SQLite reads the option in
    # its begin listener. Both share the engine's pool. Kept per engine: building the option engine again for every
    # read-only session cost more than the session.
    options = {_READ_ONLY: True}
    if engine.dialect.name == "postgresql":
        options["postgresql_readonly"] = True
    return engine.execution_options(**options)


@contextmanager
def new_session(engine: Engine, *, read_only: bool = False) -> Iterator[Session]:
    """A session on `engine`, closed when the block ends; `read_only` sessions cannot write."""
    # A Session, not a sessionmaker per call: each sessionmaker makes a Session subclass, and SQLAlchemy then
    # copies every session event listener onto it, which cost a request about 0.15 ms of CPU (0.01 ms this way).
    session = Session(bind=_read_only(engine) if read_only else engine, expire_on_commit=False, autoflush=True)
    try:
        yield session
    finally:
        session.close()


@contextmanager
def transaction(session: Session) -> Iterator[Session]:
    """The one transaction boundary: commit when the block ends; roll back if it raises, keeping survivors."""
    try:
        yield session
        if session.in_nested_transaction():
            # A savepoint whose block never ended was never decided on; committing would keep its writes, and
            # its audit events, as if it had succeeded.
            raise RuntimeError("a savepoint is still open at the end of the transaction")
        session.commit()
    except BaseException:
        if session.get_transaction() is None:
            # Nothing has reached the database yet, so rollback() would return without discarding the pending
            # rows (audit events among them), and the commit below would write them; begin (no SQL is sent)
            # so that the rollback discards all but the survivors.
            session.begin()
        session.rollback()
        # Rows marked to survive (a failed login's attempt and audit row) are back in the session after the
        # rollback, and are committed on their own. When nothing survived, this commit has nothing to flush
        # and sends no SQL.
        try:
            session.commit()
        except Exception as exc:
            # The original error is the one to report; a lost survivor costs one uncounted login attempt.
            session.rollback()
            log.error("rows kept through a rollback could not be written: %s", type(exc).__name__)
        raise


@contextmanager
def unit_of_work(engine: Engine, *, read_only: bool = False) -> Iterator[Session]:
    """A job's or command's one transaction: committed when the block ends, rolled back if it raises.

    `read_only` units of work (verifying the audit trail, listings) never take SQLite's write lock, so they
    run beside the server, and the database refuses any write they attempt.
    """
    with new_session(engine, read_only=read_only) as session, transaction(session):
        yield session


def keep_on_rollback(session: Session, obj: object) -> None:
    """Add `obj` so that it survives any rollback of this session until a commit writes it."""
    session.add(obj)
    session.info.setdefault(_SURVIVORS, []).append(obj)


# After a rollback, and after a transaction ends without one: a savepoint that a failed flush already rolled
# back is only closed when its block exits, and that fires no rollback event.
@event.listens_for(Session, "after_soft_rollback")
@event.listens_for(Session, "after_transaction_end")
def _restore_survivors(session: Session, _ended: SessionTransaction) -> None:
    survivors = session.info.get(_SURVIVORS)
    # Not while a failed flush leaves the transaction inactive: the session takes no new objects until the
    # caller's rollback, which fires this again.
    if not survivors or not session.is_active:
        return
    for obj in survivors:
        if obj in session:  # not undone: a savepoint that began after it was added, or already written
            continue
        # The rolled-back INSERT left the key the database generated on the object; another writer may take
        # it as soon as the lock is released, so the database assigns a new one.
        state = inspect(obj)
        generated = state.mapper.local_table.autoincrement_column
        if generated is not None:
            setattr(obj, state.mapper.get_property_by_column(generated).key, None)
        session.add(obj)


@event.listens_for(Session, "after_commit")
def _forget_survivors(session: Session) -> None:
    # after_commit fires on a savepoint's release too; survivors are written only by the outermost commit.
    if not session.in_nested_transaction():
        session.info.pop(_SURVIVORS, None)


@dataclass
class Attempt:
    """What `attempt()` saw: the refusal to show beside the form, or None when the action went through."""

    refusal: Refusal | None = None


@contextmanager
def attempt(session: Session) -> Iterator[Attempt]:
    """Run the block in a savepoint; a refusal undoes its writes at once and is kept, not raised.

    For pages that show a refused form again: the page is rendered after the undo, so it shows none of the
    refused action's writes, while its own reads are audited and committed with the request. Survivors
    (a failed login's attempt) stay. Any other exception propagates to the boundary, which rolls back.
    """
    outcome = Attempt()
    try:
        with session.begin_nested():
            yield outcome
    except (DomainError, ValidationError) as exc:
        outcome.refusal = exc
    except StatementError as exc:
        if (refusal := refused_by_database_layer(exc)) is None:
            raise
        outcome.refusal = refusal
