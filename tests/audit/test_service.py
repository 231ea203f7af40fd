from __future__ import annotations

import pytest
from sqlalchemy import delete, event, func, select, update
from sqlalchemy.orm import Session

from crossroads.audit.leaves import event_leaf_hash
from crossroads.audit.models import AuditEvent, AuditTreeHead, AuditTreeNode
from crossroads.audit.service import AppendOnlyError, count_events, event_content, record_event
from tests.factories import audit as au


def actions(db: Session) -> set[str]:
    return set(db.scalars(select(AuditEvent.action).where(AuditEvent.action.like("test.%"))))


class TestRecordEvent:
    def test_inserts_the_event_with_its_leaf_hash_and_no_position(self, db):
        record_event(db, actor=None, action="test.one", entity_type="test", entity_id=7, details={"fields": ["a"]})
        db.commit()
        db.expire_all()
        row = db.scalar(select(AuditEvent).where(AuditEvent.action == "test.one"))
        assert row.seq is None
        # As read back from the database, not as built in memory: the hash survives the round trip.
        assert row.leaf_hash == event_leaf_hash(event_content(row))

    def test_takes_no_lock_and_reads_nothing_of_the_trail(self, db):
        sent: list[str] = []

        def capture(conn, cursor, statement, parameters, context, executemany):
            sent.append(" ".join(statement.split()))

        connection = db.connection()
        event.listen(connection, "before_cursor_execute", capture)
        try:
            record_event(db, actor=None, action="test.one", entity_type="test")
            record_event(db, actor=None, action="test.two", entity_type="test")
            db.commit()
        finally:
            event.remove(connection, "before_cursor_execute", capture)
        statements = [s for s in sent if not s.upper().startswith(("SAVEPOINT", "RELEASE"))]
        assert statements and all(s.startswith("INSERT INTO audit_events") for s in statements), statements

    def test_rolled_back_change_leaves_no_event(self, db):
        before = count_events(db)
        record_event(db, actor=None, action="test.dropped", entity_type="test")
        db.flush()
        db.rollback()
        db.commit()
        assert count_events(db) == before

    def test_event_marked_to_survive_is_written_after_a_rollback(self, db):
        db.scalar(select(func.count()).select_from(AuditEvent))  # begins the transaction rolled back below
        record_event(db, actor=None, action="test.kept", entity_type="test", survives_rollback=True)
        record_event(db, actor=None, action="test.dropped", entity_type="test")
        db.flush()
        db.rollback()
        db.commit()
        assert actions(db) == {"test.kept"}
        kept = db.scalar(select(AuditEvent).where(AuditEvent.action == "test.kept"))
        assert kept.leaf_hash == event_leaf_hash(event_content(kept))

    def test_a_rolled_back_savepoint_keeps_every_event_recorded_before_it(self, db):
        record_event(db, actor=None, action="test.before_flushed", entity_type="test")
        db.flush()
        record_event(db, actor=None, action="test.before_pending", entity_type="test")
        record_event(db, actor=None, action="test.before_survivor", entity_type="test", survives_rollback=True)
        savepoint = db.begin_nested()
        record_event(db, actor=None, action="test.inside_flushed", entity_type="test")
        db.flush()
        record_event(db, actor=None, action="test.inside_pending", entity_type="test")
        savepoint.rollback()
        record_event(db, actor=None, action="test.after", entity_type="test")
        db.commit()
        assert actions(db) == {"test.before_flushed", "test.before_pending", "test.before_survivor", "test.after"}

    def test_inner_savepoint_released_into_an_outer_one_rolled_back_goes_with_it(self, db):
        record_event(db, actor=None, action="test.before", entity_type="test")
        outer = db.begin_nested()
        with db.begin_nested():
            record_event(db, actor=None, action="test.inner", entity_type="test")
        outer.rollback()
        db.commit()
        assert actions(db) == {"test.before"}

    def test_events_of_a_released_savepoint_are_committed(self, db):
        with db.begin_nested():
            record_event(db, actor=None, action="test.inside", entity_type="test")
        db.commit()
        assert actions(db) == {"test.inside"}


class TestAppendOnly:
    @pytest.fixture
    def sealed(self, db):
        au.record(db, 3)
        au.seal(db)
        return db

    @pytest.mark.parametrize("model", [AuditEvent, AuditTreeNode, AuditTreeHead])
    def test_the_orm_refuses_to_delete(self, sealed, model):
        sealed.delete(sealed.scalars(select(model)).first())
        with pytest.raises(AppendOnlyError, match="cannot be deleted"):
            sealed.flush()
        sealed.rollback()

    def test_the_orm_refuses_to_change_an_event(self, sealed):
        sealed.scalars(select(AuditEvent)).first().details = {"n": 99}
        with pytest.raises(AppendOnlyError, match="AuditEvent cannot be changed"):
            sealed.flush()
        sealed.rollback()

    def test_the_orm_refuses_to_give_an_event_a_position(self, db):
        # Only the sealer positions events, in the tree's order.
        row = au.record(db, 1)[0]
        row.seq = 1_000_000
        with pytest.raises(AppendOnlyError):
            db.flush()
        db.rollback()

    def test_the_orm_refuses_to_change_a_head(self, sealed):
        sealed.scalars(select(AuditTreeHead)).first().tree_size = 1
        with pytest.raises(AppendOnlyError, match="AuditTreeHead cannot be changed"):
            sealed.flush()
        sealed.rollback()

    @pytest.mark.parametrize("statement", [
        update(AuditEvent).values(action="test.forged"),
        delete(AuditEvent),
        update(AuditTreeNode).values(hash="0" * 64),
        delete(AuditTreeHead),
        update(AuditEvent.__table__).values(seq=None),
    ], ids=["update events", "delete events", "update nodes", "delete heads", "core update"])
    def test_bulk_statements_are_refused(self, sealed, statement):
        with pytest.raises(AppendOnlyError, match="append-only"):
            sealed.execute(statement)
