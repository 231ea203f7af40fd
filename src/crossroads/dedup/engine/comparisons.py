"""Comparison levels, defined once: as Splink comparisons (SQL) and as a pure Python gamma vector.

Each level pairs a SQL condition over the precomputed key columns (see keys.PersonFeatures) with a Python
test over the same fields, so the batch engine (Splink, in DuckDB or Spark) and the online check give a pair
the same level. tests/dedup/test_comparisons.py runs both on a table of pairs to hold them equal.

Gamma values follow Splink: -1 when the field is missing on either side, otherwise the levels count down
from n-1 (strongest) to 0 (else).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler, Levenshtein

from crossroads.dedup.engine.keys import PersonFeatures

__all__ = ["COMPARISONS", "Comparison", "Level", "compare", "feature_columns", "splink_comparisons"]

Test = Callable[[PersonFeatures, PersonFeatures], bool]
_Get = Callable[[PersonFeatures], str]

# SQL functions whose names differ between the backends Splink runs on.
_FUNCTIONS = {
    "duckdb": {"jw": "jaro_winkler_similarity", "lev": "levenshtein", "dl": "damerau_levenshtein",
               "overlap": "list_has_any",
               "inter": "len(list_intersect({a}, {b}))", "starts": "starts_with",
               "contains": "list_contains", "quote": '"'},
    # damerau_levenshtein is one of the UDFs Splink registers on Spark (its similarity jar).
    "spark": {"jw": "jaro_winkler", "lev": "levenshtein", "dl": "damerau_levenshtein", "overlap": "arrays_overlap",
              "inter": "size(array_intersect({a}, {b}))", "starts": "startswith",
              "contains": "array_contains", "quote": "`"},  # Spark reads "x" as a string, not a column
}


@dataclass(frozen=True, slots=True)
class Level:
    """One level of a comparison: a label, its SQL template and the same test in Python."""

    label: str
    sql: str  # template: {jw}, {lev}, {dl}, {overlap}, {starts}, {contains}, {inter(a,b)} come from _FUNCTIONS
    test: Test


@dataclass(frozen=True, slots=True)
class Comparison:
    """A field's comparison: the null condition and the levels, strongest first, ending with 'else'."""

    field: str
    null_sql: str
    is_null: Test
    levels: tuple[Level, ...]

    def gamma(self, a: PersonFeatures, b: PersonFeatures) -> int:
        if self.is_null(a, b):
            return -1
        n = len(self.levels)
        for i, level in enumerate(self.levels):
            if level.test(a, b):
                return n - 1 - i
        return 0

    def label(self, gamma: int) -> str:
        return "missing" if gamma == -1 else self.levels[len(self.levels) - 1 - gamma].label

    def splink(self, dialect: str) -> dict[str, Any]:
        fn = _FUNCTIONS[dialect]
        levels = [{"sql_condition": _render(self.null_sql, fn), "label_for_charts": "missing", "is_null_level": True}]
        for level in self.levels:
            sql = "ELSE" if level.sql == "ELSE" else _render(level.sql, fn)
            levels.append({"sql_condition": sql, "label_for_charts": level.label})
        return {"output_column_name": self.field, "comparison_levels": levels}


def _render(template: str, fn: dict[str, str]) -> str:
    # {inter(a,b)} is the only function with its arguments inside the template name.
    out = template.replace('"', fn["quote"])
    while "{inter(" in out:
        start = out.index("{inter(")
        end = out.index(")}", start)
        a, b = out[start + 7:end].split(",")
        out = out[:start] + fn["inter"].format(a=a.strip(), b=b.strip()) + out[end + 2:]
    return out.format(**{k: v for k, v in fn.items() if k not in ("inter", "quote")})


def _jw(a: str, b: str) -> float:
    return JaroWinkler.similarity(a, b)


def _first(skel: str) -> str:
    return skel.split(" ", 1)[0]


