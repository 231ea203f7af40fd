"""Learning from reviewers: decisions as labels, a candidate model version, its comparison, activation, rollback.

A supervisor's decision on a pair is a label: confirmed or merged is a match, "different people" a non-match,
with the pair's comparison vector stored at decision time (review.decision_gamma). One decision in
HELD_OUT_EVERY — those whose pair id is a multiple of it — is never used for training: the comparison of a new
version with the active one is made on those alone. Chosen by id, not drawn, so a decision stays on its side
however many come after it, and a version trained later never saw what an earlier comparison was made on.

A new version is learnt from the base of the active version's line (the nearest version not itself learnt from
decisions: the shipped or a trained model) with every training decision, so decisions are never counted twice
when a learnt version is learnt again. It is recorded as a candidate, not active; activating it and rolling
back are audited in the same transaction as the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crossroads.audit.service import record_event
from crossroads.auth.policy import Principal, require
from crossroads.auth.roles import Action
from crossroads.db.base import utcnow
from crossroads.dedup.engine.comparisons import COMPARISONS
from crossroads.dedup.engine.learning import DEFAULT_STRENGTH, Label, Metrics, evaluate, update_model
from crossroads.dedup.engine.model import MatchModel, ModelError, default_model
from crossroads.dedup.models import CandidateStatus, MatchCandidate, MatchModelVersion
from crossroads.dedup.service import THRESHOLD, active_row, make_active
from crossroads.kit.errors import Conflict, NotFound

HELD_OUT_EVERY = 5
# A chain of learnt versions longer than this is a loop in the data, not a lineage.
_MAX_LINEAGE = 1000


def held_out(candidate_id: int) -> bool:
    return candidate_id % HELD_OUT_EVERY == 0


@dataclass(frozen=True)
class Labels:
    training: list[Label]
    held_out: list[Label]
    # Decisions whose vector this version's comparisons cannot read (recorded before an upgrade changed them).
    unreadable: int


def decision_labels(session: Session) -> Labels:
    """Every decided pair with its comparison vector, split into training and held-out decisions."""
    rows = session.execute(select(MatchCandidate.id, MatchCandidate.status, MatchCandidate.decided_gamma).where(
        MatchCandidate.status != CandidateStatus.OPEN, MatchCandidate.decided_gamma.is_not(None))
        .order_by(MatchCandidate.id)).all()
    training: list[Label] = []
    kept: list[Label] = []
    unreadable = 0
    for candidate_id, status, gamma in rows:
        if not isinstance(gamma, list) or len(gamma) != len(COMPARISONS):
            unreadable += 1
            continue
        label = Label(tuple(int(g) for g in gamma), status == CandidateStatus.CONFIRMED)
        (kept if held_out(candidate_id) else training).append(label)
    return Labels(training=training, held_out=kept, unreadable=unreadable)


def _model_of(row: MatchModelVersion) -> MatchModel:
    try:
        return MatchModel.from_json(row.parameters)
    except ModelError:
        raise Conflict("this model version does not fit this version's comparisons", field="version") from None


def _by_version(session: Session, version: str) -> MatchModelVersion:
    row = session.scalar(select(MatchModelVersion).where(MatchModelVersion.version == version))
    if row is None:
        raise NotFound("no such model version", field="version")
    return row


def _base_of(session: Session, row: MatchModelVersion) -> MatchModel:
    """The nearest version in the row's line that was not learnt from decisions."""
    for _ in range(_MAX_LINEAGE):
        if row.labels is None or row.parent_version is None:
            break
        parent = session.scalar(select(MatchModelVersion).where(MatchModelVersion.version == row.parent_version))
        if parent is None:
            break
        row = parent
    try:
        return MatchModel.from_json(row.parameters)
    except ModelError:
        # As the online check does with a model older than its comparisons: start again from the shipped one.
        return default_model()


def _new_version(session: Session) -> str:
    stem = f"reviewed-{utcnow():%Y%m%d-%H%M%S}"
    taken = set(session.scalars(select(MatchModelVersion.version).where(MatchModelVersion.version.like(f"{stem}%"))))
    version, n = stem, 1
    while version in taken:
        n += 1
        version = f"{stem}-{n}"
    return version


