"""Duplicate detection on the registry: blocking keys, match models, the review queue and merges."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from crossroads.db.base import Base, Timestamps, str_enum, utcnow


class CandidateStatus(StrEnum):
    OPEN = "open"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class CandidateSource(StrEnum):
    ONLINE = "online"
    BATCH = "batch"


class PersonMatchKey(Base):
    """One blocking key of a person: the online check finds candidates by looking their keys up here."""

    __tablename__ = "person_match_keys"
    __table_args__ = (Index("ix_person_match_keys_key", "key", "person_id"),)

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    # Binary collation on PostgreSQL: keys are compared byte for byte, and the index stays the cheapest kind.
    key: Mapped[str] = mapped_column(String(64).with_variant(String(64, collation="C"), "postgresql"),
                                     primary_key=True)


class MatchModelVersion(Base):
    """A version of the match model that scored candidates; the active one scores new checks.

    A version learnt from reviewers' decisions is recorded as a candidate (not active) with the version it
    was learnt from; activating it remembers which version it replaced, so a rollback goes back along that chain.
    """

    __tablename__ = "match_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(default=False)
    parent_version: Mapped[str | None] = mapped_column(String(64))
    # How many decisions trained it (None for a model trained elsewhere and recorded here).
    labels: Mapped[int | None]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    activated_at: Mapped[datetime | None]
    replaced_id: Mapped[int | None] = mapped_column(ForeignKey("match_models.id"))


class MatchCandidate(Timestamps, Base):
    """A pair of people who may be one person, waiting for (or carrying) a supervisor's decision.

    The pair is stored in a canonical order (the smaller id first) so it is unique whichever side was found.
    """

    __tablename__ = "match_candidates"
    __table_args__ = (
        UniqueConstraint("person_a_id", "person_b_id"),
        Index("ix_match_candidates_status_probability", "status", "probability"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_a_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    person_b_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    probability: Mapped[float] = mapped_column(Float)
    match_weight: Mapped[float] = mapped_column(Float)
    # The engine's reasons: field, comparison level and weight; names of fields, never their values.
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    model_version: Mapped[str] = mapped_column(String(64))
    source: Mapped[CandidateSource] = mapped_column(str_enum(CandidateSource))
    status: Mapped[CandidateStatus] = mapped_column(str_enum(CandidateStatus), default=CandidateStatus.OPEN)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    comment: Mapped[str | None] = mapped_column(Text)
    # Why the person who registered one of the two went ahead although this pair was shown to them.
    registration_reason: Mapped[str | None] = mapped_column(Text)
    # The pair's comparison vector (one level per comparison of engine/comparisons.py) when it was decided: a
    # decision is a label for learning, and the records may change or be merged afterwards (dedup/learning.py).
    decided_gamma: Mapped[list[int] | None] = mapped_column(JSON)


class PersonMerge(Base):
    """One merge of a person into a survivor, with exactly what moved so that unmerge can put it back."""

    __tablename__ = "person_merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    merged_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("match_candidates.id", ondelete="SET NULL"))
    # Ids of the rows that moved to the survivor and of the rows the merge created, plus the household
    # memberships before the merge: see merges.py for the shape.
    moved: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    comment: Mapped[str | None] = mapped_column(Text)
    merged_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    merged_at: Mapped[datetime] = mapped_column(default=utcnow)
    unmerged_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    unmerged_at: Mapped[datetime | None]


class BatchJob(Base):
    """A registry-wide job (`dedup run`, `dedup reindex`) that commits a chunk of people at a time.

    People are taken in id order; `high_water` is the last id of the last committed chunk, written in that
    chunk's transaction, so a job killed midway resumes after it and nothing is done twice or left out.
    At most one unfinished job of a kind: the partial unique index makes a second start wait for or join it.
    """

    __tablename__ = "dedup_batch_jobs"
    __table_args__ = (
        Index("ux_dedup_batch_jobs_unfinished", "kind", unique=True,
              sqlite_where=text("finished_at IS NULL"), postgresql_where=text("finished_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    # What the job runs with (the model version of a run): resuming with something else starts afresh.
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    high_water: Mapped[uuid.UUID | None]
    # The running totals of the committed chunks, reported (and audited) when the job ends.
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
