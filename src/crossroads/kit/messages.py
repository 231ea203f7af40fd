"""Validation errors as messages by their pydantic type and parameters, never pydantic's English sentence.

pydantic says "String should have at most 3 characters"; we keep the type (`string_too_long`) and its
parameter (`max_length`) and say it in the reader's language with our own words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crossroads.kit.i18n import N_, Message, ngettext

INVALID = N_("is invalid")

# Types whose sentence needs no count.
_PLAIN = {
    "missing": N_("is required"),
    "string_type": N_("must be text"),
    "string_pattern_mismatch": N_("is not in the expected format"),
    "string_unicode": N_("must be text"),
    "int_type": N_("must be a whole number"),
    "int_parsing": N_("must be a whole number"),
    "int_from_float": N_("must be a whole number"),
    "float_type": N_("must be a number"),
    "float_parsing": N_("must be a number"),
    "decimal_parsing": N_("must be a number"),
    "decimal_type": N_("must be a number"),
    "bool_type": N_("must be yes or no"),
    "bool_parsing": N_("must be yes or no"),
    "uuid_type": N_("must be an identifier (UUID)"),
    "uuid_parsing": N_("must be an identifier (UUID)"),
    "date_type": N_("must be a date written as YYYY-MM-DD"),
    "date_parsing": N_("must be a date written as YYYY-MM-DD"),
    "date_from_datetime_parsing": N_("must be a date written as YYYY-MM-DD"),
    "date_from_datetime_inexact": N_("must be a date written as YYYY-MM-DD"),
    "datetime_type": N_("must be a date and time"),
    "datetime_parsing": N_("must be a date and time"),
    "datetime_from_date_parsing": N_("must be a date and time"),
    "list_type": N_("must be a list"),
    "dict_type": N_("must be an object"),
    "model_type": N_("must be an object"),
    "model_attributes_type": N_("must be an object"),
    "extra_forbidden": N_("is not a field that can be given here"),
    "json_invalid": N_("the request body is not valid JSON"),
    "none_required": N_("must be empty"),
    "finite_number": N_("must be a finite number"),
    "url_parsing": N_("must be a web address"),
}

# Types with one parameter, shown as given (a number bound, or the list of accepted values).
_WITH = {
    "greater_than_equal": (N_("must be at least %(ge)s"), "ge"),
    "less_than_equal": (N_("must be at most %(le)s"), "le"),
    "greater_than": (N_("must be greater than %(gt)s"), "gt"),
    "less_than": (N_("must be less than %(lt)s"), "lt"),
    "enum": (N_("must be one of %(expected)s"), "expected"),
    "literal_error": (N_("must be one of %(expected)s"), "expected"),
    "multiple_of": (N_("must be a multiple of %(multiple_of)s"), "multiple_of"),
}

# PydanticCustomError types raised by our own validators (kit/inputs.py), whose message is a marked msgid.
_CUSTOM = {"control_character", "bidi_control", "date_format"}


def _counted(kind: str, ctx: Mapping[str, Any]) -> Message | None:
    if kind == "string_too_long" and isinstance(n := ctx.get("max_length"), int):
        return ngettext("must have at most %(num)d character", "must have at most %(num)d characters", n)
    if kind == "string_too_short" and isinstance(n := ctx.get("min_length"), int):
        return ngettext("must have at least %(num)d character", "must have at least %(num)d characters", n)
    if kind == "too_long" and isinstance(n := ctx.get("max_length"), int):
        return ngettext("must have at most %(num)d item", "must have at most %(num)d items", n)
    if kind == "too_short" and isinstance(n := ctx.get("min_length"), int):
        return ngettext("must have at least %(num)d item", "must have at least %(num)d items", n)
    return None


def error_message(err: Mapping[str, Any]) -> Message:
    """The message for one of pydantic's `errors()` entries (its input value is never used)."""
    kind = str(err.get("type", ""))
    ctx: Mapping[str, Any] = err.get("ctx") or {}
    if (counted := _counted(kind, ctx)) is not None:
        return counted
    if kind in _PLAIN:
        return Message(_PLAIN[kind])
    if kind in _WITH and (param := _WITH[kind][1]) in ctx:
        return Message(_WITH[kind][0], {param: str(ctx[param])})
    if kind in ("value_error", "assertion_error"):
        # Raised by our validators with a message marked N_ where it is defined.
        error = ctx.get("error")
        if isinstance(error, Message):
            return error
        if isinstance(error, Exception) and error.args and isinstance(error.args[0], Message):
            return error.args[0]
        if error is not None and str(error):
            return Message(str(error))
        return Message(str(err.get("msg", INVALID)).removeprefix("Value error, "))
    if kind in _CUSTOM:
        # Our own PydanticCustomError types (kit/inputs.py): the message is the msgid, with its context.
        return Message(str(err.get("msg", INVALID)))
    return Message(INVALID)

