"""The database itself refuses to change the trail: the triggers the migration creates, tried with raw SQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from crossroads.audit.models import AuditEvent
from tests.factories import audit as au

# Every column but seq, with a value that differs from what the fixture's events hold.
CHANGES = {
    "id": "id + 1000000",
    "occurred_at": "occurred_at",  # replaced below by a literal per backend
    "actor_id": "'6f1c1c1e-0000-4000-8000-000000000001'",
    "actor_role": "'forger'",
    "action": "'test.forged'",
    "entity_type": "'forged'",
    "entity_id": "'forged'",
    "office_id": "'6f1c1c1e-0000-4000-8000-000000000002'",
    "details": "'{}'",
    "leaf_hash": "'" + "0" * 64 + "'",
}


def refused(db: Session, sql: str, **params: object) -> None:
    with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
        db.execute(text(sql), params)


def changes(db: Session) -> dict[str, str]:
    postgres = db.get_bind().dialect.name == "postgresql"
    return {**CHANGES, "occurred_at": "occurred_at + interval '1 second'" if postgres
            else "'2001-01-01 00:00:00.000000'"}


class TestAppendOnlyTriggers:
    @pytest.fixture
    def trail(self, db):
        """Sealed events, and one not sealed yet."""
        au.record(db, 4, action="test.sealed")
        au.seal(db)
        unsealed = au.record(db, 1, action="test.unsealed")[0]
        sealed = db.scalar(select(AuditEvent).where(AuditEvent.action == "test.sealed"))
        return db, sealed, unsealed

    def test_the_covered_columns_are_every_column_but_seq(self):
        assert set(CHANGES) == {c.name for c in AuditEvent.__table__.columns} - {"seq"}

    def test_the_sealer_may_give_an_unsealed_event_its_position(self, trail):
        db, _, unsealed = trail
        db.execute(text("UPDATE audit_events SET seq = 999999 WHERE id = :id"), {"id": unsealed.id})
        assert db.scalar(text("SELECT seq FROM audit_events WHERE id = :id"), {"id": unsealed.id}) == 999999

    def test_a_sealed_event_keeps_its_position(self, trail):
        db, sealed, _ = trail
        refused(db, "UPDATE audit_events SET seq = 999999 WHERE id = :id", id=sealed.id)
        refused(db, "UPDATE audit_events SET seq = NULL WHERE id = :id", id=sealed.id)

    @pytest.mark.parametrize("column", sorted(CHANGES))
    def test_no_column_changes_on_a_sealed_event(self, trail, column):
        db, sealed, _ = trail
        refused(db, f"UPDATE audit_events SET {column} = {changes(db)[column]} WHERE id = :id", id=sealed.id)

    @pytest.mark.parametrize("column", sorted(CHANGES))
    def test_no_column_changes_with_the_sealers_update(self, trail, column):
        db, _, unsealed = trail
        refused(db, f"UPDATE audit_events SET seq = 999999, {column} = {changes(db)[column]} WHERE id = :id",
                id=unsealed.id)
        refused(db, f"UPDATE audit_events SET {column} = {changes(db)[column]} WHERE id = :id", id=unsealed.id)

    @pytest.mark.parametrize("table", au.TABLES)
    def test_no_row_is_deleted(self, trail, table):
        db, _, _ = trail
        refused(db, f"DELETE FROM {table}")

    def test_nodes_and_heads_never_change(self, trail):
        db, _, _ = trail
        refused(db, "UPDATE audit_tree_nodes SET hash = :h", h="0" * 64)
        refused(db, "UPDATE audit_tree_heads SET tree_size = tree_size + 1")

    @pytest.mark.parametrize("table", au.TABLES)
    def test_no_table_is_emptied_at_once(self, trail, table):
        db, _, _ = trail
        # PostgreSQL's TRUNCATE fires no row triggers, so it has its own; SQLite has no TRUNCATE, only DELETE.
        statement = f"TRUNCATE {table}" if db.get_bind().dialect.name == "postgresql" else f"DELETE FROM {table}"
        refused(db, statement)
        assert db.scalar(text(f"SELECT count(*) FROM {table}")) > 0
