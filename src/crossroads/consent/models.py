"""Consents a person gave to share categories of their data with an organisation for a purpose."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crossroads.consent.coverage import Category, Grant, Method, Purpose
from crossroads.db.base import Base, UUIDPrimaryKey, str_enum, utcnow


class Consent(UUIDPrimaryKey, Base):
    __tablename__ = "consents"
    # A referral checks the consents of one person for one recipient at every read.
    __table_args__ = (Index("ix_consents_person_recipient", "person_id", "recipient_organisation_id"),)

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    # The person's office when the consent was recorded, for the audit trail's office column.
    office_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offices.id"))
    recipient_organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    purpose: Mapped[Purpose] = mapped_column(
        Enum(Purpose, native_enum=False, length=40, values_callable=lambda e: [m.value for m in e]))
    categories: Mapped[list[str]] = mapped_column(JSON)
    method: Mapped[Method] = mapped_column(str_enum(Method))
    guardian_name: Mapped[str | None] = mapped_column(String(200))
    guardian_relationship: Mapped[str | None] = mapped_column(String(100))
    given_on: Mapped[date]
    expires_on: Mapped[date]
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    revocation_reason: Mapped[str | None] = mapped_column(Text)

    def grant(self) -> Grant:
        return Grant(recipient_id=self.recipient_organisation_id, purpose=self.purpose,
                     categories=frozenset(Category(c) for c in self.categories), expires_on=self.expires_on,
                     revoked=self.revoked_at is not None, given_on=self.given_on)
