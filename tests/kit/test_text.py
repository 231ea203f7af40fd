"""Name folding: the forms search and duplicate detection compare."""

from __future__ import annotations

import pytest

from crossroads.kit.text import fold, normalise_document_number, query_tokens, search_key


class TestFold:
    @pytest.mark.parametrize(("name", "folded"), [
        ("José", "jose"),
        ("Ñuñez", "nunez"),
        ("Ğül-Şahin", "gul sahin"),
        ("Nguyễn Văn", "nguyen van"),
        ("Straße", "strasse"),
        ("ﬁ", "fi"),
        ("محمد", "mhmd"),
        ("Ωμέγα", "omega"),
        ("ÅSA  o'brien", "asa o brien"),
        ("  ", ""),
    ])
    def test_case_accents_script_and_punctuation_fold_away(self, name, folded):
        assert fold(name) == folded


class TestSearchKey:
    def test_distinct_tokens_of_all_names_in_first_seen_order(self):
        assert search_key("José María", "jose  Garcia", "MARÍA") == "jose maria garcia"

    def test_no_names_give_an_empty_key(self):
        assert search_key() == search_key("", " - ") == ""


class TestQueryTokens:
    def test_a_query_splits_where_its_folded_form_has_spaces(self):
        assert query_tokens(" Jo-sé  ga ") == ["jo", "se", "ga"]


class TestNormaliseDocumentNumber:
    @pytest.mark.parametrize(("number", "normalised"), [
        ("p 123-456", "P123456"),
        ("ab.12/cd", "AB12CD"),
        ("Ж123", "ZH123"),
        ("№ 4567", "NO4567"),
    ])
    def test_keeps_romanised_letters_and_digits_in_upper_case(self, number, normalised):
        assert normalise_document_number(number) == normalised
