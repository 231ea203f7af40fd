"""Write a census-like labelled set for `python -m bench dedup-heldout --census-file`.

Run it in an environment of its own that has pseudopeople (its simulation dependencies are nothing Crossroads
uses, so the project does not declare it):

    python -m venv /tmp/pp && /tmp/pp/bin/pip install "pseudopeople>=1.3"
    /tmp/pp/bin/python bench/census_like.py census-like.jsonl

It takes pseudopeople's sample data (a simulated US town) as published, with its default noise: the 2020
decennial census and the Social Security records (an account's creation and, for some, its death), the same
simulated people in both. The rows are prepared as a user would before `crossroads dedup batch`: columns
renamed, dates that are written month/day/year or YYYYMMDD rewritten as YYYY-MM-DD digit for digit (a noisy
date stays noisy: 13/45/1990 becomes 1990-13-45), nothing else cleaned. Each line is one record as a JSON object
with the batch's columns and `entity`, pseudopeople's simulant id (the truth); the benchmark writes the batch's
CSV from it (through the spreadsheet helper, as every CSV Crossroads writes) without `entity`. JSON lines, not
a CSV, because this script runs where Crossroads is not installed.

The engine was never tuned on this set: it is held out.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

COLUMNS = ("id", "given_name", "family_name", "date_of_birth", "sex", "nationality", "place", "entity")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def iso_digits(value: Any) -> str:
    """The date's digits in YYYY-MM-DD order when it is written MM/DD/YYYY or YYYYMMDD; else as written."""
    text = "" if value is None or value != value else str(value).strip()
    if match := _US_DATE.match(text):
        month, day, year = match.groups()
        return f"{year}-{int(month):02d}-{int(day):02d}"
    if match := _COMPACT_DATE.match(text):
        return "-".join(match.groups())
    return text


def _text(value: Any) -> str:
    return "" if value is None or value != value else str(value).strip()


def rows() -> list[dict[str, str]]:
    import pseudopeople as psp

    out: list[dict[str, str]] = []
    for n, person in enumerate(psp.generate_decennial_census().itertuples(index=False)):
        out.append({"id": f"census-{n}", "given_name": _text(person.first_name),
                    "family_name": _text(person.last_name), "date_of_birth": iso_digits(person.date_of_birth),
                    "sex": _text(person.sex), "nationality": "", "place": _text(person.city),
                    "entity": str(person.simulant_id)})
    for n, person in enumerate(psp.generate_social_security().itertuples(index=False)):
        out.append({"id": f"ssa-{n}", "given_name": _text(person.first_name),
                    "family_name": _text(person.last_name), "date_of_birth": iso_digits(person.date_of_birth),
                    "sex": _text(person.sex), "nationality": "", "place": "", "entity": str(person.simulant_id)})
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: census_like.py OUTPUT.jsonl", file=sys.stderr)
        return 2
    with open(argv[0], "w", encoding="utf-8") as handle:
        for row in rows():
            handle.write(json.dumps({c: row[c] for c in COLUMNS}, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
