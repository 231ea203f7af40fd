from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from crossroads.audit.models import AuditEvent
from crossroads.audit.service import record_event, verify_chain
from tests.factories import auth as af
from tests.factories import people as pf


class TestRecordEvent:
    def test_event_is_written_on_commit_and_linked(self, db):
        record_event(db, actor=None, action="test.one", entity_type="test")
        record_event(db, actor=None, action="test.two", entity_type="test")
        db.commit()
        events = db.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(2)).all()
        assert events[0].prev_hash == events[1].hash
        assert events[0].seq == events[1].seq + 1

    def test_rolled_back_change_leaves_no_event(self, db):
        before = db.scalar(select(func.count()).select_from(AuditEvent))
        record_event(db, actor=None, action="test.dropped", entity_type="test")
        db.rollback()
        db.commit()
        assert db.scalar(select(func.count()).select_from(AuditEvent)) == before


    def test_event_marked_to_survive_is_written_after_a_rollback(self, db):
        db.scalar(select(func.count()).select_from(AuditEvent))  # begins the transaction rolled back below
        record_event(db, actor=None, action="test.kept", entity_type="test", survives_rollback=True)
        record_event(db, actor=None, action="test.dropped", entity_type="test")
        db.rollback()
        db.commit()
        actions = set(db.scalars(select(AuditEvent.action).where(AuditEvent.action.like("test.%"))))
        assert actions == {"test.kept"}

    def test_savepoint_rollback_drops_only_the_events_recorded_inside_it(self, db):
        record_event(db, actor=None, action="test.before", entity_type="test")
        savepoint = db.begin_nested()
        record_event(db, actor=None, action="test.inside", entity_type="test")
        savepoint.rollback()
        record_event(db, actor=None, action="test.after", entity_type="test")
        db.commit()
        actions = set(db.scalars(select(AuditEvent.action).where(AuditEvent.action.like("test.%"))))
        assert actions == {"test.before", "test.after"}

    def test_events_of_a_released_savepoint_are_chained_at_the_commit(self, db):
        with db.begin_nested():
            record_event(db, actor=None, action="test.inside", entity_type="test")
        assert db.scalar(select(AuditEvent).where(AuditEvent.action == "test.inside")) is None
        db.commit()
        assert db.scalar(select(AuditEvent).where(AuditEvent.action == "test.inside")) is not None
        assert verify_chain(db).broken is None


class TestVerifyChain:
    @pytest.fixture
    def trail(self, db):
        world = af.world(db)
        principal = world.principal(db, "caseworker_a")
        person = pf.person(db, principal)
        pf.case(db, principal, person)
        db.commit()
        return db

    def test_intact_trail_verifies(self, trail):
        result = verify_chain(trail)
        assert result.broken is None
        assert result.checked >= 10

    def test_altered_row_is_named(self, trail):
        target = trail.scalar(select(AuditEvent).where(AuditEvent.action == "person.create"))
        trail.execute(update(AuditEvent).where(AuditEvent.id == target.id).values(action="person.delete"))
        trail.expire_all()
        result = verify_chain(trail)
        assert result.broken is not None
        assert result.broken.seq == target.seq

    def test_deleted_row_is_named(self, trail):
        target = trail.scalar(select(AuditEvent).where(AuditEvent.action == "person.create"))
        trail.delete(target)
        trail.flush()
        assert verify_chain(trail).broken.seq == target.seq

    def test_cut_off_tail_is_found_against_an_anchor(self, trail):
        head = verify_chain(trail)
        trail.delete(trail.scalar(select(AuditEvent).where(AuditEvent.seq == head.head_seq)))
        trail.flush()
        assert verify_chain(trail).broken is None
        assert verify_chain(trail, anchor=(head.head_seq, head.head_hash)).broken.seq == head.head_seq
