"""The privacy-budget ledger: every DP release spends ε and δ of its dataset's budget, never beyond it.

Append-only: entries are inserted by `spend_budget` and nothing else; there is no update or delete path,
and `models._refuse_changes` stops any flush that would alter or remove one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crossroads.audit.service import record_event
from crossroads.auth.policy import Principal, require
from crossroads.auth.roles import Action
from crossroads.disclosure.models import Dataset, LedgerEntry
from crossroads.kit.errors import Conflict, Invalid, NotFound
from crossroads.kit.i18n import N_, Message

# Sums of floats drift in the last bits; a spend that fits the budget exactly must not be refused for it.
_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Budget:
    epsilon_budget: float
    delta_budget: float
    epsilon_spent: float
    delta_spent: float

    @property
    def epsilon_remaining(self) -> float:
        return max(0.0, self.epsilon_budget - self.epsilon_spent)

    @property
    def delta_remaining(self) -> float:
        return max(0.0, self.delta_budget - self.delta_spent)


def budget_of(session: Session, dataset: Dataset) -> Budget:
    eps, delta = session.execute(
        select(func.coalesce(func.sum(LedgerEntry.epsilon), 0.0), func.coalesce(func.sum(LedgerEntry.delta), 0.0))
        .where(LedgerEntry.dataset_id == dataset.id)
    ).one()
    return Budget(dataset.epsilon_budget, dataset.delta_budget, float(eps), float(delta))


def check_budget(session: Session, dataset: Dataset, *, epsilon: float, delta: float) -> Budget:
    """Refuse a spend the dataset's remaining budget does not cover, saying how much is left."""
    if epsilon <= 0:
        raise Invalid("ε must be greater than 0", field="epsilon")
    if delta < 0:
        raise Invalid("δ cannot be negative", field="delta")
    budget = budget_of(session, dataset)
    if budget.epsilon_spent + epsilon > budget.epsilon_budget + _TOLERANCE:
        amounts = {"spend": f"{epsilon:g}", "left": f"{budget.epsilon_remaining:g}",
                   "budget": f"{budget.epsilon_budget:g}"}
        raise Conflict(Message(N_("the release would spend ε=%(spend)s but only ε=%(left)s of the dataset's budget "
                                  "ε=%(budget)s remains"), amounts), field="epsilon", extra=_extra(budget))
    if budget.delta_spent + delta > budget.delta_budget + _TOLERANCE:
        amounts = {"spend": f"{delta:g}", "left": f"{budget.delta_remaining:g}", "budget": f"{budget.delta_budget:g}"}
        raise Conflict(Message(N_("the release would spend δ=%(spend)s but only δ=%(left)s of the dataset's budget "
                                  "δ=%(budget)s remains"), amounts), field="delta", extra=_extra(budget))
    return budget


def _extra(budget: Budget) -> dict:
    return {"epsilon_budget": budget.epsilon_budget, "epsilon_spent": budget.epsilon_spent,
            "delta_budget": budget.delta_budget, "delta_spent": budget.delta_spent}


def lock_dataset(session: Session, dataset_id: uuid.UUID) -> Dataset:
    """The dataset row, locked so that two releases cannot both spend the last of its budget.

    PostgreSQL locks the row; SQLite transactions already hold the database write lock (BEGIN IMMEDIATE).
    """
    dataset = session.scalar(select(Dataset).where(Dataset.id == dataset_id).with_for_update()
                             .execution_options(populate_existing=True))
    if dataset is None:
        raise NotFound("no such dataset", field="dataset_id")
    return dataset


def spend_budget(session: Session, *, principal: Principal, dataset: Dataset, release_id: uuid.UUID,
                 epsilon: float, delta: float) -> LedgerEntry:
    """Append a spend to the ledger, in the caller's transaction, or refuse it when over budget."""
    budget = check_budget(session, dataset, epsilon=epsilon, delta=delta)
    entry = LedgerEntry(dataset_id=dataset.id, release_id=release_id, epsilon=epsilon, delta=delta,
                        spent_by=principal.user_id)
    session.add(entry)
    session.flush()
    record_event(session, actor=principal, action="disclosure.ledger_spend", entity_type="dataset",
                 entity_id=dataset.id,
                 details={"release": str(release_id), "entry": entry.id, "epsilon": epsilon, "delta": delta,
                          "epsilon_spent": budget.epsilon_spent + epsilon, "delta_spent": budget.delta_spent + delta})
    return entry


def list_ledger(session: Session, *, principal: Principal, dataset_id: uuid.UUID) -> tuple[Dataset, list[LedgerEntry]]:
    """A dataset's ledger, oldest spend first."""
    require(principal, Action.LEDGER_READ)
    dataset = session.get(Dataset, dataset_id)
    if dataset is None:
        raise NotFound("no such dataset", field="dataset_id")
    entries = list(session.scalars(select(LedgerEntry).where(LedgerEntry.dataset_id == dataset_id)
                                   .order_by(LedgerEntry.id)))
    return dataset, entries
