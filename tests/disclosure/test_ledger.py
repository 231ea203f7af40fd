"""The privacy-budget ledger: spends within the budget, refuses beyond it, is append-only and audited."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crossroads.audit.models import AuditEvent
from crossroads.disclosure import ledger, service
from crossroads.disclosure.models import ImmutableRecord, LedgerEntry, Release, ReleaseKind
from crossroads.disclosure.schemas import DpTablePrepare
from crossroads.kit.errors import Conflict, Forbidden, Invalid
from tests.factories import releases as df


def spend(db, officer, dataset, epsilon, delta=0.0):
    r = df.release(db, officer, dataset, kind=ReleaseKind.DP_TABLE, epsilon=epsilon)
    return ledger.spend_budget(db, principal=officer, dataset=dataset, release_id=r.id, epsilon=epsilon, delta=delta)


class TestSpendBudget:
    def test_spends_add_up_within_the_budget(self, db, officer, dataset):
        spend(db, officer, dataset, 0.4)
        spend(db, officer, dataset, 0.6)
        budget = ledger.budget_of(db, dataset)
        assert budget.epsilon_spent == pytest.approx(1.0)
        assert budget.epsilon_remaining == pytest.approx(0.0)

    def test_refuses_a_spend_over_the_remaining_epsilon(self, db, officer, dataset):
        spend(db, officer, dataset, 0.7)
        with pytest.raises(Conflict, match="only ε=0.3 of the dataset's budget ε=1 remains") as exc:
            spend(db, officer, dataset, 0.5)
        assert exc.value.field == "epsilon"
        assert exc.value.extra["epsilon_spent"] == pytest.approx(0.7)

    def test_refuses_a_spend_over_the_remaining_delta(self, db, officer, dataset):
        with pytest.raises(Conflict, match="δ") as exc:
            spend(db, officer, dataset, 0.1, delta=1e-5)
        assert exc.value.field == "delta"

    @pytest.mark.parametrize(("epsilon", "delta", "field"), [(0, 0, "epsilon"), (-1, 0, "epsilon"),
                                                             (0.1, -1e-9, "delta")])
    def test_refuses_non_positive_spends(self, db, officer, dataset, epsilon, delta, field):
        with pytest.raises(Invalid) as exc:
            ledger.check_budget(db, dataset, epsilon=epsilon, delta=delta)
        assert exc.value.field == field

    def test_every_spend_is_audited(self, db, officer, dataset):
        entry = spend(db, officer, dataset, 0.25)
        db.commit()
        event = db.scalars(select(AuditEvent).where(AuditEvent.action == "disclosure.ledger_spend")
                           .order_by(AuditEvent.id.desc())).first()
        assert event.entity_id == str(dataset.id)
        assert event.details["entry"] == entry.id
        assert event.details["epsilon"] == 0.25


class TestAppendOnly:
    def test_an_entry_cannot_be_changed(self, db, officer, dataset):
        entry = spend(db, officer, dataset, 0.2)
        entry.epsilon = 0.01
        with pytest.raises(ImmutableRecord):
            db.flush()
        db.rollback()

    def test_an_entry_cannot_be_deleted(self, db, officer, dataset):
        entry = spend(db, officer, dataset, 0.2)
        db.delete(entry)
        with pytest.raises(ImmutableRecord):
            db.flush()
        db.rollback()


class TestPrepareDpTableOverBudget:
    def test_refuses_and_writes_nothing(self, db, officer, dataset):
        spend(db, officer, dataset, 0.9)
        db.commit()
        releases = db.scalar(select(func.count()).select_from(Release))
        entries = db.scalar(select(func.count()).select_from(LedgerEntry))
        with pytest.raises(Conflict, match="remains"):
            service.prepare_dp_table(db, principal=officer, data=DpTablePrepare(
                dataset_id=dataset.id, title="Returns by nationality", dimensions=["nationality"], epsilon=0.5))
        db.rollback()
        assert db.scalar(select(func.count()).select_from(Release)) == releases
        assert db.scalar(select(func.count()).select_from(LedgerEntry)) == entries


class TestListLedger:
    def test_dpo_reads_the_entries_in_order(self, db, officer, dpo, dataset):
        first, second = spend(db, officer, dataset, 0.1), spend(db, officer, dataset, 0.2)
        _, entries = ledger.list_ledger(db, principal=dpo, dataset_id=dataset.id)
        assert [e.id for e in entries] == [first.id, second.id]

    def test_data_officer_may_not_read_the_ledger(self, db, officer, dataset):
        with pytest.raises(Forbidden):
            ledger.list_ledger(db, principal=officer, dataset_id=dataset.id)