def _alike_sql(x: str, y: str) -> str:
    return (f'("{x}_skel_l" = "{y}_skel_r" AND (length("{x}_skel_l") >= 3 '
            f'OR {{jw}}("{x}_l", "{y}_r") >= 0.75))')


def _near_sql(x: str, y: str) -> str:
    return (f'(length("{x}_skel_l") >= 3 AND length("{y}_skel_r") >= 3 '
            f'AND {{jw}}("{x}_skel_l", "{y}_skel_r") >= 0.85)')


def _name(field: str, other: str) -> Comparison:
    """Given or family name: exact, transliteration skeleton, phonetic, fuzzy, swapped, partial."""
    # The online check runs these tests on every candidate pair: the fields are read through attrgetters made
    # here once, not looked up by names put together on each call.
    name, skel, phon = attrgetter(field), attrgetter(f"{field}_skel"), attrgetter(f"{field}_phon")
    other_name, other_skel = attrgetter(other), attrgetter(f"{other}_skel")
    fs, fp = f"{field}_skel", f"{field}_phon"

    def alike(a: PersonFeatures, x: _Get, xs: _Get, b: PersonFeatures, y: _Get, ys: _Get) -> bool:
        # A skeleton of one or two consonants ("s": Aisha, Issa) agrees by chance: it needs the letters too.
        sa = xs(a)
        return sa == ys(b) and (len(sa) >= 3 or _jw(x(a), y(b)) >= 0.75)

    def swapped(a: PersonFeatures, b: PersonFeatures) -> bool:
        # Both names crossed over: one name found in the other's other field is only "shares a word".
        return alike(a, name, skel, b, other_name, other_skel) and alike(b, name, skel, a, other_name, other_skel)

    def near(a: PersonFeatures, xs: _Get, b: PersonFeatures, ys: _Get) -> bool:
        sa, sb = xs(a), ys(b)
        return len(sa) >= 3 and len(sb) >= 3 and _jw(sa, sb) >= 0.85

    def swapped_fuzzy(a: PersonFeatures, b: PersonFeatures) -> bool:
        # Swapped, and a typo or another spelling in one of the two: "Mutombo Brdgitte", "Brigitte Mutombo".
        return ((alike(a, name, skel, b, other_name, other_skel) and near(b, skel, a, other_skel))
                or (near(a, skel, b, other_skel) and alike(b, name, skel, a, other_name, other_skel)))

    def first_word(a: PersonFeatures, b: PersonFeatures) -> bool:
        word = _first(skel(a))
        return word == _first(skel(b)) and len(word) >= 3

    def partial(a: PersonFeatures, b: PersonFeatures) -> bool:
        # A skeleton of one or two consonants ("rs": Rosa, Rios) is found among another's words by chance.
        wa, wb = _first(skel(a)), _first(skel(b))
        return (len(wa) >= 3 and wa in b.name_skels) or (len(wb) >= 3 and wb in a.name_skels)

    return Comparison(
        field=f"{field}_name",
        null_sql=f'"{field}_l" IS NULL OR "{field}_r" IS NULL',
        is_null=lambda a, b: not name(a) or not name(b),
        levels=(
            Level("exact", f'"{field}_l" = "{field}_r"', lambda a, b: name(a) == name(b)),
            Level("transliteration", _alike_sql(field, field), lambda a, b: alike(a, name, skel, b, name, skel)),
            Level("phonetic", f'"{fp}_l" = "{fp}_r"', lambda a, b: bool(phon(a)) and phon(a) == phon(b)),
            Level("fuzzy 0.92", f'{{jw}}("{field}_l", "{field}_r") >= 0.92',
                  lambda a, b: _jw(name(a), name(b)) >= 0.92),
            # A swap crosses both names, so both comparisons reach these levels together. Treating that as
            # independent evidence counts it twice, which measured better on the labelled set than a swap
            # level on the given name alone (the family comparison then mixes swaps into "shares a word").
            Level("swapped with " + other, f"{_alike_sql(field, other)} AND {_alike_sql(other, field)}", swapped),
            Level("swapped, one fuzzy",
                  f"({_alike_sql(field, other)} AND {_near_sql(other, field)}) "
                  f"OR ({_near_sql(field, other)} AND {_alike_sql(other, field)})", swapped_fuzzy),
            Level("first word transliteration",
                  f'split_part("{fs}_l", \' \', 1) = split_part("{fs}_r", \' \', 1) '
                  f'AND length(split_part("{fs}_l", \' \', 1)) >= 3', first_word),
            Level("transliteration fuzzy 0.85", f'{{jw}}("{fs}_l", "{fs}_r") >= 0.85',
                  lambda a, b: _jw(skel(a), skel(b)) >= 0.85),
            Level("fuzzy 0.80", f'{{jw}}("{field}_l", "{field}_r") >= 0.80',
                  lambda a, b: _jw(name(a), name(b)) >= 0.80),
            Level("shares a word", f'(length(split_part("{fs}_l", \' \', 1)) >= 3 '
                  f'AND {{contains}}("name_skels_r", split_part("{fs}_l", \' \', 1))) '
                  f'OR (length(split_part("{fs}_r", \' \', 1)) >= 3 '
                  f'AND {{contains}}("name_skels_l", split_part("{fs}_r", \' \', 1)))', partial),
            Level("else", "ELSE", lambda a, b: True),
        ),
    )


