"""The shared input types: text without control characters, bounded whole numbers, ISO dates only."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import pytest
from pydantic import StringConstraints, ValidationError

from crossroads.kit.inputs import (
    INT4_MAX,
    ControlCharacters,
    InputModel,
    IsoDate,
    RowId,
    SingleLine,
    refuse_control_characters,
)


class Example(InputModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50), SingleLine] = "x"
    notes: str = ""
    data: dict[str, Any] = {}
    when: IsoDate | None = None
    key: RowId | None = None
    children: list[Example] = []


def error_of(**values: Any) -> tuple[tuple, str]:
    with pytest.raises(ValidationError) as caught:
        Example(**values)
    first = caught.value.errors()[0]
    return first["loc"], first["type"]


class TestText:
    @pytest.mark.parametrize("value", ["Ali\x00", "A\x01li", "Al\x7fi", "Ali\x9b", "A\tli", "A\nli"])
    def test_a_single_line_refuses_control_characters(self, value):
        assert error_of(name=value) == (("name",), "control_character")

    @pytest.mark.parametrize("value", ["\u202eilA", "A\u202ali", "\u2066Ali\u2069", "A\u202dli"])
    def test_a_single_line_refuses_characters_that_reorder_text(self, value):
        assert error_of(name=value) == (("name",), "bidi_control")

    def test_a_single_line_keeps_names_in_any_script_and_forgives_surrounding_whitespace(self):
        assert Example(name="  محمد حسين\n").name == "محمد حسين"
        assert Example(name="Nguyễn Thị Minh Khai").name == "Nguyễn Thị Minh Khai"

    def test_free_text_keeps_tabs_line_breaks_and_bidi_marks(self):
        notes = "Called the embassy.\r\n\tNext: \u2067القنصلية\u2069 on Monday"
        assert Example(notes=notes).notes == notes

    @pytest.mark.parametrize("value", ["a\x00b", "a\x0bb", "a\x1bb"])
    def test_free_text_refuses_other_control_characters(self, value):
        assert error_of(notes=value) == (("notes",), "control_character")

    def test_nested_json_is_checked_keys_and_values(self):
        assert error_of(data={"a": [{"b": "x\x00"}]}) == (("data",), "control_character")
        assert error_of(data={"k\x00": 1}) == (("data",), "control_character")
        assert Example(data={"a": ["ok", 1, None, {"b": "fine\n"}]}).data["a"][0] == "ok"

    def test_nested_models_name_the_nested_field(self):
        assert error_of(children=[{"name": "ok"}, {"name": "bad\x00"}]) == (("children", 1, "name"),
                                                                           "control_character")

    def test_the_message_does_not_repeat_the_value(self):
        with pytest.raises(ValidationError) as caught:
            Example(name="Secret\x00Name")
        assert "Secret" not in str(caught.value.errors()[0]["msg"])


class TestDates:
    @pytest.mark.parametrize("value", [0, "0", 86400, 1.5, "1700000000", "20010203", "2001-02-03T00:00:00",
                                       True, "yesterday"])
    def test_only_iso_dates_are_accepted(self, value):
        assert error_of(when=value) == (("when",), "date_format")

    def test_an_iso_date_or_a_date_is_accepted(self):
        assert Example(when="2001-02-03").when == date(2001, 2, 3)
        assert Example(when=" 2001-02-03 ").when == date(2001, 2, 3)
        assert Example(when=date(2001, 2, 3)).when == date(2001, 2, 3)

    def test_an_impossible_date_is_still_refused(self):
        assert error_of(when="2001-02-30")[0] == ("when",)


class TestRowIds:
    @pytest.mark.parametrize("value", [0, -1, INT4_MAX + 1, 2**63])
    def test_keys_outside_the_column_are_refused(self, value):
        assert error_of(key=value)[0] == ("key",)

    def test_keys_inside_the_column_are_accepted(self):
        assert Example(key=INT4_MAX).key == INT4_MAX


class TestRefuseControlCharacters:
    def test_names_the_first_field_with_a_control_character(self):
        with pytest.raises(ControlCharacters) as caught:
            refuse_control_characters([("q", "fine"), ("sort", "x\x00")], unnamed="query")
        assert caught.value.field == "sort"
        assert caught.value.status_code == 422

    def test_a_name_with_a_control_character_is_not_repeated(self):
        with pytest.raises(ControlCharacters) as caught:
            refuse_control_characters([("a\x00", "x")], unnamed="query")
        assert caught.value.field == "query"

    def test_line_breaks_and_tabs_pass(self):
        refuse_control_characters([("comment", "line one\r\nline\ttwo")], unnamed="form")
