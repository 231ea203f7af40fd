"""Organisations, offices, staff accounts and their credentials."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, Enum, ForeignKey, Index, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crossroads.auth.roles import OrganisationKind, Role
from crossroads.db.base import Base, Timestamps, UUIDPrimaryKey, utcnow

user_offices = Table(
    "user_offices",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("office_id", ForeignKey("offices.id", ondelete="RESTRICT"), primary_key=True),
)


class Organisation(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "organisations"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(
        Enum(OrganisationKind, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )

    offices: Mapped[list[Office]] = relationship(back_populates="organisation", lazy="raise")


class Office(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "offices"

    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(120))
    country: Mapped[str | None] = mapped_column(String(3))
    active: Mapped[bool] = mapped_column(default=True)
    # Last case number handed out in this office; incremented under a row lock.
    case_counter: Mapped[int] = mapped_column(default=0)

    organisation: Mapped[Organisation] = relationship(back_populates="offices", lazy="raise")


class User(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    last_login_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship(lazy="raise")
    offices: Mapped[list[Office]] = relationship(secondary=user_offices, lazy="raise", order_by=Office.code)


class AuthToken(Base):
    """A browser session or an API bearer token; only its SHA-256 is stored."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class LoginAttempt(Base):
    """Failed logins, kept to throttle guessing across all server processes (auth/throttle.py).

    `ip` holds the source as the throttle counts it: an IPv4 address, or an IPv6 address's /64 network.
    """

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "attempted_at"),
        Index("ix_login_attempts_ip_at", "ip", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
