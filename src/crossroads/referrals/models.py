"""Referrals of a case to a service: another office or programme of the agency, or a partner's service."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crossroads.consent.coverage import Purpose
from crossroads.db.base import Base, UUIDPrimaryKey, str_enum, utcnow
from crossroads.referrals.lifecycle import ReferralState


class ReferralKind(StrEnum):
    INTERNAL = "internal"
    EXTERNAL = "external"


class DeclineReason(StrEnum):
    NO_CAPACITY = "no_capacity"
    NOT_ELIGIBLE = "not_eligible"
    OUTSIDE_SERVICE_AREA = "outside_service_area"
    SERVICE_NOT_OFFERED = "service_not_offered"
    PERSON_UNREACHABLE = "person_unreachable"
    OTHER = "other"


class Outcome(StrEnum):
    SERVICE_PROVIDED = "service_provided"
    PARTLY_PROVIDED = "partly_provided"
    REFERRED_ONWARD = "referred_onward"
    PERSON_DECLINED = "person_declined"


class Referral(UUIDPrimaryKey, Base):
    __tablename__ = "referrals"
    __table_args__ = (
        # A partner's inbox: its organisation's referrals, newest sent first.
        Index("ix_referrals_inbox", "to_organisation_id", "sent_at"),
        # The referring office's list and its overdue flags.
        Index("ix_referrals_office_state", "office_id", "state", "due_at"),
    )

    # REF-YEAR-XXXXXXXX: what notifications and partners quote, never the person's name.
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[ReferralKind] = mapped_column(str_enum(ReferralKind))
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    # The referring office (the case's office when the referral was made).
    office_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offices.id"))
    referred_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # External: a service of the directory, and the partner organisation it is linked to.
    service_id: Mapped[str | None] = mapped_column(
        String(250), ForeignKey("directory_services.id", ondelete="SET NULL"), index=True)
    to_organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    # Internal: an office of the agency and, optionally, the programme that should take the person on.
    to_office_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("offices.id"), index=True)
    to_programme: Mapped[str | None] = mapped_column(ForeignKey("programmes.code"))
    purpose: Mapped[Purpose] = mapped_column(
        Enum(Purpose, native_enum=False, length=40, values_callable=lambda e: [m.value for m in e]))
    categories: Mapped[list[str]] = mapped_column(JSON)
    state: Mapped[ReferralState] = mapped_column(str_enum(ReferralState), default=ReferralState.DRAFT)
    acknowledgement_hours: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    # When the receiver must have accepted or declined; set on sending from the service's time limit.
    due_at: Mapped[datetime | None]
    # When the referring side was told that the referral is overdue: set once, by the sweep that queues the
    # notification in the same transaction, so that no referral is announced twice whichever worker sweeps.
    overdue_notified_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    declined_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    no_show_at: Mapped[datetime | None]
    decline_reason: Mapped[DeclineReason | None] = mapped_column(str_enum(DeclineReason))
    outcome: Mapped[Outcome | None] = mapped_column(str_enum(Outcome))
    # The receiver's own words on the outcome, read by the referring caseworker on the case.
    outcome_note: Mapped[str | None] = mapped_column(Text)
    responded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def acknowledged_at(self) -> datetime | None:
        return self.accepted_at or self.declined_at

    def overdue(self, now: datetime) -> bool:
        return self.state is ReferralState.SENT and self.due_at is not None and self.due_at < now
