"""What the people API accepts and returns."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import phonenumbers
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from crossroads.kit.codes import check_country, check_language
from crossroads.kit.inputs import InputModel, IsoDate, SingleLine
from crossroads.people.models import DocumentType, NameKind, Relationship, Sex

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), SingleLine]
CountryCode = Annotated[str, StringConstraints(min_length=3, max_length=3), SingleLine, AfterValidator(check_country)]
LanguageCode = Annotated[str, StringConstraints(min_length=2, max_length=3), SingleLine,
                         AfterValidator(check_language)]

EARLIEST_BIRTH = date(1900, 1, 1)


def _check_phone(value: str) -> str:
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise ValueError("must be an international number starting with + and the country code") from None
    if not phonenumbers.is_possible_number(number):
        raise ValueError("is not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32), SingleLine,
                  AfterValidator(_check_phone)]


class AliasIn(InputModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=400), SingleLine]
    kind: NameKind = NameKind.ALIAS


class DocumentIn(InputModel):
    document_type: DocumentType
    number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), SingleLine]
    issuing_country: CountryCode | None = None
    expiry_date: IsoDate | None = None


class PersonCreate(InputModel):
    given_name: Name
    family_name: Name
    sex: Sex
    date_of_birth: IsoDate | None = None
    date_of_birth_estimated: bool = False
    estimated_age: int | None = Field(None, ge=0, le=120)
    nationality: CountryCode
    languages: list[LanguageCode] = Field(default_factory=list, max_length=10)
    phone: Phone | None = None
    aliases: list[AliasIn] = Field(default_factory=list, max_length=20)
    documents: list[DocumentIn] = Field(default_factory=list, max_length=10)
    office_id: uuid.UUID | None = None

    @field_validator("aliases", mode="before")
    @classmethod
    def _plain_alias_strings(cls, value: object) -> object:
        if isinstance(value, list):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("date_of_birth")
    @classmethod
    def _plausible_birth(cls, value: date | None) -> date | None:
        if value is not None and not EARLIEST_BIRTH <= value <= date.today():
            raise ValueError("must be between 1900-01-01 and today")
        return value

    @model_validator(mode="after")
    def _birth_from_age(self) -> PersonCreate:
        if self.estimated_age is not None:
            if self.date_of_birth is not None:
                raise ValueError("give either date_of_birth or estimated_age, not both")
            # An age given by the person or estimated by the caseworker: record mid-year of the
            # birth year and flag it, so later matching treats it as approximate.
            today = date.today()
            self.date_of_birth = date(today.year - self.estimated_age, 7, 1)
            if self.date_of_birth > today:
                self.date_of_birth = date(today.year - self.estimated_age - 1, 7, 1)
            self.date_of_birth_estimated = True
            self.estimated_age = None
        return self


class HouseholdMemberCreate(InputModel):
    relationship: Relationship
    person_id: uuid.UUID | None = None
    person: PersonCreate | None = None

    @model_validator(mode="after")
    def _one_source(self) -> HouseholdMemberCreate:
        if (self.person_id is None) == (self.person is None):
            raise ValueError("give either person_id of a registered person or person to register")
        return self


class AliasOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    name: str
    kind: NameKind


class DocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    document_type: DocumentType
    number: str
    issuing_country: str | None
    expiry_date: date | None


class PersonOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    office_id: uuid.UUID
    given_name: str
    family_name: str
    sex: Sex
    date_of_birth: date | None
    date_of_birth_estimated: bool
    nationality: str | None
    languages: list[str]
    phone: str | None
    aliases: list[AliasOut] = Field(validation_alias="names")
    documents: list[DocumentOut]
    household_id: uuid.UUID | None
    household_relationship: Relationship | None
    # Set while this record is merged into another person: the survivor, where its cases now are.
    merged_into_id: uuid.UUID | None = None
    created_at: datetime
    version: int


class HouseholdMemberOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    given_name: str
    family_name: str
    sex: Sex
    date_of_birth: date | None
    household_relationship: Relationship | None


class HouseholdOut(BaseModel):
    id: uuid.UUID
    members: list[HouseholdMemberOut]
