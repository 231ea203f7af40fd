"""Datasets, the privacy-budget ledger, releases and their files, sharing agreements and exchange packages."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from crossroads.db.base import Base, Timestamps, UUIDPrimaryKey, str_enum, utcnow


class DatasetSource(StrEnum):
    # One row per case, joined with its person: the registry as a release sees it.
    REGISTRY_CASES = "registry_cases"


class ReleaseKind(StrEnum):
    MICRODATA = "microdata"
    DP_TABLE = "dp_table"


class ReleaseStatus(StrEnum):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    REJECTED = "rejected"


class Dataset(UUIDPrimaryKey, Timestamps, Base):
    """A source the agency releases from, with the total privacy budget its DP releases may spend."""

    __tablename__ = "disclosure_datasets"
    __table_args__ = (
        CheckConstraint("epsilon_budget >= 0 AND delta_budget >= 0 AND delta_budget < 1", name="budget_range"),
    )

    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[DatasetSource] = mapped_column(str_enum(DatasetSource))
    # Only the cases of this programme, when set; counter-trafficking releases are the usual example.
    programme: Mapped[str | None] = mapped_column(ForeignKey("programmes.code"))
    epsilon_budget: Mapped[float] = mapped_column(Float)
    delta_budget: Mapped[float] = mapped_column(Float, default=0.0)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class LedgerEntry(Base):
    """One spend of privacy budget. Rows are only ever inserted: the service has no update or delete path."""

    __tablename__ = "privacy_ledger"
    __table_args__ = (CheckConstraint("epsilon > 0 AND delta >= 0", name="positive_spend"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("disclosure_datasets.id"), index=True)
    release_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("releases.id"), unique=True)
    epsilon: Mapped[float] = mapped_column(Float)
    delta: Mapped[float] = mapped_column(Float, default=0.0)
    spent_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    spent_at: Mapped[datetime] = mapped_column(default=utcnow)


class Release(UUIDPrimaryKey, Base):
    """A de-identified output of a dataset: prepared by one person, decided by another, then frozen."""

    __tablename__ = "releases"
    __table_args__ = (
        # Four eyes, also in the schema: whoever decides a release is never the one who prepared it.
        CheckConstraint("decided_by IS NULL OR decided_by <> prepared_by", name="four_eyes"),
        Index("ix_releases_status_prepared", "status", "prepared_at"),
    )

    dataset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("disclosure_datasets.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ReleaseKind] = mapped_column(str_enum(ReleaseKind))
    status: Mapped[ReleaseStatus] = mapped_column(str_enum(ReleaseStatus), default=ReleaseStatus.DRAFT)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    epsilon: Mapped[float | None] = mapped_column(Float)
    delta: Mapped[float | None] = mapped_column(Float)
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    software_version: Mapped[str] = mapped_column(String(40))
    prepared_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    prepared_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_comment: Mapped[str | None] = mapped_column(Text)

    files: Mapped[list[ReleaseFile]] = relationship(lazy="raise", order_by="ReleaseFile.id")


class ReleaseFile(Base):
    """A file of a release, written once at preparation; its checksum is verified on every download."""

    __tablename__ = "release_files"
    __table_args__ = (UniqueConstraint("release_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("releases.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    media_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # Kept in the database so that a file and its release commit or roll back together.
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class SharingAgreement(UUIDPrimaryKey, Timestamps, Base):
    """A data-sharing agreement with a partner organisation: what may leave, why, until when, for whose key."""

    __tablename__ = "sharing_agreements"

    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text)
    fields: Mapped[list[str]] = mapped_column(JSON)
    valid_from: Mapped[date]
    expires_on: Mapped[date]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    keys: Mapped[list[RecipientKey]] = relationship(lazy="raise", order_by="RecipientKey.id")


class RecipientKey(Base):
    """A recipient's X25519 public key registered under an agreement; several allow a key to be rotated."""

    __tablename__ = "recipient_keys"
    __table_args__ = (UniqueConstraint("agreement_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sharing_agreements.id"), index=True)
    label: Mapped[str] = mapped_column(String(120))
    public_key: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    added_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class ExchangePackage(UUIDPrimaryKey, Base):
    """A signed, encrypted package issued to a partner under an agreement."""

    __tablename__ = "exchange_packages"

    agreement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sharing_agreements.id"), index=True)
    release_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("releases.id"), index=True)
    recipient_key_id: Mapped[int] = mapped_column(ForeignKey("recipient_keys.id"))
    fields: Mapped[list[str]] = mapped_column(JSON)
    row_count: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    signer_fingerprint: Mapped[str] = mapped_column(String(64))
    issued_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Ciphertext only the recipient can open; kept so that the issuer can hand it over again.
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class ImmutableRecord(RuntimeError):
    """A flush tried to change what must never change; a bug, never a user error."""


_FINAL = (ReleaseStatus.APPROVED, ReleaseStatus.REJECTED)


def _old_status(release: Release) -> ReleaseStatus | None:
    history = inspect(release).attrs.status.history
    before = history.deleted or history.unchanged
    return before[0] if before else None


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, _context, _instances) -> None:
    # The services have no update or delete path for these; this catches any code that tries anyway, so
    # the ledger stays append-only and a decided release and its files stay exactly as they were decided.
    for obj in session.deleted:
        if isinstance(obj, LedgerEntry | ReleaseFile | Release | ExchangePackage):
            raise ImmutableRecord(f"{type(obj).__name__} rows are never deleted")
    for obj in session.dirty:
        if not session.is_modified(obj, include_collections=False):
            continue
        if isinstance(obj, LedgerEntry | ReleaseFile | ExchangePackage):
            raise ImmutableRecord(f"{type(obj).__name__} rows are never changed")
        if isinstance(obj, Release) and _old_status(obj) in _FINAL:
            raise ImmutableRecord("a decided release is never changed")
