"""People, their names, identity documents and households."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crossroads.db.base import Base, Timestamps, UUIDPrimaryKey, str_enum, utcnow


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class NameKind(StrEnum):
    ALIAS = "alias"
    NATIVE_SCRIPT = "native_script"
    TRANSLITERATION = "transliteration"
    PREVIOUS = "previous"


class DocumentType(StrEnum):
    PASSPORT = "passport"
    NATIONAL_ID = "national_id"
    BIRTH_CERTIFICATE = "birth_certificate"
    TRAVEL_DOCUMENT = "travel_document"
    RESIDENCE_PERMIT = "residence_permit"
    REFUGEE_ID = "refugee_id"
    OTHER = "other"


class Relationship(StrEnum):
    HEAD = "head"
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    SIBLING = "sibling"
    GRANDCHILD = "grandchild"
    OTHER_RELATIVE = "other_relative"
    NON_RELATIVE = "non_relative"


# How sensitive each field of a person's identity is, in the classes of the access policy
# (`auth/policy.py: readable_sensitivities`): names, documents and a phone number single a person out and can
# lead to them; sex, age, nationality and languages identify them only together.
PERSON_FIELD_SENSITIVITY: dict[str, str] = {
    "given_name": "sensitive",
    "family_name": "sensitive",
    "aliases": "sensitive",
    "documents": "sensitive",
    "phone": "sensitive",
    "sex": "personal",
    "date_of_birth": "personal",
    "date_of_birth_estimated": "personal",
    "nationality": "personal",
    "languages": "personal",
}


class Household(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "households"

    office_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offices.id"), index=True)
    members: Mapped[list[Person]] = relationship(back_populates="household", lazy="raise")


class Person(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "people"

    office_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offices.id"), index=True)
    given_name: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200))
    sex: Mapped[Sex] = mapped_column(str_enum(Sex))
    date_of_birth: Mapped[date | None]
    date_of_birth_estimated: Mapped[bool] = mapped_column(default=False)
    nationality: Mapped[str | None] = mapped_column(String(3))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    household_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("households.id", ondelete="SET NULL"), index=True
    )
    household_relationship: Mapped[Relationship | None] = mapped_column(str_enum(Relationship))
    # Accent-free, case-folded, romanised forms of every name the person is known by; searched by
    # the case list so that "Jose" finds "José" and a Latin query finds an Arabic-script name.
    search_key: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # Set while this record is merged into another person (the survivor); cleared by an unmerge. The
    # record is kept, so a merge can always be undone, and its pages redirect to the survivor.
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"))
    version: Mapped[int] = mapped_column(default=1)

    names: Mapped[list[PersonName]] = relationship(
        back_populates="person", lazy="raise", cascade="all, delete-orphan", order_by="PersonName.id"
    )
    documents: Mapped[list[IdentityDocument]] = relationship(
        back_populates="person", lazy="raise", cascade="all, delete-orphan", order_by="IdentityDocument.id"
    )
    household: Mapped[Household | None] = relationship(back_populates="members", lazy="raise")

    __mapper_args__ = {"version_id_col": version}


class PersonName(Base):
    __tablename__ = "person_names"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(400))
    kind: Mapped[NameKind] = mapped_column(str_enum(NameKind), default=NameKind.ALIAS)

    person: Mapped[Person] = relationship(back_populates="names", lazy="raise")


class IdentityDocument(Base):
    __tablename__ = "identity_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    document_type: Mapped[DocumentType] = mapped_column(str_enum(DocumentType))
    number: Mapped[str] = mapped_column(String(64))
    # Upper-case letters and digits only, so "a 123-456" and "A123456" match exactly.
    number_normalised: Mapped[str] = mapped_column(String(64), index=True)
    issuing_country: Mapped[str | None] = mapped_column(String(3))
    expiry_date: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship(back_populates="documents", lazy="raise")


class PersonNameToken(Base):
    """Each folded word of each name of a person: searched by prefix through a plain B-tree index."""

    __tablename__ = "person_name_tokens"
    __table_args__ = (Index("ix_person_name_tokens_token", "token", "person_id"),)

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    # Binary collation on PostgreSQL, so that prefix ranges over the index follow plain code-point order.
    token: Mapped[str] = mapped_column(String(64).with_variant(String(64, collation="C"), "postgresql"),
                                       primary_key=True)


class PersonChange(Base):
    """One field of a person's record as an edit changed it, with its values before and after.

    The audit trail records that the field changed, by name, never its values; the values stay here, beside the
    record they describe, shown under the policy's sensitivity classes and deleted with the person.
    """

    __tablename__ = "person_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    # The person's version the edit produced.
    version: Mapped[int]
    field: Mapped[str] = mapped_column(String(40))
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)
    changed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class PersonSearchKey(Base):
    """Hashed skeleton keys of a person's names (kit/names.py), once for each office that may see the person.

    The people search looks a key up among the user's offices only: the primary key (key, office, person)
    answers that from the index, with no visit to rows the user may not see, however common the name. The case
    search reads the keys by key alone, its cases already scoped.
    A person's offices are where they were registered and where they have a case (the access policy's
    `people_scope`); merged records have no keys. people/service.py keeps the rows in step.
    """

    __tablename__ = "person_search_keys"
    __table_args__ = (Index("ix_person_search_keys_person_id", "person_id"),)

    key: Mapped[str] = mapped_column(String(20), primary_key=True)
    office_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
