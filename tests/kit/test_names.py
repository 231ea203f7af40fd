"""Search keys of names and of queries: what a query shares with the names it should find."""

from __future__ import annotations

import pytest

from crossroads.kit.names import name_search_keys, query_readings, query_search_keys

YOUSSEF = name_search_keys(["Youssef Al-Haddad", "يوسف الحداد"])


def shares(query: str, keys: set[str] = YOUSSEF) -> dict[str, bool]:
    q = query_search_keys(query)
    return {"every word": all(set(w) & keys for w in q.words), "pair": bool(set(q.pairs) & keys),
            "one letter off": bool(set(q.typos) & keys), "first consonant": bool(set(q.near) & keys)}


class TestQueryKeys:
    @pytest.mark.parametrize("query", ["Yusef Hadad", "Hadad Yusef", "يوسف الحداد", "youssef haddad"])
    def test_spellings_and_orders_share_every_word_and_the_pair(self, query):
        assert shares(query) == {"every word": True, "pair": True, "one letter off": True, "first consonant": True}

    @pytest.mark.parametrize("query", ["Hadad", "Yousef"])
    def test_one_part_shares_its_word(self, query):
        assert shares(query)["every word"]

    @pytest.mark.parametrize("query", ["Yousef Hsddad", "Yusef Gaddad", "Yousef Haddadi"])
    def test_one_letter_off_shares_a_typo_key(self, query):
        assert shares(query)["one letter off"]

    def test_a_different_name_shares_no_pair(self):
        assert shares("Jamal Yousef") == {"every word": False, "pair": False, "one letter off": False,
                                          "first consonant": False}

    def test_keys_are_hashed(self):
        assert all(k[1] == ":" and len(k) == 17 for k in YOUSSEF)


class TestQueryReadings:
    @pytest.mark.parametrize(("query", "reading"), [
        ("Cilmi Warsame", ("ilmi", "warsame")),
        ("Leila Alobaidi", ("leila", "obaidi")),
    ])
    def test_somali_orthography_and_a_glued_article_are_read_both_ways(self, query, reading):
        readings = query_readings(query)
        assert readings[0] == tuple(query.lower().split()) and reading in readings

    def test_readings_are_capped(self):
        assert len(query_readings("Maxamed Cali Cumar Cabdi")) <= 4
