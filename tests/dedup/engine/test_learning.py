"""The pure half of learning from reviewers: which pairs to ask about, and the model updated from answers."""

from __future__ import annotations

from collections import Counter

import pytest

from crossroads.dedup.engine.comparisons import COMPARISONS
from crossroads.dedup.engine.learning import (
    Label,
    evaluate,
    pair_probability,
    select_pairs,
    uncertainty,
    update_model,
)
from crossroads.dedup.engine.model import MatchModel, default_model

N = len(COMPARISONS)
# Index of each comparison in the vector.
GIVEN, FAMILY, DOB, PLACE, SEX, NATIONALITY = range(6)


def vector(**levels: int) -> tuple[int, ...]:
    """A comparison vector: every comparison at "else" (0) unless given, by name."""
    names = {"given": GIVEN, "family": FAMILY, "dob": DOB, "place": PLACE, "sex": SEX, "nationality": NATIONALITY}
    out = [0] * N
    for name, level in levels.items():
        out[names[name]] = level
    return tuple(out)


def m_of(model: MatchModel, comparison: int, gamma: int) -> float:
    levels = model.levels[comparison]
    return levels[len(levels) - 1 - gamma][1]  # type: ignore[return-value]


@pytest.fixture(scope="module")
def base() -> MatchModel:
    return default_model()


class TestUpdateModel:
    def test_matches_at_a_level_raise_its_m(self, base):
        top = len(base.levels[DOB]) - 1
        labels = [Label(vector(dob=top, sex=1), True) for _ in range(200)]
        new = update_model(base, labels, version="t", trained_at="")
        assert m_of(new, DOB, top) > m_of(base, DOB, top)
        # The other levels give up what the top level gained: m stays a distribution over the levels.
        assert m_of(new, DOB, top - 1) < m_of(base, DOB, top - 1)
        assert sum(m for _, m, _ in new.levels[DOB]) == pytest.approx(1, abs=0.02)

    def test_a_pattern_rejected_again_and_again_scores_lower(self, base):
        # Reviewers keep saying that same family name and same sex, nothing else, is two people.
        pattern = vector(family=len(base.levels[FAMILY]) - 1, sex=1)
        matches = [Label(vector(given=10, family=9, sex=1), True)] * 50
        rejected = update_model(base, [Label(pattern, False)] * 300 + matches, version="t", trained_at="")
        # The same answers, but the 300 non-matches are pairs that agree on nothing.
        elsewhere = update_model(base, [Label(vector(), False)] * 300 + matches, version="t", trained_at="")
        assert pair_probability(rejected, pattern) < pair_probability(elsewhere, pattern) / 2

    def test_few_labels_move_the_model_little(self, base):
        top = len(base.levels[DOB]) - 1
        few = update_model(base, [Label(vector(dob=0), True)] * 2, version="t", trained_at="")
        many = update_model(base, [Label(vector(dob=0), True)] * 500, version="t", trained_at="")
        moved_few = m_of(few, DOB, 0) - m_of(base, DOB, 0)
        moved_many = m_of(many, DOB, 0) - m_of(base, DOB, 0)
        assert 0 < moved_few < 0.05 < moved_many
        assert m_of(few, DOB, top) == pytest.approx(m_of(base, DOB, top), rel=0.05)

    def test_a_missing_comparison_teaches_nothing_about_it(self, base):
        missing = tuple(-1 if i == PLACE else 0 for i in range(N))
        new = update_model(base, [Label(missing, True)] * 100, version="t", trained_at="")
        untaught = update_model(base, [], version="t", trained_at="")
        assert new.levels[PLACE] == untaught.levels[PLACE]
        assert new.levels[DOB] != untaught.levels[DOB]

    def test_the_new_version_says_what_it_learnt_from(self, base):
        new = update_model(base, [Label(vector(), False)] * 3, version="v-new", trained_at="2026-12-11T12:00:00")
        assert new.version == "v-new" and base.version in new.trained_on and "3" in new.trained_on
        assert MatchModel.from_json(new.to_json()).levels == new.levels

    def test_a_vector_of_another_length_is_refused(self, base):
        with pytest.raises(ValueError, match="comparison vector"):
            update_model(base, [Label((1, 2), True)], version="t", trained_at="")


class TestSelectPairs:
    def test_the_most_uncertain_pair_comes_first(self, base):
        pool = [(key, gamma) for key, gamma in _spread(base)]
        chosen = select_pairs(base, pool, limit=1)
        best = max(pool, key=lambda kg: uncertainty(pair_probability(base, kg[1])))
        assert chosen == [best[0]]

    def test_one_pattern_is_not_asked_twenty_times(self, base):
        # Twenty pairs of the most uncertain pattern and a few of others, a little less uncertain.
        def u(gamma):
            return uncertainty(pair_probability(base, gamma))

        spread = sorted(_spread(base), key=lambda kg: -u(kg[1]))
        top = spread[0][1]
        others = [g for _, g in spread[1:] if u(g) >= 0.6 * u(top)][:5]
        assert len(others) >= 3
        pool = [(f"same-{i}", top) for i in range(20)] + [(f"other-{i}", g) for i, g in enumerate(others)]
        chosen = select_pairs(base, pool, limit=len(others) + 1)
        assert sum(key.startswith("same-") for key in chosen) == 1
        # Uncertainty alone would have asked about the top pattern every time.
        assert len({dict(pool)[key] for key in chosen}) == len(others) + 1

    def test_a_pattern_already_decided_waits(self, base):
        spread = sorted(_spread(base), key=lambda kg: -uncertainty(pair_probability(base, kg[1])))
        first, second = spread[0], spread[1]
        pool = [first, second]
        assert select_pairs(base, pool, limit=1) == [first[0]]
        assert select_pairs(base, pool, limit=1, asked=Counter({first[1]: 50})) == [second[0]]

    def test_the_same_pool_gives_the_same_questions(self, base):
        pool = list(_spread(base))
        assert select_pairs(base, pool, limit=10) == select_pairs(base, pool, limit=10)


def _spread(model: MatchModel):
    """Pairs of many patterns: names, date of birth and place at every combination of their levels."""
    for g in range(len(model.levels[GIVEN])):
        for f in range(len(model.levels[FAMILY])):
            for d in range(len(model.levels[DOB])):
                for p in range(len(model.levels[PLACE])):
                    yield f"{g}-{f}-{d}-{p}", vector(given=g, family=f, dob=d, place=p, sex=1)


class TestEvaluate:
    def test_counts_and_measures_at_the_threshold(self, base):
        sure = vector(given=10, family=10, dob=len(base.levels[DOB]) - 1, sex=1, nationality=1)
        unlike = vector()
        labels = [Label(sure, True), Label(sure, False), Label(unlike, True), Label(unlike, False)]
        m = evaluate(base, labels, threshold=0.5)
        assert (m.true_positives, m.false_positives, m.false_negatives) == (1, 1, 1)
        assert m.precision == m.recall == m.f1 == 0.5
        assert m.log_loss is not None and m.log_loss > 1

    def test_no_labels_has_no_figures(self, base):
        m = evaluate(base, [], threshold=0.5)
        assert m.precision is None and m.recall is None and m.f1 is None and m.log_loss is None
