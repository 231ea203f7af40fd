"""The comparison levels: the SQL Splink runs and the Python the online check runs agree on every pair."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from crossroads.dedup.engine.batch import _SCHEMA
from crossroads.dedup.engine.comparisons import COMPARISONS, compare, feature_columns, splink_comparisons
from crossroads.dedup.engine.keys import PersonRecord, features


def rec(i: str, given=None, family=None, dob=None, **kw) -> PersonRecord:
    return PersonRecord(id=i, given_name=given, family_name=family, date_of_birth=dob, **kw)


# Pairs meant to land on every level of every comparison, and on the edges between them.
PAIRS = [
    (rec("a1", "Mohammed", "Al-Hassan", "1990-03-05"), rec("b1", "Mohammed", "Hassan", "1990-03-05")),
    (rec("a2", "Mohammed", "Hassan", "1990-03-05"), rec("b2", "محمد", "حسن", "1990-05-03")),
    (rec("a3", "Ali", "Hassan", "1990"), rec("b3", "Hassan", "Ali", "1990-07-01")),
    (rec("a4", "Aisha", "Ali", "1990-03-05"), rec("b4", "Layla", "Issa", "1990-03-06")),
    (rec("a5", "Catherine", "Smith", "1990-03-05"), rec("b5", "Kathryn", "Smyth", "1991-03-05")),
    (rec("a6", "Juan Carlos", "Ramos Rivera", "1985"), rec("b6", "Juan", "Ramos", "1987-02-01")),
    (rec("a7", "Tesfay", "Haile", "1970-01-01", dob_estimated=True), rec("b7", "ተስፋይ", "ሃይለ", "1972")),
    (rec("a8", "Jean", None, None, place="Dakar"), rec("b8", "Jean", "Diop", "2001-12-31", place="dakar")),
    (rec("a9", "Marie", "Diallo", "1999-12", place="Pikine Dakar"), rec("b9", "Mari", "Jalloh", "1999",
                                                                          place="Dakar Plateau")),
    (rec("a10", "Fatima", "Khan", "2000-01-01", sex="f", nationality="AFG", documents=("P 123456",),
         phones=("+93 700 123 456",)),
     rec("b10", "Fatemeh", "Khan", "1960-06-06", sex="female", nationality="AFG", documents=("p123456", "X9999"),
         phones=("0700123457",))),
    (rec("a11", "Ana", "Lopez", "1950-01-02", sex="f", nationality="VEN", place="Caracas"),
     rec("b11", "Rosa", "Perez", "1999-11-12", sex="m", nationality="COL", place="Medellin")),
    (rec("a12", "Awa", "Sow"), rec("b12", "Awa", "Sow", documents=("A12345",))),
    (rec("a13", "Isaac", "Igwe", "1990-06-01"), rec("b13", "Isaak", "Igwe", "1990-01-06")),
    (rec("a14", "Abdul Rahman", "Al Tamimi"), rec("b14", "عبد الرحمن", "التميمي")),
    (rec("a15", "Xasan", "Cali", "1980-02-02"), rec("b15", "Hassan", "Ali", "1980-02-02")),
    (rec("a16", None, "Hassan", "1990-03-05"), rec("b16", "Mona", None, "1990-03-05")),
    (rec("a17", "Mutombo", "Brdgitte", "2018-01-18"), rec("b17", "Brigitte", "Mutombo", "2018")),
    (rec("a18", "Luz", "Rios Contreras", "1989"), rec("b18", "Rosa", "Rios Contreras", "1989")),
    (rec("a19", "Hassan", "Omar Ali"), rec("b19", "Omar", "Yusuf Hassan")),
    (rec("a20", "Tesfay", "Haile", "1970-05-04"), rec("b20", "Tesfay", "Haile", "1972")),
    # Dates that do not parse, compared by their parts and as text (20-27).
    (rec("a21", "Ana", "Lopez", "1915-11-32"), rec("b21", "Ana", "Lopez", "1915-11-25")),
    (rec("a22", "Ana", "Lopez", "1915-11-32"), rec("b22", "Ana", "Lopez", "1915-11-22")),
    (rec("a23", "Ana", "Lopez", "1990-25-03"), rec("b23", "Ana", "Lopez", "1990-03-25")),
    (rec("a24", "Ana", "Lopez", "1915-11-32"), rec("b24", "Ana", "Lopez", "32/11/1915")),
    (rec("a25", "Ana", "Lopez", "1990-03-05?"), rec("b25", "Ana", "Lopez", "05/03/1990")),
    (rec("a26", "Ana", "Lopez", "unknown"), rec("b26", "Ana", "Lopez", "1990")),
    (rec("a27", "Ana", "Lopez", "1990-13-45"), rec("b27", "Ana", "Lopez", "1990-07-01")),
    (rec("a28", "Ana", "Lopez", "c. 1990"), rec("b28", "Ana", "Lopez", "1992")),
    # Documents and phones (29-34): L898902C3 and its check digit 6 are ICAO Doc 9303's own example.
    (rec("a29", documents=("L898902C36",), document_types=("passport",), phones=("+249 912 345 678",),
         nationality="SDN"),
     rec("b29", documents=("L898902C86",), document_types=("passport",), phones=("0912345678",), nationality="SDN")),
    (rec("a30", documents=("A1234567",), document_types=("passport",), phones=("+254 712 345 678",)),
     rec("b30", documents=("A1234576",), document_types=("passport",), phones=("+255 712 345 678",))),
    (rec("a31", documents=("12-345-678",), document_types=("national_id",)),
     rec("b31", documents=("12345678",), document_types=("passport",))),
    (rec("a32", documents=("AO12345",), document_types=("passport",)),
     rec("b32", documents=("a0 12345",), document_types=("passport",), phones=("+254 712 345 678",))),
    (rec("a33", documents=("A12345",), phones=("+254 712 345 678",)),
     rec("b33", documents=("B99999",), phones=("+254 799 000 111",))),
    (rec("a34", documents=("L898902C36",), document_types=("passport",)),
     rec("b34", documents=("L898902C30",), document_types=("passport",))),
    (rec("a35", "Ana", "Lopez", "1950-43-06"), rec("b35", "Ana", "Lopez", "1954-03-06")),
]


def _sql_gammas(pairs) -> list[list[int]]:
    con = duckdb.connect()
    rows = list({r.id: feature_columns(features(r)) for pair in pairs for r in pair}.values())
    con.register("people_arrow", pa.Table.from_pylist(rows, schema=_SCHEMA()))
    con.execute("CREATE TABLE people AS SELECT * FROM people_arrow")
    columns = [c.name for c in _SCHEMA()]
    select = ", ".join(f'l."{c}" AS "{c}_l", r."{c}" AS "{c}_r"' for c in columns)
    cases = []
    for comparison in splink_comparisons("duckdb"):
        levels = comparison["comparison_levels"]
        non_null = len(levels) - 1
        whens = [f"WHEN {levels[0]['sql_condition']} THEN -1"]
        for i, level in enumerate(levels[1:]):
            gamma = non_null - 1 - i
            whens.append(f"ELSE {gamma}" if level["sql_condition"] == "ELSE" else f"WHEN {level['sql_condition']} "
                         f"THEN {gamma}")
        cases.append("CASE " + " ".join(whens) + " END")
    pair_ids = ", ".join(f"('{a.id}', '{b.id}', {i})" for i, (a, b) in enumerate(pairs))
    sql = (f"WITH ids(a, b, i) AS (VALUES {pair_ids}), j AS (SELECT ids.i, {select} FROM ids "
           "JOIN people l ON l.id = ids.a JOIN people r ON r.id = ids.b) "
           f"SELECT {', '.join(cases)} FROM j ORDER BY i")
    return [list(row) for row in con.execute(sql).fetchall()]


class TestCompare:
    def test_sql_and_python_give_the_same_level_for_every_pair_both_ways(self):
        pairs = PAIRS + [(b, a) for a, b in PAIRS]
        python = [compare(features(a), features(b)) for a, b in pairs]
        assert _sql_gammas(pairs) == python

    def test_every_level_of_the_names_and_dates_is_reached(self):
        seen = {(c.field, g) for a, b in PAIRS + [(b, a) for a, b in PAIRS]
                for c, g in zip(COMPARISONS, compare(features(a), features(b)), strict=True)}
        for comparison in (*COMPARISONS[:3], *COMPARISONS[6:]):
            reached = {g for field, g in seen if field == comparison.field}
            assert reached >= {-1, 0, len(comparison.levels) - 1}, comparison.field

    @pytest.mark.parametrize(("a", "b", "field", "label"), [
        (PAIRS[1][0], PAIRS[1][1], "given_name", "transliteration"),
        (PAIRS[1][0], PAIRS[1][1], "date_of_birth", "day and month swapped"),
        (PAIRS[2][0], PAIRS[2][1], "given_name", "swapped with family"),
        (PAIRS[2][0], PAIRS[2][1], "date_of_birth", "agrees as far as known"),
        # One-consonant skeletons crossing over ("s": Aisha, Issa; "l": Ali, Layla) are not a swap, nor a
        # shared word; neither is a two-consonant one ("rs": Rosa, Rios).
        (PAIRS[3][0], PAIRS[3][1], "given_name", "else"),
        (PAIRS[17][0], PAIRS[17][1], "given_name", "else"),
        (PAIRS[18][0], PAIRS[18][1], "given_name", "shares a word"),
        (PAIRS[16][0], PAIRS[16][1], "given_name", "swapped, one fuzzy"),
        (PAIRS[16][0], PAIRS[16][1], "family_name", "swapped, one fuzzy"),
        # Two estimates (an estimated age counts as its year) against an estimate and a known date.
        (PAIRS[6][0], PAIRS[6][1], "date_of_birth", "within 2 years, both known by the year only"),
        (PAIRS[19][0], PAIRS[19][1], "date_of_birth", "within 2 years, a date known by its year only"),
        (PAIRS[17][0], PAIRS[17][1], "date_of_birth", "same year, both known by the year only"),
        (PAIRS[9][0], PAIRS[9][1], "documents", "exact"),
        (PAIRS[9][0], PAIRS[9][1], "phones", "else"),
        (PAIRS[14][0], PAIRS[14][1], "family_name", "fuzzy 0.80"),
        (PAIRS[13][0], PAIRS[13][1], "given_name", "transliteration"),
        (PAIRS[20][0], PAIRS[20][1], "date_of_birth", "same year and month, day unreadable"),
        (PAIRS[21][0], PAIRS[21][1], "date_of_birth", "one digit differs"),
        (PAIRS[22][0], PAIRS[22][1], "date_of_birth", "day and month swapped"),
        (PAIRS[23][0], PAIRS[23][1], "date_of_birth", "same digits as text"),
        (PAIRS[24][0], PAIRS[24][1], "date_of_birth", "exact"),
        (PAIRS[25][0], PAIRS[25][1], "date_of_birth", "missing"),
        (PAIRS[26][0], PAIRS[26][1], "date_of_birth", "same year"),
        (PAIRS[27][0], PAIRS[27][1], "date_of_birth", "within 2 years, both known by the year only"),
        (PAIRS[28][0], PAIRS[28][1], "documents", "check digit shows a typo"),
        (PAIRS[28][0], PAIRS[28][1], "phones", "exact"),
        (PAIRS[29][0], PAIRS[29][1], "documents", "one character apart"),
        (PAIRS[29][0], PAIRS[29][1], "phones", "last 7 digits"),
        (PAIRS[30][0], PAIRS[30][1], "documents", "same number, another type"),
        (PAIRS[31][0], PAIRS[31][1], "documents", "exact"),
        (PAIRS[32][0], PAIRS[32][1], "documents", "else"),
        (PAIRS[32][0], PAIRS[32][1], "phones", "else"),
        # The check digit is the typo: the number before it still validates against the other.
        (PAIRS[33][0], PAIRS[33][1], "documents", "check digit shows a typo"),
        (PAIRS[34][0], PAIRS[34][1], "date_of_birth", "two neighbouring digits swapped"),
    ])
    def test_named_level(self, a, b, field, label):
        comparison = next(c for c in COMPARISONS if c.field == field)
        assert comparison.label(comparison.gamma(features(a), features(b))) == label


class TestSplinkComparisons:
    def test_spark_dialect_uses_spark_functions(self):
        sql = str(splink_comparisons("spark"))
        assert "jaro_winkler(" in sql and "arrays_overlap" in sql and "list_" not in sql
