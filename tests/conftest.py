"""Test database built by `alembic upgrade head`, one per run; every test runs in a rolled-back transaction.

A module whose tests share costly records builds them once, in a transaction that spans the module, and runs
each test in a savepoint of it (`module_db`, `savepoint_db`; see their section below).

CROSSROADS_TEST_DATABASE_URL selects the backend: unset means a SQLite file in a temporary directory;
a postgresql+psycopg:// URL names a server on which a fresh database is created and dropped.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from crossroads.app import create_app
from crossroads.config import Settings
from crossroads.db.session import make_engine
from crossroads.schema import upgrade_database
from tests.factories import auth as af
from tests.helpers import run_cli, token_headers

os.environ.setdefault("CROSSROADS_ARGON2_FAST", "true")

TEST_SECRET = "test-secret-" + "x" * 40


@contextmanager
def fresh_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a new, empty database on the test backend, dropped when the block ends."""
    url = os.environ.get("CROSSROADS_TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    name = f"crossroads_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(tmp_path_factory) as url:
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    upgrade_database(eng)
    yield eng
    eng.dispose()


@pytest.fixture(scope="module")
def scratch_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A migrated database of the module's own, for tests that commit for real (concurrent transactions)."""
    with fresh_database(tmp_path_factory) as url:
        eng = make_engine(url)
        upgrade_database(eng)
        try:
            yield eng
        finally:
            eng.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, secret_key=TEST_SECRET, mode="test", cookie_secure=False,
                    argon2_fast=True)


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session whose commits become savepoints of an outer transaction rolled back after the test."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


_applications: dict[Engine, FastAPI] = {}


def reusable_app(settings: Settings, engine: Engine) -> FastAPI:
    """The application of `create_app`, built once per engine and given this test's settings and no overrides.

    Building it analyses every route's dependencies, which cost 60 ms a test. create_app reads the settings only
    through app.state, so the one application with the test's settings is the application built for them.
    """
    if engine not in _applications:
        _applications[engine] = create_app(settings, engine)
    application = _applications[engine]
    application.state.settings = settings
    application.state.engine = engine
    application.dependency_overrides.clear()
    return application


@pytest.fixture
def app(settings: Settings, engine: Engine, db: Session):
    application = reusable_app(settings, engine)

    @contextmanager
    def _test_session() -> Iterator[Session]:
        # Requests run the real transaction boundary on the test's session, where a commit releases a
        # savepoint; the session outlives the request, so it is not closed here.
        yield db

    application.state.sessions = _test_session
    return application


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def world(db: Session) -> af.World:
    """Two offices of one agency, a partner organisation, and a user of every role."""
    return af.world(db)


@pytest.fixture
def cw(client: TestClient, world: af.World) -> dict[str, str]:
    """API headers of the caseworker of office A."""
    return token_headers(client, world.users["caseworker_a"].email)


@pytest.fixture
def headers(client, world):
    """API headers of any user of the world by key (`headers("supervisor_a")`), logging in once per user."""
    cache: dict[str, dict[str, str]] = {}

    def get(key: str) -> dict[str, str]:
        if key not in cache:
            cache[key] = token_headers(client, world.users[key].email)
        return cache[key]

    return get


# Records built once per module. The module's connection holds one transaction from its first test to its last,
# rolled back at the end; the records go into it through `module_db`, and each test runs in a savepoint of it
# through `savepoint_db`. A module opts in by overriding `db` with `savepoint_db`, so that `app` and every
# fixture of the test share that session (another connection would not see the records, and on SQLite would
# wait for the module's write lock):
#
#     @pytest.fixture
#     def db(savepoint_db):
#         return savepoint_db


@contextmanager
def rolled_back(connection: Connection) -> Iterator[None]:
    """Undo at the end of the block whatever was done on `connection` in it, even what sessions committed."""
    savepoint = connection.begin_nested()
    try:
        yield
    finally:
        if savepoint.is_active:
            savepoint.rollback()


@pytest.fixture(scope="module")
def module_connection(engine: Engine) -> Iterator[Connection]:
    """A connection whose transaction spans the module's tests and is rolled back after the last of them."""
    connection = engine.connect()
    outer = connection.begin()
    try:
        yield connection
    finally:
        outer.rollback()
        connection.close()


@pytest.fixture(scope="module")
def module_db(module_connection: Connection) -> Iterator[Session]:
    """A session for the records the module's tests share: its commits stay in the module's transaction."""
    session = Session(bind=module_connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()


@pytest.fixture
def savepoint_db(module_connection: Connection) -> Iterator[Session]:
    """A session that sees the module's records, in a savepoint rolled back after the test.

    Its commits, and a request's, release savepoints nested in that one: every test of the module starts from
    the records the module built, whatever the tests before it wrote.
    """
    with rolled_back(module_connection):
        session = Session(bind=module_connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            yield session
        finally:
            session.close()


# The `crossroads` command on a demo database, for the modules that test commands.

@pytest.fixture(scope="module")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data directory of one `crossroads demo --no-serve`, seeded once for the module."""
    data_dir = tmp_path_factory.mktemp("demo")
    result = run_cli(["demo", "--data-dir", str(data_dir), "--households", "5", "--no-serve"],
                     {"CROSSROADS_DEMO_PASSWORD": "demo-password-for-tests"})
    assert result.returncode == 0, result.stderr
    return data_dir


@pytest.fixture
def seeded(demo_data: Path, tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A copy of the demo's data directory for this test alone, so that a test that writes leaves the next one
    alone; the environment that points `crossroads` at it (its database, and its audit key by the data directory).
    """
    data_dir = tmp_path / "demo"
    shutil.copytree(demo_data, data_dir)
    env = {"CROSSROADS_DATABASE_URL": f"sqlite:///{data_dir / 'crossroads.db'}", "CROSSROADS_DATA_DIR": str(data_dir)}
    return env, data_dir / "crossroads.db"
