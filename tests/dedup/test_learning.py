"""Learning from reviewers in the registry: labels, the held-out split, versions, activation and rollback."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crossroads.dedup import learning
from crossroads.dedup.models import CandidateStatus, MatchCandidate, MatchModelVersion
from crossroads.dedup.review import decide_candidate, list_teaching
from crossroads.dedup.service import active_model
from crossroads.kit.errors import Conflict, Forbidden
from tests.factories import dedup as df


def decided_pairs(db, cw, sup, n: int) -> list[MatchCandidate]:
    """n pairs of one person registered twice, each decided by the supervisor: alternately same and different."""
    out = []
    for i in range(n):
        a = df.person(db, cw, df.ORIGINAL, given_name=f"Mohammed{i:02d}")
        b = df.person(db, cw, df.VARIANT, family_name=f"Mohammed{i:02d}")
        c = df.pair(db, a, b)
        status = CandidateStatus.CONFIRMED if i % 2 == 0 else CandidateStatus.REJECTED
        out.append(decide_candidate(db, principal=sup, candidate_id=c.id, status=status))
    return out


class TestLabels:
    def test_a_decision_keeps_the_pairs_comparison_vector(self, db, cw, sup):
        [c] = decided_pairs(db, cw, sup, 1)
        assert c.decided_gamma is not None and len(c.decided_gamma) == 8

    def test_held_out_decisions_never_train(self, db, cw, sup):
        pairs = decided_pairs(db, cw, sup, 12)
        labels = learning.decision_labels(db)
        kept = [c for c in pairs if c.id % learning.HELD_OUT_EVERY == 0]
        assert len(labels.held_out) == len(kept) and len(labels.training) == len(pairs) - len(kept)
        row = learning.train_version(db, principal=sup)
        assert row.labels == len(pairs) - len(kept)
        assert row.parameters["provenance"]["held_out"] == len(kept)


class TestTrainVersion:
    def test_a_new_version_is_a_candidate_with_its_lineage(self, db, cw, sup, model):
        decided_pairs(db, cw, sup, 6)
        row = learning.train_version(db, principal=sup)
        assert not row.active and row.parent_version == model.version
        assert active_model(db).version == model.version
        [event] = df.events(db, "dedup.model_train")
        assert event.details["version"] == row.version and event.details["labels"] == row.labels

    def test_without_decisions_there_is_nothing_to_learn(self, db, sup):
        with pytest.raises(Conflict) as refused:
            learning.train_version(db, principal=sup)
        assert refused.value.field == "decisions"

    def test_a_caseworker_cannot_train(self, db, cw):
        with pytest.raises(Forbidden):
            learning.train_version(db, principal=cw)


class TestActivateAndRollback:
    def test_activation_is_audited_and_rollback_goes_back(self, db, cw, sup, model):
        decided_pairs(db, cw, sup, 6)
        row = learning.train_version(db, principal=sup)
        learning.activate_version(db, principal=sup, version=row.version)
        assert active_model(db).version == row.version
        [event] = [e for e in df.events(db, "dedup.model_activate") if e.details["version"] == row.version]
        assert event.details["replaced"] == model.version
        back = learning.rollback_version(db, principal=sup)
        assert back.version == model.version and active_model(db).version == model.version
        [rolled] = df.events(db, "dedup.model_rollback")
        assert rolled.details == {"version": model.version, "from": row.version}

    def test_rollback_walks_back_until_the_first_version(self, db, sup, model):
        # The test model replaced the shipped one, which replaced nothing.
        first = learning.rollback_version(db, principal=sup)
        assert first.version != model.version
        with pytest.raises(Conflict):
            learning.rollback_version(db, principal=sup)

    def test_the_active_version_is_not_activated_again(self, db, sup, model):
        with pytest.raises(Conflict):
            learning.activate_version(db, principal=sup, version=model.version)

    def test_a_caseworker_cannot_activate(self, db, cw, sup):
        decided_pairs(db, cw, sup, 6)
        row = learning.train_version(db, principal=sup)
        with pytest.raises(Forbidden):
            learning.activate_version(db, principal=cw, version=row.version)
        assert not db.scalar(select(MatchModelVersion.active).where(MatchModelVersion.id == row.id))


class TestCompare:
    def test_both_versions_are_measured_on_the_held_out_decisions(self, db, cw, sup):
        decided_pairs(db, cw, sup, 12)
        row = learning.train_version(db, principal=sup)
        c = learning.compare_version(db, principal=sup, version=row.version)
        assert c.held_out == c.candidate.pairs == c.current.pairs == len(learning.decision_labels(db).held_out)


class TestTeachingOrder:
    def test_open_pairs_come_in_the_teaching_order(self, db, cw, sup, model):
        a, b = df.person(db, cw, df.ORIGINAL), df.person(db, cw, df.VARIANT)
        c = df.pair(db, a, b)
        pairs = list_teaching(db, principal=sup, model=model)
        assert [p.candidate.id for p in pairs] == [c.id]
        [event] = df.events(db, "dedup.queue_read")
        assert event.details["order"] == "teaching"

    def test_a_caseworker_has_no_teaching_queue(self, db, cw, model):
        with pytest.raises(Forbidden):
            list_teaching(db, principal=cw, model=model)
