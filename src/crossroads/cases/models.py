"""Cases in the agency's programmes: versions of programme configuration, cases and everything worked on them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crossroads.db.base import Base, Timestamps, UUIDPrimaryKey, utcnow
from crossroads.people.models import Person


class Programme(Base):
    __tablename__ = "programmes"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    # The version new cases open under; existing cases stay on the version they opened with.
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme_versions.id", use_alter=True, name="fk_programmes_current_version")
    )


class ProgrammeVersion(Base):
    """An immutable configuration of a programme: case form, workflow and services catalogue."""

    __tablename__ = "programme_versions"
    __table_args__ = (UniqueConstraint("programme", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme: Mapped[str] = mapped_column(ForeignKey("programmes.code"))
    version: Mapped[int]
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    comment: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Case(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_office_opened", "office_id", "opened_at"),
        Index("ix_cases_office_state", "office_id", "state"),
        Index("ix_cases_office_activity", "office_id", "last_activity_at"),
        # Keyset pages of users who see several offices read these in order instead of sorting the scope.
        Index("ix_cases_opened_id", "opened_at", "id"),
        # A name search finds thousands of cases for a common name and keeps the newest page: on PostgreSQL
        # the included columns let it rank them from the index alone, without reading every case row.
        Index("ix_cases_person_cover", "person_id",
              postgresql_include=["opened_at", "last_activity_at", "office_id", "id"]),
        Index("ix_cases_activity_id", "last_activity_at", "id"),
    )

    # Binary collation on PostgreSQL, so that a case-number prefix is a range over the unique index.
    case_number: Mapped[str] = mapped_column(String(40).with_variant(String(40, collation="C"), "postgresql"),
                                             unique=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"))
    programme: Mapped[str] = mapped_column(ForeignKey("programmes.code"), index=True)
    office_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offices.id"))
    programme_version_id: Mapped[int | None] = mapped_column(ForeignKey("programme_versions.id"))
    state: Mapped[str] = mapped_column(String(40), default="open")
    # Programme-specific fields, validated against the case's programme version.
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    assigned_to: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    version: Mapped[int] = mapped_column(default=1)

    person: Mapped[Person] = relationship(lazy="raise")
    notes: Mapped[list[CaseNote]] = relationship(
        back_populates="case", lazy="raise", cascade="all, delete-orphan", order_by="CaseNote.created_at"
    )

    __mapper_args__ = {"version_id_col": version}


class CaseNote(Base):
    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="notes", lazy="raise")


class CaseFlag(Base):
    """One row per flag on a case, so that filtering by flag is an index lookup."""

    __tablename__ = "case_flags"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    flag: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class CaseApproval(Base):
    """A transition that needs a supervisor's approval, pending until decided."""

    __tablename__ = "case_approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[str] = mapped_column(String(40))
    to_state: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    requested_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    comment: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_comment: Mapped[str | None] = mapped_column(Text)


class CaseTransfer(Base):
    """A request to move a case to another caseworker or office; the receiver accepts or declines."""

    __tablename__ = "case_transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    from_office_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offices.id"))
    to_office_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offices.id"), index=True)
    to_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    reason: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_comment: Mapped[str | None] = mapped_column(Text)


class CaseTask(Base):
    __tablename__ = "case_tasks"
    __table_args__ = (Index("ix_case_tasks_open_due", "completed_at", "due_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    due_date: Mapped[date | None]
    assigned_to: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class CaseService(Base):
    """A service in the case's plan, and its delivery: what, when, by whom, at what cost."""

    __tablename__ = "case_services"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    service_code: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12), default="planned")
    planned_date: Mapped[date | None]
    delivered_date: Mapped[date | None]
    provider: Mapped[str | None] = mapped_column(String(200))
    delivered_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseAttachment(UUIDPrimaryKey, Base):
    """A file kept with the case, in the database so that it shares the case's transaction and scope."""

    __tablename__ = "case_attachments"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseLink(Base):
    """Cases of one family or household, linked both ways."""

    __tablename__ = "case_links"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    linked_case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"),
                                                      primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), default="family")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