def _both(x: int | None, y: int | None) -> bool:
    # SQL's NULL = NULL is not true: Python's None == None is, so every test on the parts asks for both.
    return x is not None and y is not None


def _dob_swapped(a: PersonFeatures, b: PersonFeatures) -> bool:
    # Also a month above 12 kept as written (1990-25-03) against the date it transposes.
    return (_both(a.dob_month, b.dob_month) and _both(a.dob_day, b.dob_day) and _both(a.dob_year, b.dob_year)
            and a.dob_year == b.dob_year and a.dob_month == b.dob_day and a.dob_day == b.dob_month)


def _dob_typo(a: PersonFeatures, b: PersonFeatures) -> bool:
    return len(a.dob_text) == 8 and len(b.dob_text) == 8 and Levenshtein.distance(a.dob_text, b.dob_text) <= 1


def _dob_transposed(a: PersonFeatures, b: PersonFeatures) -> bool:
    return (len(a.dob_text) == 8 and len(b.dob_text) == 8
            and DamerauLevenshtein.distance(a.dob_text, b.dob_text) <= 1)


def _day_unread(f: PersonFeatures) -> bool:
    return f.dob_day is None and len(f.dob_text) == 8


def _dob_day_unread(a: PersonFeatures, b: PersonFeatures) -> bool:
    return (_both(a.dob_year, b.dob_year) and _both(a.dob_month, b.dob_month) and a.dob_year == b.dob_year
            and a.dob_month == b.dob_month and (_day_unread(a) or _day_unread(b)))


def _years_within(a: PersonFeatures, b: PersonFeatures) -> bool:
    return _both(a.dob_year, b.dob_year) and abs(a.dob_year - b.dob_year) <= 2  # type: ignore[operator]


