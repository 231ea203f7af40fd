"""People who look alike, candidate pairs and merges for the duplicate tests, created through the services."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from crossroads.audit.models import AuditEvent
from crossroads.auth.policy import Principal
from crossroads.dedup.engine.comparisons import COMPARISONS
from crossroads.dedup.engine.model import MatchModel
from crossroads.dedup.index import person_record
from crossroads.dedup.models import CandidateSource, MatchCandidate, PersonMatchKey
from crossroads.intake.service import add_household_member
from crossroads.people.models import Person
from crossroads.people.schemas import HouseholdMemberCreate, PersonCreate
from tests.factories import people as pf

# One person as two offices wrote them: transliterated differently, names swapped, the day and month swapped.
ORIGINAL = {"given_name": "Mohammed", "family_name": "Hussein", "sex": "male", "date_of_birth": "1988-03-07",
            "nationality": "SDN"}
VARIANT = {"given_name": "Hussain", "family_name": "Muhammad", "sex": "male", "date_of_birth": "1988-07-03",
           "nationality": "SDN"}
STRANGER = {"given_name": "Lucía", "family_name": "Fernández", "sex": "female", "date_of_birth": "2001-11-30",
            "nationality": "COL"}


def person(db: Session, principal: Principal, base: dict, **overrides) -> Person:
    return pf.person(db, principal, **{**base, **overrides})


def payload(base: dict, **overrides) -> dict:
    return {**base, **overrides}


def child(db: Session, principal: Principal, head: Person, **overrides) -> Person:
    fields = {"given_name": "Amal", "family_name": head.family_name, "sex": "female", "date_of_birth": "2015-02-02",
              **overrides}
    data = HouseholdMemberCreate(relationship="child", person=PersonCreate(**pf.person_payload(**fields)))
    return add_household_member(db, principal=principal, person_id=head.id, data=data)


def loaded(db: Session, person_id: uuid.UUID) -> Person:
    return db.scalar(select(Person).where(Person.id == person_id)
                     .options(selectinload(Person.names), selectinload(Person.documents))
                     .execution_options(populate_existing=True))


def pair(db: Session, a: Person, b: Person) -> MatchCandidate:
    """Score the two people with the active model and put the pair on the queue."""
    from crossroads.dedup.service import active_model, queue_pairs

    model = active_model(db)
    score = model.score(person_record(loaded(db, a.id)), person_record(loaded(db, b.id)))
    queue_pairs(db, [(a.id, b.id, score)], model=model, source=CandidateSource.BATCH)
    lo, hi = sorted([a.id, b.id], key=str)
    return db.scalar(select(MatchCandidate).where(MatchCandidate.person_a_id == lo, MatchCandidate.person_b_id == hi))


def keys_of(db: Session, person_id: uuid.UUID) -> set[str]:
    return set(db.scalars(select(PersonMatchKey.key).where(PersonMatchKey.person_id == person_id)))


def events(db: Session, action: str) -> list[AuditEvent]:
    """The trail's events of this action, after committing (a savepoint in tests) so queued ones are written."""
    db.commit()
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def count(db: Session, model) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


# Fields where agreement by chance is common: a weak, two-level comparison.
_COMMON = {"sex": (0.95, 0.5), "nationality": (0.9, 0.3)}


def _levels(field: str, labels: list[str]) -> list[tuple[str, float, float]]:
    """Plausible m and u probabilities, strongest level first: agreement is rare by chance, common in a match."""
    if field in _COMMON:
        m, u = _COMMON[field]
        return [(labels[0], m, u), (labels[1], 1 - m, 1 - u)]
    n = len(labels) - 1
    levels = [(label, 0.6 / 2 ** i, 0.0008 * 2 ** i) for i, label in enumerate(labels[:-1])]
    return [*levels, (labels[-1], 0.6 / 2 ** n, 0.95)]


def match_model(version: str = "test-model-1") -> MatchModel:
    """A model with hand-set parameters, so these tests do not move whenever the shipped model is retrained."""
    return MatchModel(version=version, prior=0.001,
                      levels=[_levels(c.field, [level.label for level in c.levels]) for c in COMPARISONS])
