"""What the auth and administration API accepts and returns."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from crossroads.auth.passwords import MIN_PASSWORD_LENGTH
from crossroads.auth.roles import OrganisationKind, Role
from crossroads.kit.codes import check_country
from crossroads.kit.i18n import LOCALES, N_, Message
from crossroads.kit.inputs import InputModel, SingleLine

Email = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=3, max_length=254,
                                         pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), SingleLine]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), SingleLine]


def _interface_language(code: str) -> str:
    if code not in LOCALES:
        raise ValueError(Message(N_("must be one of %(expected)s"), {"expected": ", ".join(LOCALES)}))
    return code


# The language a user's pages are shown in when they have not chosen one with the switcher.
UserLocale = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, max_length=10),
                       AfterValidator(_interface_language)]
# A password is typed, never pasted from a document: control characters in one are a client's mistake.
Password = Annotated[str, StringConstraints(min_length=MIN_PASSWORD_LENGTH, max_length=1024), SingleLine]


class TokenRequest(InputModel):
    # Clients may send OAuth2's other fields (grant_type, scope); they are ignored, as they always were.
    model_config = ConfigDict(extra="ignore")
    email: Annotated[str, StringConstraints(max_length=254), SingleLine]
    password: Annotated[str, StringConstraints(max_length=1024)]


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


class OrganisationCreate(InputModel):
    name: Name
    kind: OrganisationKind


class OrganisationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    kind: OrganisationKind


class OfficeCreate(InputModel):
    organisation_id: uuid.UUID
    code: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=12,
                                           pattern=r"^[A-Za-z0-9-]+$")]
    name: Name
    city: Annotated[str, StringConstraints(strip_whitespace=True, max_length=120), SingleLine] | None = None
    country: Annotated[str, StringConstraints(max_length=8)] | None = None

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        return check_country(value) if value else None


class OfficeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    organisation_id: uuid.UUID
    code: str
    name: str
    city: str | None
    country: str | None
    active: bool


class UserCreate(InputModel):
    email: Email
    full_name: Name
    role: Role
    organisation_id: uuid.UUID
    office_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    password: Password
    locale: UserLocale | None = None


class UserUpdate(InputModel):
    full_name: Name | None = None
    role: Role | None = None
    office_ids: list[uuid.UUID] | None = Field(None, max_length=50)
    active: bool | None = None
    password: Password | None = None
    # null: no preference of their own (the browser's languages decide).
    locale: UserLocale | None = None


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    email: str
    full_name: str
    role: Role
    organisation_id: uuid.UUID
    active: bool
    office_ids: list[uuid.UUID]
    locale: str | None = None
