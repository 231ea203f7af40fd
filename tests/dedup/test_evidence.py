from __future__ import annotations

import pytest

from crossroads.dedup.engine.comparisons import COMPARISONS
from crossroads.dedup.evidence import AGREES, DIFFERS, PHRASES, evidence, sides


class TestPhrases:
    @pytest.mark.parametrize("comparison", COMPARISONS, ids=lambda c: c.field)
    def test_every_level_of_the_engine_is_said_in_words(self, comparison):
        assert set(PHRASES[comparison.field]) == {level.label for level in comparison.levels}

    def test_no_phrase_is_a_score(self):
        phrases = [phrase for levels in PHRASES.values() for _, phrase in levels.values()]
        assert not any(ch in phrase for phrase in phrases for ch in "+0123456789")


class TestEvidence:
    def test_fields_agree_or_differ_in_words(self):
        reasons = [{"field": "date_of_birth", "level": "exact", "agreed": True, "weight": 8.6},
                   {"field": "family_name", "level": "fuzzy 0.92", "agreed": True, "weight": 3.1},
                   {"field": "nationality", "level": "else", "agreed": False, "weight": -2.0}]
        agrees, differs = sides(reasons)
        assert [e.phrase for e in agrees] == ["same date of birth"]
        assert [e.phrase for e in differs] == ["family name spelt differently", "different nationality"]

    def test_a_swap_reached_by_both_names_is_said_once(self):
        reasons = [{"field": "given_name", "level": "swapped with family", "agreed": True},
                   {"field": "family_name", "level": "swapped with given", "agreed": True}]
        assert [e.phrase for e in sides(reasons)[1]] == ["given and family names swapped"]

    def test_a_level_this_version_does_not_know_is_said_by_its_field(self):
        [e] = evidence([{"field": "sex", "level": "a future level", "agreed": True}])
        assert (e.side, e.phrase) == (AGREES, "%(field)s agrees")
        [e] = evidence([{"field": "eyes", "level": "else", "agreed": False}])
        assert (e.side, e.phrase) == (DIFFERS, "%(field)s differs")
