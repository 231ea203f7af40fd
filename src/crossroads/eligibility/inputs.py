"""Pure: the flat inputs a rule set reads, from a person, a case and its screenings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any


def age_on(date_of_birth: date | None, on: date) -> int | None:
    """Whole years at `on`; None when the date of birth is unknown."""
    if date_of_birth is None:
        return None
    years = on.year - date_of_birth.year
    return years - 1 if (on.month, on.day) < (date_of_birth.month, date_of_birth.day) else years


def case_inputs(*, date_of_birth: date | None, sex: str | None, nationality: str | None,
                data: Mapping[str, Any] | None, screenings: Iterable[tuple[str, Mapping[str, Any], int | None]],
                on: date) -> dict[str, Any]:
    """{path: value} for one case; `screenings` oldest first as (instrument, answers, score), the latest wins."""
    inputs: dict[str, Any] = {
        "person.age": age_on(date_of_birth, on),
        "person.sex": sex,
        "person.nationality": nationality,
    }
    for name, value in (data or {}).items():
        inputs[f"case.{name}"] = value
    for instrument, answers, score in screenings:
        # A later screening with the same instrument replaces the earlier one whole: an answer it skipped is
        # unknown now, not the old answer.
        prefix = f"screening.{instrument}."
        for path in [p for p in inputs if p.startswith(prefix)]:
            del inputs[path]
        for question, answer in answers.items():
            inputs[prefix + question] = answer
        inputs[prefix + "score"] = score
    return inputs