# A date that does not parse (1915-11-32, 1990-25-03, "c. 1990") is compared by its digits as text and by the
# parts that could be read; its dob is NULL, so only the levels on the text and the parts can hold for it.
_DOB = Comparison(
    field="date_of_birth",
    null_sql='"dob_text_l" IS NULL OR "dob_text_r" IS NULL',
    is_null=lambda a, b: not a.dob_text or not b.dob_text,
    levels=(
        Level("exact", 'length("dob_l") = 10 AND "dob_l" = "dob_r"', lambda a, b: len(a.dob) == 10 and a.dob == b.dob),
        Level("same digits as text", 'length("dob_text_l") >= 6 AND "dob_text_l" = "dob_text_r"',
              lambda a, b: len(a.dob_text) >= 6 and a.dob_text == b.dob_text),
        Level("day and month swapped",
              '"dob_year_l" = "dob_year_r" AND "dob_month_l" = "dob_day_r" AND "dob_day_l" = "dob_month_r"',
              _dob_swapped),
        Level("one digit differs",
              'length("dob_text_l") = 8 AND length("dob_text_r") = 8 AND {lev}("dob_text_l", "dob_text_r") <= 1',
              _dob_typo),
        # Two neighbouring digits typed the other way round (1950-43-06 for 1954-03-06): the most common
        # corruption of a date in FEBRL, and one that crosses the year, month and day.
        Level("two neighbouring digits swapped",
              'length("dob_text_l") = 8 AND length("dob_text_r") = 8 AND {dl}("dob_text_l", "dob_text_r") <= 1',
              _dob_transposed),
        Level("same year and month, day unreadable",
              '"dob_year_l" = "dob_year_r" AND "dob_month_l" = "dob_month_r" AND (("dob_day_l" IS NULL AND '
              'length("dob_text_l") = 8) OR ("dob_day_r" IS NULL AND length("dob_text_r") = 8))', _dob_day_unread),
        # Two estimates of the same year, and an estimate against a date someone knew, are different
        # evidence: the share of people known by the year only is not the share of duplicates that are.
        Level("same year, both known by the year only", 'length("dob_l") = 4 AND "dob_l" = "dob_r"',
              lambda a, b: len(a.dob) == 4 and a.dob == b.dob),
        Level("agrees as far as known", '{starts}("dob_l", "dob_r") OR {starts}("dob_r", "dob_l")',
              lambda a, b: bool(a.dob) and bool(b.dob) and (a.dob.startswith(b.dob) or b.dob.startswith(a.dob))),
        Level("same year", '"dob_year_l" = "dob_year_r"',
              lambda a, b: _both(a.dob_year, b.dob_year) and a.dob_year == b.dob_year),
        Level("within 2 years, both known by the year only",
              'abs("dob_year_l" - "dob_year_r") <= 2 AND length("dob_l") = 4 AND length("dob_r") = 4',
              lambda a, b: _years_within(a, b) and len(a.dob) == 4 and len(b.dob) == 4),
        Level("within 2 years, a date known by its year only",
              'abs("dob_year_l" - "dob_year_r") <= 2 AND (length("dob_l") = 4 OR length("dob_r") = 4)',
              lambda a, b: _years_within(a, b) and (len(a.dob) == 4 or len(b.dob) == 4)),
        Level("within 2 years", 'abs("dob_year_l" - "dob_year_r") <= 2', _years_within),
        Level("else", "ELSE", lambda a, b: True),
    ),
)


