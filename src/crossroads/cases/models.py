"""Cases in the agency's programmes: versions of programme configuration, cases and everything worked on them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crossroads.db.base import Base, Timestamps, UUIDPrimaryKey, utcnow
from crossroads.people.models import Person


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
