"""What a possible duplicate's comparison says, in words: the fields that agree and those that differ.

Pure: the engine's reasons (a field and the comparison level it reached, see engine/comparisons.py) in, short
phrases out, each an English msgid translated where it is shown. Raw weights and scores stay out of the
pages: a caseworker decides on "same date of birth" and "family name spelt differently", not on "+8.6".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from crossroads.kit.i18n import N_

AGREES = "agrees"
DIFFERS = "differs"


@dataclass(frozen=True)
class Evidence:
    field: str
    # AGREES or DIFFERS: a field that agrees only in part ("spelt differently") is told among the differences.
    side: str
    phrase: str


def _name(which: str, same: str, script: str, sounds: str, spelt: str, swapped: str, first: str, word: str,
          different: str) -> dict[str, tuple[str, str]]:
    return {
        "exact": (AGREES, same),
        "transliteration": (AGREES, script),
        "phonetic": (AGREES, sounds),
        "fuzzy 0.92": (DIFFERS, spelt),
        f"swapped with {which}": (DIFFERS, swapped),
        "swapped, one fuzzy": (DIFFERS, swapped),
        "first word transliteration": (DIFFERS, first),
        "transliteration fuzzy 0.85": (DIFFERS, spelt),
        "fuzzy 0.80": (DIFFERS, spelt),
        "shares a word": (DIFFERS, word),
        "else": (DIFFERS, different),
    }


# Every level of engine/comparisons.py, by field; tests/dedup/test_evidence.py fails when a level is missing.
PHRASES: dict[str, dict[str, tuple[str, str]]] = {
    "given_name": _name(
        "family", N_("same given name"), N_("same given name in another spelling or script"),
        N_("given name sounds the same"), N_("given name spelt differently"),
        N_("given and family names swapped"), N_("same first given name, others differ"),
        N_("given names share a word"), N_("different given name")),
    "family_name": _name(
        "given", N_("same family name"), N_("same family name in another spelling or script"),
        N_("family name sounds the same"), N_("family name spelt differently"),
        N_("given and family names swapped"), N_("same first family name, others differ"),
        N_("family names share a word"), N_("different family name")),
    "date_of_birth": {
        "exact": (AGREES, N_("same date of birth")),
        "same digits as text": (AGREES, N_("same date of birth as written, though not a valid date")),
        "day and month swapped": (DIFFERS, N_("date of birth with day and month swapped")),
        "one digit differs": (DIFFERS, N_("date of birth differs by one digit")),
        "two neighbouring digits swapped": (DIFFERS, N_("date of birth with two neighbouring digits swapped")),
        "same year and month, day unreadable": (DIFFERS, N_("same month and year of birth, a day unreadable")),
        "same year, both known by the year only": (AGREES, N_("same year of birth (only the year is known)")),
        "agrees as far as known": (AGREES, N_("date of birth agrees as far as it is known")),
        "same year": (DIFFERS, N_("same year of birth, different day")),
        "within 2 years, both known by the year only": (DIFFERS, N_("born within two years of each other")),
        "within 2 years, a date known by its year only": (DIFFERS, N_("born within two years of each other")),
        "within 2 years": (DIFFERS, N_("born within two years of each other")),
        "else": (DIFFERS, N_("different date of birth")),
    },
    "place": {
        "exact": (AGREES, N_("same place")),
        "fuzzy 0.90": (DIFFERS, N_("place spelt differently")),
        "two words shared": (DIFFERS, N_("places share two words")),
        "a word shared": (DIFFERS, N_("places share a word")),
        "else": (DIFFERS, N_("different place")),
    },
    "sex": {"exact": (AGREES, N_("same sex")), "else": (DIFFERS, N_("different sex"))},
    "nationality": {"exact": (AGREES, N_("same nationality")), "else": (DIFFERS, N_("different nationality"))},
    "documents": {
        "exact": (AGREES, N_("an identity document number in common")),
        "check digit shows a typo": (DIFFERS, N_("identity document number with a typo its check digit shows")),
        "one character apart": (DIFFERS, N_("identity document numbers one character apart")),
        "same number, another type": (DIFFERS, N_("same document number recorded as another type of document")),
        "else": (DIFFERS, N_("different identity document numbers")),
    },
    "phones": {"exact": (AGREES, N_("same phone number")),
               "last 7 digits": (DIFFERS, N_("phone numbers end in the same seven digits")),
               "else": (DIFFERS, N_("different phone numbers"))},
}

# A level this version does not know (a newer model's): said by its field only.
_UNKNOWN = {AGREES: N_("%(field)s agrees"), DIFFERS: N_("%(field)s differs")}
FIELD_LABELS = {
    "given_name": N_("Given name"), "family_name": N_("Family name"), "date_of_birth": N_("Date of birth"),
    "place": N_("Place"), "sex": N_("Sex"), "nationality": N_("Nationality"), "documents": N_("Identity documents"),
    "phones": N_("Phone"),
}


def _get(reason: Any, name: str) -> Any:
    return reason.get(name) if isinstance(reason, Mapping) else getattr(reason, name)


def evidence(reasons: Iterable[Any]) -> list[Evidence]:
    """The reasons (ReasonOut, or their stored dicts: field, level, agreed) as phrases, in the engine's order."""
    out = []
    for reason in reasons:
        field, level = str(_get(reason, "field")), str(_get(reason, "level"))
        known = PHRASES.get(field, {}).get(level)
        if known is not None:
            out.append(Evidence(field, *known))
        else:
            side = AGREES if _get(reason, "agreed") else DIFFERS
            out.append(Evidence(field, side, _UNKNOWN[side]))
    return out


def sides(reasons: Iterable[Any]) -> tuple[list[Evidence], list[Evidence]]:
    """(what agrees, what differs), one phrase once even where two fields give it (a swap)."""
    agrees: list[Evidence] = []
    differs: list[Evidence] = []
    seen: set[str] = set()
    for e in evidence(reasons):
        if e.phrase in seen and e.phrase not in _UNKNOWN.values():
            continue
        seen.add(e.phrase)
        (agrees if e.side == AGREES else differs).append(e)
    return agrees, differs
