"""Cases in the agency's programmes and their notes."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crossroads.db.base import Base, Timestamps, UUIDPrimaryKey, utcnow
from crossroads.people.models import Person


class Programme(Base):
    __tablename__ = "programmes"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)


class Case(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_office_opened", "office_id", "opened_at"),)

    case_number: Mapped[str] = mapped_column(String(40), unique=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    programme: Mapped[str] = mapped_column(ForeignKey("programmes.code"), index=True)
    office_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offices.id"))
    state: Mapped[str] = mapped_column(String(40), default="open")
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
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
