"""Pure: the flat inputs a rule set reads, from a person, a case and its screenings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

# One stored screening as the rules read it: instrument code, answers, score and the instrument's findings.
ScreeningRow = tuple[str, Mapping[str, Any], int | None, Mapping[str, Any] | None]


def age_on(date_of_birth: date | None, on: date) -> int | None:
    """Whole years at `on`; None when the date of birth is unknown."""
    if date_of_birth is None:
        return None
    years = on.year - date_of_birth.year
    return years - 1 if (on.month, on.day) < (date_of_birth.month, date_of_birth.day) else years


def person_inputs(*, date_of_birth: date | None, estimated: bool | None, sex: str | None, nationality: str | None,
                  on: date) -> dict[str, Any]:
    return {
        "person.age": age_on(date_of_birth, on),
        # "unknown" is how the registry says it has no value; the rules see it as missing.
        "person.sex": sex if sex not in (None, "unknown") else None,
        "person.nationality": nationality,
        "person.date_of_birth": date_of_birth,
        "person.date_of_birth_estimated": estimated if date_of_birth is not None else None,
        # The determination date, so that a stored determination reproduces whatever day it is read again.
        "today": on,
    }


def case_inputs(*, date_of_birth: date | None, sex: str | None, nationality: str | None,
                data: Mapping[str, Any] | None, screenings: Iterable[ScreeningRow], on: date,
                estimated: bool | None = False) -> dict[str, Any]:
    """{path: value} for one case; `screenings` oldest first, the latest of each instrument wins."""
    inputs = person_inputs(date_of_birth=date_of_birth, estimated=estimated, sex=sex, nationality=nationality, on=on)
    for name, value in (data or {}).items():
        inputs[f"case.{name}"] = value
    latest: dict[str, ScreeningRow] = {}
    for row in screenings:
        # A later screening with the same instrument replaces the earlier one whole: a question it left
        # unanswered is unknown now, not the old answer.
        latest[row[0]] = row
    for instrument, answers, score, findings in latest.values():
        prefix = f"screening.{instrument}."
        for question, answer in answers.items():
            inputs[prefix + question] = answer
        inputs[prefix + "score"] = score
        for code, value in (findings or {}).items():
            inputs[prefix + code] = value
    return inputs
