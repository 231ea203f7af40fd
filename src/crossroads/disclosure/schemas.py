"""Pydantic input and output models of releases, datasets, the ledger, agreements and exchange packages."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from crossroads.disclosure.models import ReleaseKind, ReleaseStatus
from crossroads.kit.inputs import InputModel, IsoDate, MultiLine, RowId, SingleLine

_NAME = r"^[a-z][a-z0-9_]{0,59}$"


class _In(InputModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


Title = Annotated[str, Field(min_length=1, max_length=200), SingleLine]


class DatasetCreate(_In):
    name: Annotated[str, Field(min_length=1, max_length=120), SingleLine]
    description: Annotated[str, Field(max_length=2000), MultiLine] = ""
    programme: Annotated[str, Field(max_length=40), SingleLine] | None = None
    epsilon_budget: float = Field(gt=0, le=100, description="Total ε the dataset's DP releases may spend.")
    delta_budget: float = Field(0.0, ge=0, lt=1e-3, description="Total δ the dataset's DP releases may spend.")


class DatasetOut(_Out):
    id: uuid.UUID
    name: str
    description: str
    programme: str | None
    epsilon_budget: float
    delta_budget: float
    epsilon_spent: float
    delta_spent: float
    created_at: datetime


class ColumnOut(BaseModel):
    name: str
    type: str
    description: str
    hxl: str
    identifier: bool


class SummaryOut(BaseModel):
    by: list[str]
    method: str
    threshold: int
    primary_suppressed: int
    secondary_suppressed: int
    # One row per combination present: the columns counted by, and `count` (null where withheld).
    rows: list[dict[str, Any]]


class LedgerEntryOut(_Out):
    id: int
    release_id: uuid.UUID
    epsilon: float
    delta: float
    spent_by: uuid.UUID | None
    spent_at: datetime


class LedgerOut(BaseModel):
    dataset_id: uuid.UUID
    epsilon_budget: float
    delta_budget: float
    epsilon_spent: float
    delta_spent: float
    entries: list[LedgerEntryOut]


class MicrodataPrepare(_In):
    dataset_id: uuid.UUID
    title: Title
    # The engine's release spec (k, l, max_suppression, columns with roles and hierarchies); validated there.
    spec: dict[str, Any]


class DpTablePrepare(_In):
    dataset_id: uuid.UUID
    title: Title
    dimensions: list[Annotated[str, Field(max_length=60), SingleLine]] = Field(min_length=1, max_length=4)
    epsilon: float = Field(gt=0, le=10)
    delta: float = Field(0.0, ge=0, lt=1e-3, description="Needed (> 0) when a dimension has no public key set.")
    max_contributions: int = Field(1, ge=1, le=20, description="Cases counted per person at most.")

    @field_validator("dimensions")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("each dimension may appear once")
        return v


class ReleaseFileOut(_Out):
    name: str
    media_type: str
    size: int
    sha256: str


class ReleaseOut(_Out):
    id: uuid.UUID
    dataset_id: uuid.UUID
    title: str
    kind: ReleaseKind
    status: ReleaseStatus
    spec: dict[str, Any]
    report: dict[str, Any]
    epsilon: float | None
    delta: float | None
    row_count: int
    software_version: str
    prepared_by: uuid.UUID
    prepared_at: datetime
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    decision_comment: str | None
    files: list[ReleaseFileOut]


class ReleaseBrief(_Out):
    id: uuid.UUID
    dataset_id: uuid.UUID
    title: str
    kind: ReleaseKind
    status: ReleaseStatus
    row_count: int
    prepared_by: uuid.UUID
    prepared_at: datetime
    decided_by: uuid.UUID | None


class Decision(_In):
    comment: Annotated[str, Field(max_length=2000), MultiLine] | None = None


class Rejection(_In):
    comment: Annotated[str, Field(min_length=1, max_length=2000), MultiLine]


class AgreementCreate(_In):
    organisation_id: uuid.UUID
    title: Title
    purpose: Annotated[str, Field(min_length=1, max_length=4000), MultiLine]
    fields: list[Annotated[str, Field(max_length=60)]] = Field(min_length=1, max_length=200)
    valid_from: IsoDate
    expires_on: IsoDate

    @field_validator("fields")
    @classmethod
    def _names(cls, v: list[str]) -> list[str]:
        bad = [f for f in v if not re.match(_NAME, f)]
        if bad:
            raise ValueError(f"not a field name: {', '.join(bad)}")
        return sorted(set(v))

    @model_validator(mode="after")
    def _dates(self) -> AgreementCreate:
        if self.expires_on < self.valid_from:
            raise ValueError("expires_on must not be before valid_from")
        return self


class RecipientKeyIn(_In):
    label: Annotated[str, Field(min_length=1, max_length=120), SingleLine]
    public_key: Annotated[str, Field(min_length=1, max_length=64,
                                     description="x25519:… from `crossroads exchange keygen`"), SingleLine]


class RecipientKeyOut(_Out):
    id: int
    label: str
    public_key: str
    fingerprint: str
    added_at: datetime
    revoked_at: datetime | None


class AgreementOut(_Out):
    id: uuid.UUID
    organisation_id: uuid.UUID
    title: str
    purpose: str
    fields: list[str]
    valid_from: date
    expires_on: date
    keys: list[RecipientKeyOut]


class PackageIssue(_In):
    release_id: uuid.UUID
    recipient_key_id: RowId | None = Field(None, description="Default: the agreement's newest active key.")


class PackageOut(_Out):
    id: uuid.UUID
    agreement_id: uuid.UUID
    release_id: uuid.UUID
    recipient_key_id: int
    fields: list[str]
    row_count: int
    size: int
    sha256: str
    signer_fingerprint: str
    issued_by: uuid.UUID | None
    issued_at: datetime


class SignerOut(BaseModel):
    public_key: str
    fingerprint: str
