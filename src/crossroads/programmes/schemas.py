"""What the programmes API accepts and returns."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from crossroads.kit.inputs import InputModel, MultiLine


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


class ProgrammeVersionCreate(InputModel):
    config: dict[str, Any]
    comment: Annotated[str, Field(max_length=500), MultiLine] | None = None
