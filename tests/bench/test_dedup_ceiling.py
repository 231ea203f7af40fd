"""The recall-at-precision ceiling at a small size: the three figures, and the measures behind them."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from bench.cli import app
from bench.dedup_ceiling import recall_at, similarities
from crossroads.dedup.engine.keys import PersonRecord, features


def _pair(a: tuple[str, str], b: tuple[str, str]) -> list[float]:
    return similarities(features(PersonRecord(id="a", given_name=a[0], family_name=a[1])),
                        features(PersonRecord(id="b", given_name=b[0], family_name=b[1])))


class TestCeiling:
    def test_prints_the_unsupervised_and_supervised_recalls(self):
        result = CliRunner().invoke(app, ["dedup-ceiling", "--people", "2000", "--json"])
        assert result.exit_code == 0, result.output
        figures = json.loads(result.stdout[result.stdout.index("{"):])
        assert figures["true_pairs"] > 300 and figures["candidate_pairs"] > figures["true_pairs"]
        for key in ("unsupervised", "supervised_levels", "supervised_levels_and_similarities", "supervised_trees"):
            assert 0.5 < figures[key] <= figures["blocking_recall"]

    def test_recall_at_precision_over_scores_and_labels(self):
        # Ranked: T F T T F; precision stays at least 2/3 down to the fourth pair, which holds all three.
        assert recall_at([0.9, 0.8, 0.7, 0.6, 0.5], [True, False, True, True, False], target=0.7) == 1.0
        assert recall_at([0.9, 0.8, 0.7, 0.6, 0.5], [True, False, True, True, False], target=0.8) == round(1 / 3, 4)

    def test_similarities_see_a_swap_and_the_words_shared(self):
        same = _pair(("Amina", "Jama Aweys"), ("Amina", "Jama Aweys"))
        swapped = _pair(("Amina", "Jama Aweys"), ("Jama Aweys", "Amina"))
        other = _pair(("Amina", "Jama"), ("Layla", "Osman"))
        assert same[0] == same[1] == 7 and same[-1] == 4  # every bin reached; the same three words
        assert swapped[0] < 7 and swapped[4] == swapped[5] == 7 and swapped[-1] == 4
        assert other[-1] == 0
