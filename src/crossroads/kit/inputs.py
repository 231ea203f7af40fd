"""What the API, the forms and the commands accept as text, whole numbers and dates, checked in one place.

Every input schema derives from `InputModel`, which refuses control characters in any string it carries,
nested JSON included: PostgreSQL cannot store NUL at all, and the other controls are never typed by a person.
Single-line values (names, e-mails, codes, titles) are annotated `Line`, which also refuses tabs, line breaks
and the Unicode controls that reorder text on screen (U+202A–U+202E, U+2066–U+2069): in a name or a document
number they make what a caseworker reads differ from what is stored and matched. Free text (notes,
comments) keeps tabs and line breaks and may carry the bidi controls that mixed Arabic and Latin text needs.

Whole numbers are bounded by the column they end up in or are compared with, and dates are ISO-8601 strings
only: pydantic would otherwise read a number as a Unix timestamp, so a date of birth of 0 became 1970-01-01.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from crossroads.kit.errors import Invalid
from crossroads.kit.i18n import N_

CONTROL_MESSAGE = N_("must not contain control characters")
BIDI_MESSAGE = N_("must not contain characters that reorder text (bidirectional overrides or isolates)")
DATE_MESSAGE = N_("must be a date written as YYYY-MM-DD")

# C0 controls but tab, line feed and carriage return (a textarea sends CR LF), DEL, and the C1 controls.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# The largest values of the columns whole numbers are stored in or compared with. Row keys are PostgreSQL
# `integer`: a larger value fails in the database (SQLAlchemy binds it as ::INTEGER), not as a 404.
INT4_MAX = 2**31 - 1
INT8_MAX = 2**63 - 1


def has_control(value: str, *, multiline: bool = True) -> bool:
    return (_CONTROL if multiline else _LINE_CONTROL).search(value) is not None


class ControlCharacters(Invalid):
    code = "control_character"


def refuse_control_characters(items: Iterable[tuple[str, object]], *, unnamed: str) -> None:
    """Refuse the first (name, value) pair whose text has a control character, naming it (`unnamed` when
    the name itself has one, so that the answer does not carry it)."""
    for name, value in items:
        if has_control(name):
            raise ControlCharacters(CONTROL_MESSAGE, field=unnamed)
        if isinstance(value, str) and has_control(value):
            raise ControlCharacters(CONTROL_MESSAGE, field=name)


def control_error() -> PydanticCustomError:
    return PydanticCustomError("control_character", CONTROL_MESSAGE)


def check_text(value: str) -> str:
    """Free text: any character but the control characters (tab and line breaks are kept)."""
    if _CONTROL.search(value):
        raise control_error()
    return value


def check_line(value: str) -> str:
    """One line: no control character at all, and none of the characters that reorder text."""
    if _LINE_CONTROL.search(value):
        raise control_error()
    if _BIDI.search(value):
        raise PydanticCustomError("bidi_control", BIDI_MESSAGE)
    return value


def check_nested(value: Any) -> Any:
    """The same check as check_text on every string of a JSON value, keys included."""
    if isinstance(value, str):
        return check_text(value)
    if isinstance(value, dict):
        for key, item in value.items():
            check_nested(key)
            check_nested(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            check_nested(item)
    return value


def _iso_date(value: object) -> object:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        return value.strip()
    raise PydanticCustomError("date_format", DATE_MESSAGE)


# Compose with StringConstraints placed before them, so that the check sees the stripped value:
# `Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), SingleLine]`.
SingleLine = AfterValidator(check_line)
MultiLine = AfterValidator(check_text)

Line = Annotated[str, SingleLine]
Text = Annotated[str, MultiLine]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
RowId = Annotated[int, Field(ge=1, le=INT4_MAX)]
Version = Annotated[int, Field(ge=1, le=INT4_MAX)]
# Positions in the audit trail, a `bigint` column.
AuditSeq = Annotated[int, Field(ge=0, le=INT8_MAX)]


class InputModel(BaseModel):
    """Base of every request schema: unknown fields are refused, and so are control characters anywhere."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        # Strings of nested models are checked by those models, which are InputModels too.
        return check_nested(value) if isinstance(value, str | dict | list | tuple | set | frozenset) else value
