"""Programmes and the immutable versions of their configuration."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crossroads.db.base import Base, utcnow


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
