"""What the duplicate check, the review queue and merges accept and return."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from crossroads.dedup.models import CandidateSource, CandidateStatus
from crossroads.kit.inputs import InputModel, MultiLine, RowId
from crossroads.people.schemas import AliasOut, DocumentOut

OTHER_OFFICE = "a possible match exists in another office — ask your supervisor"

Comment = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), MultiLine]


class ReasonOut(BaseModel):
    field: str
    level: str
    agreed: bool
    weight: float


class CandidateOut(BaseModel):
    """A likely duplicate: with its data when the user may see the person, otherwise only the signal."""

    visible: bool
    message: str | None = None
    person_id: uuid.UUID | None = None
    probability: float | None = None
    match_weight: float | None = None
    given_name: str | None = None
    family_name: str | None = None
    date_of_birth: date | None = None
    sex: str | None = None
    nationality: str | None = None
    office_id: uuid.UUID | None = None
    reasons: list[ReasonOut] = Field(default_factory=list)


class CheckOut(BaseModel):
    candidates: list[CandidateOut]
    hidden: int
    model_version: str


class PairPersonOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    office_id: uuid.UUID
    given_name: str
    family_name: str
    sex: str
    date_of_birth: date | None
    date_of_birth_estimated: bool
    nationality: str | None
    phone: str | None
    aliases: list[AliasOut] = Field(validation_alias="names")
    documents: list[DocumentOut]
    merged_into_id: uuid.UUID | None


class PairOut(BaseModel):
    id: int
    probability: float
    match_weight: float
    reasons: list[ReasonOut]
    model_version: str
    source: CandidateSource
    status: CandidateStatus
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    comment: str | None
    # Why the person was registered although this pair was shown at registration.
    registration_reason: str | None
    created_at: datetime
    # Null where the user may not see that person: the pair touches another office.
    person_a: PairPersonOut | None
    person_b: PairPersonOut | None


class PairList(BaseModel):
    items: list[PairOut]
    next_cursor: str | None


class DecisionIn(InputModel):
    comment: Comment | None = None


class MergeIn(InputModel):
    survivor_id: uuid.UUID
    merged_id: uuid.UUID
    candidate_id: RowId | None = None
    comment: Comment | None = None


class MergeOut(BaseModel):
    id: int
    survivor_id: uuid.UUID
    merged_id: uuid.UUID
    candidate_id: int | None
    moved: dict[str, Any]
    comment: str | None
    merged_by: uuid.UUID | None
    merged_at: datetime
    unmerged_by: uuid.UUID | None
    unmerged_at: datetime | None


class TeachIn(InputModel):
    # Pseudo-pairs the current model's m probabilities are worth (engine/learning.py).
    strength: float = Field(default=50.0, gt=0, le=100_000)


class ModelVersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    version: str
    active: bool
    created_at: datetime
    parent_version: str | None
    # Decisions it was learnt from; null for a model trained elsewhere (Splink) and recorded here.
    labels: int | None
    activated_at: datetime | None


class MetricsOut(BaseModel):
    pairs: int
    matches: int
    precision: float | None
    recall: float | None
    f1: float | None
    log_loss: float | None


class ModelComparisonOut(BaseModel):
    """A version beside the active one on the held-out decisions (never used for training)."""

    model: ModelVersionOut
    active: ModelVersionOut
    threshold: float
    held_out: int
    candidate: MetricsOut
    current: MetricsOut
    provenance: dict[str, Any]
