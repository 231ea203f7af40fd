"""Tampering with the trail as a database administrator could, and verification naming what broke.

Each test switches off the append-only triggers inside its own transaction first (`as_database_admin`), as
someone with administrative rights on the database would; the key that signs heads is what they lack.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import func, select, text

from crossroads.audit import merkle
from crossroads.audit.heads import head_to_json, sign_head
from crossroads.audit.leaves import event_leaf_hash
from crossroads.audit.models import AuditEvent, AuditTreeHead, AuditTreeNode
from crossroads.audit.service import event_content
from crossroads.audit.tree import latest_head, tree_size
from crossroads.audit.verify import ProofError, TrustedHead, prove_consistency, prove_event
from tests.factories import audit as au
from tests.factories import auth as af
from tests.factories import people as pf


@pytest.fixture
def trail(db):
    """A person and a case registered, sealed; more events, sealed under a second head; one not sealed yet."""
    au.seal(db)
    world = af.world(db)
    principal = world.principal(db, "caseworker_a")
    pf.case(db, principal, pf.person(db, principal))
    db.flush()
    au.seal(db)
    first = latest_head(db)
    au.record(db, 6)
    au.seal(db)
    au.record(db, 1, action="test.unsealed")
    db.expire_all()
    return first


def sealed(db, action: str) -> AuditEvent:
    return db.scalars(select(AuditEvent).where(AuditEvent.action == action, AuditEvent.seq.is_not(None))
                      .order_by(AuditEvent.seq.desc())).first()


def rebuild_tree(db) -> None:
    """What a careful forger does after editing events: recompute every leaf hash and stored node."""
    frontier = merkle.Frontier()
    db.execute(text("DELETE FROM audit_tree_nodes"))
    rows = db.execute(select(AuditEvent).where(AuditEvent.seq.is_not(None)).order_by(AuditEvent.seq)).scalars()
    for row in rows.all():
        leaf = event_leaf_hash(event_content(row))
        db.execute(text("UPDATE audit_events SET leaf_hash = :h WHERE id = :id"), {"h": leaf, "id": row.id})
        for node in frontier.append(bytes.fromhex(leaf)):
            db.execute(AuditTreeNode.__table__.insert().values(level=node.level, idx=node.index,
                                                               hash=node.hash.hex()))
    db.expire_all()


def alter(db, event_id: int) -> None:
    db.execute(text("UPDATE audit_events SET details = :d WHERE id = :id"),
               {"d": '{"fields": ["forged"]}', "id": event_id})
    db.expire_all()


class TestIntactTrail:
    def test_verifies_from_the_first_event(self, db, trail):
        result = au.verify(db)
        assert result.problem is None
        assert result.start == 0 and result.walked == result.tree_size == tree_size(db)
        assert result.heads_checked >= 2 and result.unsealed == 1
        assert result.latest is not None and result.latest.head.tree_size == result.tree_size

    def test_verifies_from_the_last_verified_head_reading_only_what_was_sealed_since(self, db, trail):
        since = TrustedHead("the head verified before", trail.head)
        result = au.verify(db, since=since)
        assert result.problem is None
        assert result.start == trail.head.tree_size
        assert result.walked == tree_size(db) - trail.head.tree_size == 6

    def test_an_exported_head_the_trail_extends_verifies(self, db, trail):
        newest = latest_head(db)
        assert newest is not None
        older = TrustedHead("the head in old.json", trail.head)
        assert au.verify(db, anchors=[older]).problem is None
        # From a later start, the older head is checked by a consistency proof instead of by walking.
        assert au.verify(db, since=TrustedHead("verified", newest.head), anchors=[older]).problem is None


class TestTampering:
    def test_an_altered_event_is_named(self, db, trail):
        target = sealed(db, "person.create")
        au.as_database_admin(db)
        alter(db, target.id)
        problem = au.verify(db).problem
        assert problem is not None and problem.event_id == target.id
        assert f"event #{target.id} at position {target.seq} was altered" in problem.message

    def test_an_altered_event_with_its_leaf_and_tree_recomputed_breaks_the_head_that_covers_it(self, db, trail):
        target = sealed(db, "person.create")
        au.as_database_admin(db)
        alter(db, target.id)
        rebuild_tree(db)
        problem = au.verify(db).problem
        assert problem is not None and problem.head_id == trail.id
        assert "does not match the events" in problem.message

    def test_a_deleted_event_is_named(self, db, trail):
        target = sealed(db, "person.create")
        position = target.seq
        au.as_database_admin(db)
        db.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": target.id})
        problem = au.verify(db).problem
        assert problem is not None
        assert f"the event at position {position} is missing" in problem.message

    def test_a_forged_event_appended_to_the_tree_is_named(self, db, trail):
        au.as_database_admin(db)
        forged = au.insert_event(db, action="test.forged", seq=tree_size(db) + 1)
        problem = au.verify(db).problem
        assert problem is not None and problem.event_id == forged
        assert "no signed head covers them" in problem.message

    def test_a_forged_event_inserted_in_the_middle_breaks_the_next_head(self, db, trail):
        au.as_database_admin(db)
        position = trail.head.tree_size - 1
        for event_id, seq in db.execute(select(AuditEvent.id, AuditEvent.seq).where(AuditEvent.seq >= position)
                                        .order_by(AuditEvent.seq.desc())).all():
            db.execute(text("UPDATE audit_events SET seq = :s WHERE id = :id"), {"s": seq + 1, "id": event_id})
        au.insert_event(db, action="test.forged", seq=position)
        rebuild_tree(db)
        problem = au.verify(db).problem
        assert problem is not None and problem.head_id == trail.id

    def test_a_suffix_rewritten_without_the_key_fails_its_signed_head(self, db, trail):
        newest = latest_head(db)
        au.as_database_admin(db)
        for row in db.scalars(select(AuditEvent).where(AuditEvent.seq > trail.head.tree_size)).all():
            alter(db, row.id)
        rebuild_tree(db)
        problem = au.verify(db).problem
        assert problem is not None and problem.head_id == newest.id
        assert f"positions {trail.head.tree_size + 1} to {newest.head.tree_size}" in problem.message

    def test_a_rewritten_suffix_under_a_head_signed_with_another_key_is_refused(self, db, trail):
        newest = latest_head(db)
        au.as_database_admin(db)
        for row in db.scalars(select(AuditEvent).where(AuditEvent.seq > trail.head.tree_size)).all():
            alter(db, row.id)
        rebuild_tree(db)
        db.execute(text("DELETE FROM audit_tree_heads WHERE id = :id"), {"id": newest.id})
        # The sealer refuses to extend a trail that no longer matches its head; the forger signs by hand.
        forger = ed25519.Ed25519PrivateKey.generate()
        leaves = [bytes.fromhex(h) for h in db.scalars(select(AuditEvent.leaf_hash).where(AuditEvent.seq.is_not(None))
                                                        .order_by(AuditEvent.seq))]
        forged = sign_head(forger, len(leaves), merkle.root(leaves), newest.head.timestamp)
        db.add(AuditTreeHead(tree_size=forged.tree_size, root_hash=forged.root_hash.hex(), timestamp=forged.timestamp,
                             key_id=forged.key_id, signature=head_to_json(forged)["signature"]))
        db.flush()
        problem = au.verify(db).problem
        assert problem is not None and "not a trusted audit key" in problem.message

    @pytest.mark.parametrize("change", [
        "root_hash = '" + "ab" * 32 + "'", "tree_size = tree_size - 1", "timestamp = timestamp + 1",
        "signature = '" + "A" * 86 + "=='",
    ], ids=["root", "size", "time", "signature"])
    def test_an_altered_head_is_named(self, db, trail, change):
        au.as_database_admin(db)
        db.execute(text(f"UPDATE audit_tree_heads SET {change} WHERE id = :id"), {"id": trail.id})
        problem = au.verify(db).problem
        assert problem is not None and problem.head_id == trail.id
        assert "does not verify" in problem.message

    def test_an_altered_tree_node_is_named(self, db, trail):
        au.as_database_admin(db)
        level, index = db.execute(select(AuditTreeNode.level, AuditTreeNode.idx)
                                  .order_by(AuditTreeNode.level.desc())).first()
        db.execute(text("UPDATE audit_tree_nodes SET hash = :h WHERE level = :l AND idx = :i"),
                   {"h": "cd" * 32, "l": level, "i": index})
        problem = au.verify(db).problem
        assert problem is not None
        assert f"node at level {level}, index {index} differs" in problem.message

    def test_a_truncated_trail_passes_alone_but_not_against_a_head_kept_elsewhere(self, db, trail):
        newest = latest_head(db)
        exported = TrustedHead("the head in head.json", newest.head)
        au.as_database_admin(db)
        # Cut back to the first head: its events, nodes and head are all that remain, and still verify.
        db.execute(text("DELETE FROM audit_events WHERE seq > :n"), {"n": trail.head.tree_size})
        db.execute(text("DELETE FROM audit_tree_heads WHERE tree_size > :n"), {"n": trail.head.tree_size})
        db.execute(text("DELETE FROM audit_tree_nodes WHERE (idx + 1) * (1 << level) > :n"),
                   {"n": trail.head.tree_size})
        assert au.verify(db).problem is None
        for since, anchors in ((exported, []), (None, [exported])):
            problem = au.verify(db, since=since, anchors=anchors).problem
            assert problem is not None
            assert (f"the head in head.json (size {newest.head.tree_size}" in problem.message
                    and f"but the trail holds {trail.head.tree_size}" in problem.message)

    def test_removed_newest_events_under_their_head_are_found(self, db, trail):
        newest = latest_head(db)
        au.as_database_admin(db)
        db.execute(text("DELETE FROM audit_events WHERE seq = :n"), {"n": newest.head.tree_size})
        problem = au.verify(db).problem
        assert problem is not None and problem.head_id == newest.id
        assert "sealed events were removed from its end" in problem.message

    def test_an_altered_event_not_yet_sealed_is_named(self, db, trail):
        target = db.scalar(select(AuditEvent).where(AuditEvent.action == "test.unsealed"))
        au.as_database_admin(db)
        alter(db, target.id)
        problem = au.verify(db).problem
        assert problem is not None and problem.event_id == target.id and "not sealed yet" in problem.message

    def test_an_exported_head_signed_by_another_key_is_refused(self, db, trail):
        forged = sign_head(ed25519.Ed25519PrivateKey.generate(), 1, merkle.EMPTY_ROOT, 0)
        problem = au.verify(db, anchors=[TrustedHead("the head in head.json", forged)]).problem
        assert problem is not None and problem.message.startswith("the head in head.json")


class TestIncrementalVerification:
    def test_events_before_the_last_verified_head_are_not_read_again_unless_all_are(self, db, trail):
        # The price of starting from the last verified head: an edit before it that leaves the leaf hashes and
        # nodes alone is found by a full verification (`crossroads audit verify --full`), and by any proof.
        since = TrustedHead("the head verified before", trail.head)
        target = sealed(db, "person.create")
        au.as_database_admin(db)
        alter(db, target.id)
        assert au.verify(db, since=since).problem is None
        assert au.verify(db).problem.event_id == target.id
        assert not prove_event(db, event_id=target.id, keys=au.TRUSTED).verified

    def test_a_tree_rewritten_before_the_last_verified_head_is_walked_again_and_named(self, db, trail):
        since = TrustedHead("the head verified before", trail.head)
        au.as_database_admin(db)
        alter(db, sealed(db, "person.create").id)
        rebuild_tree(db)
        problem = au.verify(db, since=since).problem
        assert problem is not None and problem.head_id == trail.id


class TestProveEvent:
    def test_every_sealed_event_proves_its_inclusion_in_the_latest_head(self, db, trail):
        size = tree_size(db)
        for event_id in db.scalars(select(AuditEvent.id).where(AuditEvent.seq.is_not(None))):
            proof = prove_event(db, event_id=event_id, keys=au.TRUSTED)
            assert proof.verified and proof.head.tree_size == size
            assert len(proof.path) <= size.bit_length()

    def test_proves_against_an_earlier_exported_head(self, db, trail):
        target = sealed(db, "person.create")
        assert prove_event(db, event_id=target.id, keys=au.TRUSTED, head=trail.head).verified
        later = sealed(db, "test.event")
        with pytest.raises(ProofError, match="was sealed after the head"):
            prove_event(db, event_id=later.id, keys=au.TRUSTED, head=trail.head)

    def test_an_altered_event_does_not_prove(self, db, trail):
        target = sealed(db, "test.event")
        au.as_database_admin(db)
        alter(db, target.id)
        assert not prove_event(db, event_id=target.id, keys=au.TRUSTED).verified

    def test_an_unsealed_or_unknown_event_has_no_proof(self, db, trail):
        unsealed = db.scalar(select(AuditEvent.id).where(AuditEvent.action == "test.unsealed"))
        with pytest.raises(ProofError, match="not sealed yet"):
            prove_event(db, event_id=unsealed, keys=au.TRUSTED)
        missing = (db.scalar(select(func.max(AuditEvent.id))) or 0) + 1
        with pytest.raises(ProofError, match=f"no audit event #{missing}"):
            prove_event(db, event_id=missing, keys=au.TRUSTED)


class TestProveConsistency:
    def test_the_latest_head_extends_an_earlier_one(self, db, trail):
        proof = prove_consistency(db, old=trail.head, keys=au.TRUSTED)
        assert proof.verified and proof.new.tree_size > proof.old.tree_size and proof.path

    def test_a_rewritten_tree_does_not_extend_the_earlier_head(self, db, trail):
        au.as_database_admin(db)
        alter(db, sealed(db, "person.create").id)
        rebuild_tree(db)
        # The forger cannot sign a head for the rewritten tree: against the head that was signed, the proof fails.
        assert not prove_consistency(db, old=trail.head, keys=au.TRUSTED).verified

    def test_heads_given_the_wrong_way_round_are_refused(self, db, trail):
        newest = latest_head(db)
        with pytest.raises(ProofError, match="larger than the later one"):
            prove_consistency(db, old=newest.head, new=trail.head, keys=au.TRUSTED)
