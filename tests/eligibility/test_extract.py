"""Babel extraction of instrument and rule set texts: every text shown to people, with its line, nothing else."""

from __future__ import annotations

import io

from crossroads.eligibility.extract import extract_yaml

RULES = b'''programme: avrr
version: "1"
criteria:
  - code: wishes
    when: "screening.return_counselling.wishes_to_return == true"
    met: "You want to return."
    not_met: "You do not want to return."
    unknown: >-
      We did not ask.
'''


def extracted(text: bytes) -> list[tuple[int, str]]:
    return [(line, message) for line, _f, message, _c in extract_yaml(io.BytesIO(text), {}, [], {})]


def test_messages_are_extracted_with_their_lines_and_expressions_are_not() -> None:
    assert extracted(RULES) == [(6, "You want to return."), (7, "You do not want to return."),
                                (9, "We did not ask.")]


def test_a_shared_list_of_choices_is_extracted_once() -> None:
    text = b'''questions:
  - code: a
    choices: &c
      - {value: x, label: "Some"}
  - code: b
    choices: *c
'''
    assert extracted(text) == [(4, "Some")]


def test_comments_tell_translators_who_reads_the_text() -> None:
    comments = [c for _l, _f, _m, c in extract_yaml(io.BytesIO(RULES), {}, [], {})]
    assert comments[0] == ["Translators: Read to the person: an eligibility criterion they meet. Placeholders are "
                           "values from their case."]
