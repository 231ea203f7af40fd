from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import func, select, text

from crossroads.audit import merkle
from crossroads.audit.heads import signature_problem
from crossroads.audit.models import AuditEvent, AuditTreeHead, AuditTreeNode
from crossroads.audit.seal import BackgroundSealer, SealRefused, seal_pending
from crossroads.audit.service import record_event
from crossroads.audit.tree import latest_head, tree_size
from crossroads.db.session import unit_of_work
from tests.factories import audit as au


def positions(db, action: str = "test.event") -> list[tuple[int, int | None]]:
    return [(event_id, seq) for event_id, seq in db.execute(
        select(AuditEvent.id, AuditEvent.seq).where(AuditEvent.action == action).order_by(AuditEvent.id))]


class TestSealEvents:
    def test_gives_unsealed_events_the_next_positions_in_id_order(self, db):
        au.seal(db)
        start = tree_size(db)
        rows = au.record(db, 5)
        result = au.seal(db)
        assert result.sealed == 5
        db.expire_all()
        assert [seq for _, seq in positions(db)] == list(range(start + 1, start + 6))
        assert [r.id for r in rows] == [event_id for event_id, _ in positions(db)]

    def test_signs_a_head_of_the_tree_the_events_make(self, db):
        au.record(db, 7)
        result = au.seal(db)
        size = tree_size(db)
        leaves = [bytes.fromhex(h) for h in db.scalars(select(AuditEvent.leaf_hash).where(AuditEvent.seq.is_not(None))
                                                        .order_by(AuditEvent.seq))]
        assert result.head is not None and result.tree_size == size == len(leaves)
        assert result.head.root_hash == merkle.root(leaves)
        assert signature_problem(result.head, au.TRUSTED) is None
        stored = latest_head(db)
        assert stored is not None and stored.head == result.head

    def test_stores_every_perfect_subtree_once(self, db):
        au.record(db, 9)
        au.seal(db)
        size = tree_size(db)
        assert db.scalar(select(func.count()).select_from(AuditTreeNode)) == size - size.bit_count()

    def test_nothing_new_writes_no_head(self, db):
        au.record(db, 2)
        au.seal(db)
        heads = db.scalar(select(func.count()).select_from(AuditTreeHead))
        result = au.seal(db)
        assert (result.sealed, result.head) == (0, None)
        assert db.scalar(select(func.count()).select_from(AuditTreeHead)) == heads

    def test_seals_a_backlog_a_batch_per_head(self, db):
        au.seal(db)
        start = tree_size(db)
        au.record(db, 7)
        sizes = [au.seal(db, limit=3).tree_size for _ in range(3)]
        assert sizes == [start + 3, start + 6, start + 7]

    def test_an_event_committed_after_a_seal_with_a_lower_id_is_sealed_next(self, db):
        # A sequence hands out ids before commit: the transaction holding a lower id may commit after a seal
        # has taken the higher ones. It is sealed by the next seal, at the next position, not skipped.
        au.seal(db)
        top = db.scalar(select(func.max(AuditEvent.id))) or 0
        for event_id in (top + 10, top + 5):
            au.insert_event(db, action="test.late", event_id=event_id)
            au.seal(db)
        assert positions(db, "test.late") == [(top + 5, tree_size(db)), (top + 10, tree_size(db) - 1)]
        assert au.verify(db).problem is None

    def test_refuses_to_extend_a_trail_cut_back_since_its_last_head(self, db):
        au.record(db, 3)
        au.seal(db)
        au.as_database_admin(db)
        db.execute(text("DELETE FROM audit_events WHERE seq = :seq"), {"seq": tree_size(db)})
        au.record(db, 1)
        with pytest.raises(SealRefused, match="does not match its latest signed head"):
            au.seal(db)

    def test_refuses_to_extend_a_head_it_cannot_verify(self, db):
        au.record(db, 3)
        forger = ed25519.Ed25519PrivateKey.generate()
        au.seal(db, key=forger)
        au.record(db, 1)
        with pytest.raises(SealRefused, match="not a trusted audit key"):
            au.seal(db)

    def test_refuses_an_event_without_a_leaf_hash(self, db):
        au.seal(db)
        au.as_database_admin(db)
        forged = au.record(db, 1, action="test.forged")[0]
        db.execute(text("UPDATE audit_events SET leaf_hash = 'not a hash' WHERE id = :id"), {"id": forged.id})
        with pytest.raises(SealRefused, match=f"event #{forged.id} has no valid leaf hash"):
            au.seal(db)


class TestSealPending:
    def test_seals_everything_committed_in_batches(self, scratch_engine):
        with unit_of_work(scratch_engine) as session:
            au.record(session, 7, action="test.pending")
        totals = seal_pending(scratch_engine, key=au.KEY, trusted=au.TRUSTED, limit=3)
        assert (totals.sealed, totals.heads) == (7, 3)
        with unit_of_work(scratch_engine, read_only=True) as session:
            assert session.scalar(select(func.count()).where(AuditEvent.seq.is_(None))) == 0
            assert au.verify(session).problem is None


class TestBackgroundSealer:
    def test_seals_while_running_and_once_more_when_stopped(self, scratch_engine):
        sealer = BackgroundSealer(scratch_engine, key=au.KEY, trusted=au.TRUSTED, every=0.05)
        sealer.start()
        try:
            with unit_of_work(scratch_engine) as session:
                record_event(session, actor=None, action="test.background", entity_type="test")
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                with unit_of_work(scratch_engine, read_only=True) as session:
                    if session.scalar(select(AuditEvent.seq).where(AuditEvent.action == "test.background")):
                        break
                time.sleep(0.05)
            else:
                pytest.fail("the background sealer did not seal within 20 s")
            with unit_of_work(scratch_engine) as session:
                record_event(session, actor=None, action="test.at_stop", entity_type="test")
        finally:
            sealer.stop()
        with unit_of_work(scratch_engine, read_only=True) as session:
            assert session.scalar(select(AuditEvent.seq).where(AuditEvent.action == "test.at_stop")) is not None