def _shared(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    return len(set(a) & set(b))


_PLACE = Comparison(
    field="place",
    null_sql='"place_l" IS NULL OR "place_r" IS NULL',
    is_null=lambda a, b: not a.place or not b.place,
    levels=(
        Level("exact", '"place_l" = "place_r"', lambda a, b: a.place == b.place),
        Level("fuzzy 0.90", '{jw}("place_l", "place_r") >= 0.90', lambda a, b: _jw(a.place, b.place) >= 0.90),
        Level("two words shared", '{inter(place_words_l, place_words_r)} >= 2',
              lambda a, b: _shared(a.place_words, b.place_words) >= 2),
        Level("a word shared", '{overlap}("place_words_l", "place_words_r")',
              lambda a, b: _shared(a.place_words, b.place_words) >= 1),
        Level("else", "ELSE", lambda a, b: True),
    ),
)


def _two_level(field: str, column: str, label: str, sql: str, test: Test) -> Comparison:
    """A field that agrees one way or not at all: sex, nationality (exact)."""
    return Comparison(
        field=field,
        null_sql=f'"{column}_l" IS NULL OR "{column}_r" IS NULL',
        is_null=lambda a, b: not getattr(a, column) or not getattr(b, column),
        levels=(Level(label, sql, test), Level("else", "ELSE", lambda a, b: True)),
    )


def _exact(field: str) -> Comparison:
    return _two_level(field, field, "exact", f'"{field}_l" = "{field}_r"',
                      lambda a, b: getattr(a, field) == getattr(b, field))


def _crossed(a: tuple[str, ...], b: tuple[str, ...], c: tuple[str, ...], d: tuple[str, ...]) -> bool:
    return bool(set(a) & set(b)) or bool(set(c) & set(d))


# Levels in the order the evidence is strong: the same document, then a typo the check digit locates, then
# any one-character difference, then the same number recorded under another type (a national number copied
# into a passport field, or a CSV without types on one side).
_DOCUMENTS = Comparison(
    field="documents",
    null_sql='"documents_l" IS NULL OR "documents_r" IS NULL',
    is_null=lambda a, b: not a.documents or not b.documents,
    levels=(
        Level("exact", '{overlap}("document_ids_l", "document_ids_r")',
              lambda a, b: _shared(a.document_ids, b.document_ids) >= 1),
        Level("check digit shows a typo",
              '{overlap}("document_fixes_l", "documents_r") OR {overlap}("documents_l", "document_fixes_r")',
              lambda a, b: _crossed(a.document_fixes, b.documents, a.documents, b.document_fixes)),
        Level("one character apart",
              '{overlap}("document_near_l", "document_near_r") AND NOT {overlap}("documents_l", "documents_r")',
              lambda a, b: _shared(a.document_near, b.document_near) >= 1 and not _shared(a.documents, b.documents)),
        Level("same number, another type", '{overlap}("documents_l", "documents_r")',
              lambda a, b: _shared(a.documents, b.documents) >= 1),
        Level("else", "ELSE", lambda a, b: True),
    ),
)

_PHONES = Comparison(
    field="phones",
    null_sql='"phones_l" IS NULL OR "phones_r" IS NULL',
    is_null=lambda a, b: not a.phones or not b.phones,
    levels=(
        Level("exact", '{overlap}("phones_l", "phones_r")', lambda a, b: _shared(a.phones, b.phones) >= 1),
        Level("last 7 digits", '{overlap}("phone_tails_l", "phone_tails_r")',
              lambda a, b: _shared(a.phone_tails, b.phone_tails) >= 1),
        Level("else", "ELSE", lambda a, b: True),
    ),
)


COMPARISONS: tuple[Comparison, ...] = (
    _name("given", "family"),
    _name("family", "given"),
    _DOB,
    _PLACE,
    _exact("sex"),
    _exact("nationality"),
    _DOCUMENTS,
    _PHONES,
)


def compare(a: PersonFeatures, b: PersonFeatures) -> list[int]:
    """The gamma vector of a pair, one value per comparison in COMPARISONS order."""
    return [c.gamma(a, b) for c in COMPARISONS]


def splink_comparisons(dialect: str = "duckdb") -> list[dict[str, Any]]:
    """The comparisons as Splink comparison dicts for the given SQL dialect ('duckdb' or 'spark')."""
    return [c.splink(dialect) for c in COMPARISONS]


def feature_columns(f: PersonFeatures) -> dict[str, Any]:
    """A record's comparison columns as the SQL tables hold them: empty values and lists are NULL."""
    return {
        "id": f.id,
        "given": f.given or None, "family": f.family or None,
        "given_skel": f.given_skel or None, "family_skel": f.family_skel or None,
        "given_phon": f.given_phon or None, "family_phon": f.family_phon or None,
        "name_skels": list(f.name_skels),
        "dob": f.dob or None, "dob_year": f.dob_year, "dob_month": f.dob_month, "dob_day": f.dob_day,
        "dob_text": f.dob_text or None,
        "place": f.place or None, "place_words": list(f.place_words) or None,
        "sex": f.sex or None, "nationality": f.nationality or None,
        "documents": list(f.documents) or None, "phones": list(f.phones) or None,
        "document_ids": list(f.document_ids) or None, "document_fixes": list(f.document_fixes) or None,
        "document_near": list(f.document_near) or None, "phone_tails": list(f.phone_tails) or None,
    }
