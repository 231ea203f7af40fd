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
from crossroads.kit.inputs import InputModel, IsoDate, SingleLine, Version
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


def _check_birth(cls: object, value: date | None) -> date | None:
    if value is not None and not EARLIEST_BIRTH <= value <= date.today():
        raise ValueError("must be between 1900-01-01 and today")
    return value


def _birth_date_of_age(age: int) -> date:
    # An age given by the person or estimated by the caseworker: record mid-year of the birth year and flag
    # it, so later matching treats it as approximate.
    today = date.today()
    born = date(today.year - age, 7, 1)
    return born if born <= today else date(today.year - age - 1, 7, 1)


def _plain_aliases(cls: object, value: object) -> object:
    if isinstance(value, list):
        return [{"name": v} if isinstance(v, str) else v for v in value]
    return value


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

    _plain_alias_strings = field_validator("aliases", mode="before")(_plain_aliases)

    _plausible_birth = field_validator("date_of_birth")(_check_birth)

    @model_validator(mode="after")
    def _birth_from_age(self) -> PersonCreate:
        if self.estimated_age is not None:
            if self.date_of_birth is not None:
                raise ValueError("give either date_of_birth or estimated_age, not both")
            self.date_of_birth = _birth_date_of_age(self.estimated_age)
            self.date_of_birth_estimated = True
            self.estimated_age = None
        return self


# Fields a person's record cannot be without (lists are emptied with []): an edit changes them, never nulls them.
_KEPT = ("given_name", "family_name", "sex", "nationality", "date_of_birth_estimated", "languages", "aliases",
         "documents")


class PersonUpdate(InputModel):
    """A correction of a person's details, made against the version the editor saw.

    The fields are registration's, with its checks. A field left out stays as it is; null removes the phone or
    the date of birth; `aliases` and `documents` replace the whole list.
    """

    version: Version
    given_name: Name | None = None
    family_name: Name | None = None
    sex: Sex | None = None
    date_of_birth: IsoDate | None = None
    date_of_birth_estimated: bool | None = None
    estimated_age: int | None = Field(None, ge=0, le=120)
    nationality: CountryCode | None = None
    languages: list[LanguageCode] | None = Field(None, max_length=10)
    phone: Phone | None = None
    aliases: list[AliasIn] | None = Field(None, max_length=20)
    documents: list[DocumentIn] | None = Field(None, max_length=10)

    _plain_alias_strings = field_validator("aliases", mode="before")(_plain_aliases)
    _plausible_birth = field_validator("date_of_birth")(_check_birth)

    @field_validator(*_KEPT)
    @classmethod
    def _not_removed(cls, value: object) -> object:
        # A field left out stays as it is; only sent as null would it be removed, which a record cannot be without.
        if value is None:
            raise ValueError("cannot be removed, only changed")
        return value

    @model_validator(mode="after")
    def _birth_from_age(self) -> PersonUpdate:
        if self.estimated_age is not None:
            if self.date_of_birth is not None:
                raise ValueError("give either date_of_birth or estimated_age, not both")
            self.date_of_birth = _birth_date_of_age(self.estimated_age)
            self.date_of_birth_estimated = True
            self.estimated_age = None
        return self

    def changes(self) -> dict[str, object]:
        """The fields this edit sets, with their values."""
        return {name: getattr(self, name) for name in self.model_fields_set - {"version", "estimated_age"}}


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
