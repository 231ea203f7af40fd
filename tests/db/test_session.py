"""Engines and the one transaction boundary: SQLite's settings, and unit_of_work's commit or rollback."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from crossroads.auth.models import Organisation
from crossroads.auth.roles import OrganisationKind
from crossroads.db.migrate import upgrade_database
from crossroads.db.session import make_engine, unit_of_work


class TestMakeEngine:
    def test_sqlite_runs_in_wal_mode(self, engine):
        if engine.dialect.name != "sqlite":
            assert "audit_events" in inspect(engine).get_table_names()
            return
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"

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
