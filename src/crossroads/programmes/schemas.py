"""What the programmes API accepts and returns."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ProgrammeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    name: str
    current_version_id: int | None = None


class ProgrammeVersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    programme: str
    version: int
    config: dict[str, Any]
    comment: str | None


class ProgrammeVersionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    config: dict[str, Any]
    comment: str | None = Field(None, max_length=500)
