"""Eligibility: rule set versions, screenings, determinations, overrides and appeals."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from crossroads.db.base import Base, UUIDPrimaryKey, str_enum, utcnow


class RuleSetStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    RETIRED = "retired"


class Outcome(StrEnum):
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    UNDETERMINED = "undetermined"


class OverrideStatus(StrEnum):
    # In force at once: the override needed nobody's approval.
    APPLIED = "applied"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class AppealStatus(StrEnum):
    LODGED = "lodged"
    UNDER_REVIEW = "under_review"
    UPHELD = "upheld"
    OVERTURNED = "overturned"
    WITHDRAWN = "withdrawn"


class RuleSetVersion(Base):
    __tablename__ = "eligibility_rule_sets"
    __table_args__ = (
        UniqueConstraint("programme", "version"),
        # A programme has one active rule set at most: the database refuses a second, whatever the code does.
        Index("uq_eligibility_rule_sets_active", "programme", unique=True,
              sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme: Mapped[str] = mapped_column(ForeignKey("programmes.code"))
    version: Mapped[str] = mapped_column(String(40))
    # The rule file as written, so that any determination can be reproduced from the version it names.
    source: Mapped[str] = mapped_column(Text)
    status: Mapped[RuleSetStatus] = mapped_column(str_enum(RuleSetStatus), default=RuleSetStatus.DRAFT)
    # The programme's choice: every override of a determination under this version waits for a supervisor,
    # not only those that turn a refusal into eligibility.
    approve_every_override: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The re-evaluation diff against the rule set active when it was produced; activation requires one.
    diff_report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    diff_at: Mapped[datetime | None]
    diff_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    activated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    activated_at: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]


class Screening(UUIDPrimaryKey, Base):
    __tablename__ = "screenings"
    __table_args__ = (Index("ix_screenings_case", "case_id", "screened_at"),)

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    # The case's office when screened, for the audit trail's office column.
    office_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offices.id"))
    instrument: Mapped[str] = mapped_column(String(60))
    instrument_version: Mapped[str] = mapped_column(String(40))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Each answer's sensitivity class as the instrument declared it when answered: {question: class}.
    sensitivity: Mapped[dict[str, str]] = mapped_column(JSON)
    score: Mapped[int | None]
    # The instrument's findings from these answers ({code: true, false or null}), kept so that rules read them
    # without scoring every screening again.
    findings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    screened_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    screened_at: Mapped[datetime] = mapped_column(default=utcnow)


class Determination(UUIDPrimaryKey, Base):
    __tablename__ = "determinations"
    __table_args__ = (Index("ix_determinations_case", "case_id", "determined_at"),)

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    office_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offices.id"))
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("eligibility_rule_sets.id"), index=True)
    # Exactly what the rules read, so that the determination can be explained and reproduced later.
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    trace: Mapped[dict[str, Any]] = mapped_column(JSON)
    outcome: Mapped[Outcome] = mapped_column(str_enum(Outcome))
    priority: Mapped[int] = mapped_column(default=0)
    determined_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    determined_at: Mapped[datetime] = mapped_column(default=utcnow)
    superseded: Mapped[bool] = mapped_column(default=False)
    superseded_at: Mapped[datetime | None]


class Override(UUIDPrimaryKey, Base):
    __tablename__ = "eligibility_overrides"
    __table_args__ = (Index("ix_eligibility_overrides_office_status", "office_id", "status"),)

    determination_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("determinations.id", ondelete="CASCADE"),
                                                        index=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    office_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offices.id"))
    outcome: Mapped[Outcome] = mapped_column(str_enum(Outcome))
    reason: Mapped[str] = mapped_column(Text)
    needs_approval: Mapped[bool]
    status: Mapped[OverrideStatus] = mapped_column(str_enum(OverrideStatus))
    requested_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)
    # The appeal whose decision made this override, when it came from one.
    appeal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("eligibility_appeals.id"))


class Appeal(UUIDPrimaryKey, Base):
    __tablename__ = "eligibility_appeals"
    __table_args__ = (Index("ix_eligibility_appeals_office_status", "office_id", "status"),)

    determination_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("determinations.id", ondelete="CASCADE"),
                                                        index=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    office_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offices.id"))
    grounds: Mapped[str] = mapped_column(Text)
    # The caseworker who lodged it on the person's behalf.
    lodged_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    lodged_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[AppealStatus] = mapped_column(str_enum(AppealStatus), default=AppealStatus.LODGED)
    decision: Mapped[str | None] = mapped_column(Text)
    # The outcome an overturning decision gives the person.
    new_outcome: Mapped[Outcome | None] = mapped_column(str_enum(Outcome))
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
