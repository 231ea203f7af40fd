"""Validation errors said by their type and parameters, and messages translated after they are built."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import BaseModel, Field, ValidationError, field_validator

from crossroads.kit.i18n import N_, Message, ngettext, translate
from crossroads.kit.messages import error_message


class Form(BaseModel):
    code: Annotated[str, Field(max_length=3)] = "abc"
    name: Annotated[str, Field(min_length=2)] = "ab"
    age: Annotated[int, Field(ge=0, le=120)] = 1
    tags: Annotated[list[str], Field(max_length=1)] = []
    country: str = "SYR"

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        if value != "SYR":
            raise ValueError(Message(N_("must be one of %(expected)s"), {"expected": "SYR"}))
        return value


def first(**values: object) -> Message:
    with pytest.raises(ValidationError) as refused:
        Form(**values)
    return error_message(refused.value.errors()[0])


class Catalogue:
    """A stand-in catalogue that marks what it translated, to see what was looked up and how it was filled."""

    def gettext(self, message: str) -> str:
        return f"<{message}>"

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return f"<{singular if n == 1 else plural}>"


class TestErrorMessage:
    @pytest.mark.parametrize(("values", "msgid", "params", "english"), [
        ({"code": "abcd"}, "must have at most %(num)d character", {"num": 3}, "must have at most 3 characters"),
        ({"name": "a"}, "must have at least %(num)d character", {"num": 2}, "must have at least 2 characters"),
        ({"age": 121}, "must be at most %(le)s", {"le": "120"}, "must be at most 120"),
        ({"age": "x"}, "must be a whole number", {}, "must be a whole number"),
        ({"tags": ["a", "b"]}, "must have at most %(num)d item", {"num": 1}, "must have at most 1 item"),
        ({"country": "XXX"}, "must be one of %(expected)s", {"expected": "SYR"}, "must be one of SYR"),
        ({"code": 5}, "must be text", {}, "must be text"),
    ])
    def test_by_type_and_parameters(self, values: dict, msgid: str, params: dict, english: str) -> None:
        message = first(**values)
        assert (message.msgid, message.params, str(message)) == (msgid, params, english)

    def test_a_missing_field_is_required(self) -> None:
        class Needs(BaseModel):
            given_name: str

        with pytest.raises(ValidationError) as refused:
            Needs()
        assert error_message(refused.value.errors()[0]) == "is required"


class TestTranslate:
    def test_the_msgid_is_translated_before_the_values_are_filled_in(self) -> None:
        message = Message(N_("fill in %(fields)s before %(state)s"),
                          {"fields": [Message("Date"), "x"], "state": Message("Departed")})
        assert str(message) == "fill in Date, x before Departed"
        assert translate(Catalogue(), message) == "<fill in <Date>, x before <Departed>>"

    def test_plurals_choose_their_form_by_the_count(self) -> None:
        one, many = (ngettext("%(num)d day", "%(num)d days", n) for n in (1, 5))
        assert (str(one), str(many)) == ("1 day", "5 days")
        assert translate(Catalogue(), many) == "<5 days>"

    def test_a_plain_string_is_a_msgid(self) -> None:
        assert translate(Catalogue(), "no such case") == "<no such case>"
        assert translate(Catalogue(), "") == ""
