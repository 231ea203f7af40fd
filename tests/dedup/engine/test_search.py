"""Ranking a name search with the engine's name comparisons: table-driven, no database."""

from __future__ import annotations

import pytest

from crossroads.dedup.engine.model import default_model
from crossroads.dedup.engine.search import candidate_forms, name_score, query_forms

YOUSSEF = candidate_forms("Youssef", "Al-Haddad", ["يوسف الحداد"], "SYR")


def score(query: str, person=YOUSSEF) -> float:
    return name_score(default_model(), query_forms(query), person)


class TestNameScore:
    def test_the_name_as_registered_scores_highest(self):
        assert score("Youssef Al-Haddad") > score("Yusef Hadad") > score("Hadad")

    @pytest.mark.parametrize("query", ["Yusef Hadad", "Hadad Yusef", "يوسف الحداد", "Yousef Haddad"])
    def test_other_spellings_and_orders_agree_by_transliteration(self, query):
        assert score(query) > 10

    def test_a_swapped_name_never_outranks_the_name_as_typed(self):
        exact = candidate_forms("Hadad", "Yusef", [], None)
        assert score("Hadad Yusef", exact) > score("Hadad Yusef")

    def test_a_different_person_scores_below_zero(self):
        assert score("Jamal Yousef") < score("Yousef") < score("Yusef Hadad")

    def test_latin_finds_an_arabic_script_name(self):
        jamal = candidate_forms("جمال", "يوسف", [], "SYR")
        assert score("Jamal Yousef", jamal) > 10

    def test_somali_orthography_is_read_both_ways(self):
        elmi = candidate_forms("Warsameh", "Elmi", [], "SOM")
        assert score("Cilmi Warsame", elmi) > 10

    def test_an_empty_query_has_no_forms(self):
        assert query_forms(" - ") == ()