def train_version(session: Session, *, principal: Principal | None,
                  strength: float = DEFAULT_STRENGTH) -> MatchModelVersion:
    """Learn a candidate model version from the reviewers' training decisions (not activated)."""
    if principal is not None:
        require(principal, Action.DEDUP_MODEL_TRAIN)
    labels = decision_labels(session)
    if not labels.training:
        raise Conflict("no decided pairs to learn from yet: decide pairs in the review queue first",
                       field="decisions")
    parent = active_row(session)
    base = _base_of(session, parent)
    now = utcnow()
    version = _new_version(session)
    model = update_model(base, labels.training, version=version, trained_at=now.isoformat(timespec="seconds"),
                         strength=strength)
    provenance = {"parent_version": parent.version, "base_version": base.version,
                  "labels": len(labels.training), "matches": sum(lb.match for lb in labels.training),
                  "held_out": len(labels.held_out), "strength": strength, "date": now.isoformat(timespec="seconds")}
    row = MatchModelVersion(version=version, parameters=model.to_json() | {"provenance": provenance}, active=False,
                            parent_version=parent.version, labels=len(labels.training),
                            created_by=principal.user_id if principal else None)
    session.add(row)
    session.flush()
    record_event(session, actor=principal, action="dedup.model_train", entity_type="match_model", entity_id=row.id,
                 details={"version": version, "parent": parent.version, "base": base.version,
                          "labels": len(labels.training), "held_out": len(labels.held_out)})
    return row


@dataclass(frozen=True)
class Comparison:
    """A version beside the active one on the held-out decisions, at the review threshold."""

    row: MatchModelVersion
    active: MatchModelVersion
    threshold: float
    held_out: int
    candidate: Metrics
    current: Metrics

    @property
    def provenance(self) -> dict[str, Any]:
        value = self.row.parameters.get("provenance") if isinstance(self.row.parameters, dict) else None
        return value if isinstance(value, dict) else {}


def compare_version(session: Session, *, principal: Principal | None, version: str) -> Comparison:
    """How a version and the active one do on the held-out decisions: precision, recall, F1, log-loss."""
    if principal is not None:
        require(principal, Action.DEDUP_MODEL_READ)
    row = _by_version(session, version)
    active = active_row(session)
    labels = decision_labels(session).held_out
    return Comparison(row=row, active=active, threshold=THRESHOLD, held_out=len(labels),
                      candidate=evaluate(_model_of(row), labels, threshold=THRESHOLD),
                      current=evaluate(_model_of(active), labels, threshold=THRESHOLD))


def list_versions(session: Session, *, principal: Principal | None) -> list[MatchModelVersion]:
    """Every recorded version, newest first."""
    if principal is not None:
        require(principal, Action.DEDUP_MODEL_READ)
    active_row(session)
    return list(session.scalars(select(MatchModelVersion).order_by(MatchModelVersion.id.desc())))


def count_decisions(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(MatchCandidate).where(
        MatchCandidate.status != CandidateStatus.OPEN, MatchCandidate.decided_gamma.is_not(None))) or 0


def activate_version(session: Session, *, principal: Principal | None, version: str) -> MatchModelVersion:
    """Make a recorded version the one online checks and runs score with; the one it replaces is remembered."""
    if principal is not None:
        require(principal, Action.DEDUP_MODEL_ACTIVATE)
    active_row(session)
    row = _by_version(session, version)
    if row.active:
        raise Conflict("this version is already active", field="version")
    _model_of(row)
    previous = make_active(session, row)
    record_event(session, actor=principal, action="dedup.model_activate", entity_type="match_model",
                 entity_id=row.id, details={"version": row.version,
                                            "replaced": previous.version if previous else None})
    return row


def rollback_version(session: Session, *, principal: Principal | None) -> MatchModelVersion:
    """Go back to the version the active one replaced."""
    if principal is not None:
        require(principal, Action.DEDUP_MODEL_ACTIVATE)
    current = active_row(session)
    if current.replaced_id is None:
        raise Conflict("the active version replaced no earlier version: there is nothing to roll back to",
                       field="version")
    target = session.get(MatchModelVersion, current.replaced_id)
    if target is None:
        raise Conflict("the version the active one replaced is no longer recorded", field="version")
    _model_of(target)
    make_active(session, target, remember=False)
    record_event(session, actor=principal, action="dedup.model_rollback", entity_type="match_model",
                 entity_id=target.id, details={"version": target.version, "from": current.version})
    return target
