"""Calibration of match probabilities (pure): known truth comes out calibrated, maps are monotone, files load."""

from __future__ import annotations

import json
import math
from importlib import resources

import numpy as np
import pytest

from crossroads.dedup.engine.calibration import (
    Calibration,
    calibrate,
    choose_threshold,
    fit_latent_classes,
    reliability_table,
)
from crossroads.dedup.engine.model import MatchModel, ModelError, default_model

# A known world: three comparisons (levels strongest first, the last is "else"), 4% of candidates matches.
TRUE_SHARE = 0.04
TRUE_M = [np.array([0.70, 0.20, 0.10]), np.array([0.60, 0.25, 0.15]), np.array([0.80, 0.20])]
TRUE_U = [np.array([0.08, 0.22, 0.70]), np.array([0.05, 0.15, 0.80]), np.array([0.30, 0.70])]
# What a model trained elsewhere believes: u from random pairs (far rarer agreement than among candidates)
# and a prior for random pairs — confident far beyond what the candidates bear out.
MODEL_U = [np.array([0.002, 0.01, 0.988]), np.array([0.001, 0.01, 0.989]), np.array([0.05, 0.95])]
MODEL_PRIOR = 1e-3


def _world(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Comparison vectors of n candidate pairs drawn from the known world, and which are matches."""
    rng = np.random.default_rng(seed)
    truth = rng.random(n) < TRUE_SHARE
    columns = []
    for m, u in zip(TRUE_M, TRUE_U, strict=True):
        levels = np.where(truth, rng.choice(len(m), size=n, p=m), rng.choice(len(u), size=n, p=u))
        missing = rng.random(n) < 0.05
        columns.append(np.where(missing, -1, levels))
    return np.stack(columns, axis=1), truth


def _grouped(patterns: np.ndarray, truth: np.ndarray):
    keys, inverse, counts = np.unique(patterns, axis=0, return_inverse=True, return_counts=True)
    matches = np.bincount(inverse.ravel(), weights=truth.astype(float), minlength=len(keys))
    return keys, counts.astype(float), matches


def _model_weights(patterns: np.ndarray) -> np.ndarray:
    weights = np.full(len(patterns), math.log2(MODEL_PRIOR / (1 - MODEL_PRIOR)))
    for k, (m, u) in enumerate(zip(TRUE_M, MODEL_U, strict=True)):
        g = patterns[:, k]
        seen = g >= 0
        weights[seen] += np.log2(m / u)[g[seen]]
    return weights


class TestCalibrate:
    def test_known_truth_comes_out_calibrated_within_three_points(self):
        patterns, counts, matches = _grouped(*_world(200_000, seed=1))
        weights = _model_weights(patterns)
        raw = 1 / (1 + 2.0 ** -weights)
        start = float((raw * counts).sum() / counts.sum())
        fit = fit_latent_classes(patterns, counts, m=TRUE_M, u=MODEL_U, share=start, estimate_m=False)
        assert fit.share == pytest.approx(TRUE_SHARE, abs=0.005)
        calibration = calibrate(weights, fit.posterior, counts, share=fit.share)
        probs = calibration.probability(weights)
        rows = reliability_table(probs, counts, matches)
        assert sum(r.pairs for r in rows) == counts.sum()
        for row in rows:
            if row.pairs >= 500:
                assert row.observed == pytest.approx(row.mean_predicted, abs=0.03), row
        # The model alone was far from it: the same check fails on its own probabilities.
        raw_rows = reliability_table(raw, counts, matches)
        assert any(r.pairs >= 500 and abs(r.observed - r.mean_predicted) > 0.1 for r in raw_rows)

    def test_free_m_recovers_the_world_from_a_wrong_start(self):
        patterns, counts, _ = _grouped(*_world(200_000, seed=2))
        start_m = [np.array([0.4, 0.3, 0.3]), np.array([0.4, 0.3, 0.3]), np.array([0.6, 0.4])]
        fit = fit_latent_classes(patterns, counts, m=start_m, u=MODEL_U, share=0.2)
        assert fit.share == pytest.approx(TRUE_SHARE, abs=0.005)
        for got, want in zip(fit.m, TRUE_M, strict=True):
            assert got == pytest.approx(want, abs=0.04)

    def test_probabilities_never_decrease_with_the_weight(self):
        rng = np.random.default_rng(3)
        weights = rng.normal(0, 8, 5000)
        # Posteriors that go the wrong way in places: the map must still be monotone.
        posterior = np.clip(1 / (1 + np.exp(-weights / 3)) + rng.normal(0, 0.2, 5000), 0, 1)
        calibration = calibrate(weights, posterior, np.ones(5000))
        assert all(b >= a for a, b in zip(calibration.probabilities, calibration.probabilities[1:], strict=False))
        grid = calibration.probability(np.linspace(-40, 40, 801))
        assert np.all(np.diff(grid) >= 0)

    def test_a_band_going_the_wrong_way_is_pooled_with_its_neighbour(self):
        calibration = calibrate([0.0, 1.0, 2.0, 3.0], [0.2, 0.6, 0.4, 0.9], [100, 100, 100, 100], band_bits=0,
                                band_pairs=1)
        assert calibration.probabilities == pytest.approx((0.2, 0.5, 0.5, 0.9))

    def test_weight_for_is_the_lowest_weight_reaching_a_probability(self):
        calibration = Calibration(weights=(-4.0, 0.0, 4.0), probabilities=(0.1, 0.5, 0.9))
        assert calibration.weight_for(0.7) == 4.0
        assert calibration.probability([3.99, 4.0, -9.0])[:].tolist() == [0.5, 0.9, 0.1]
        assert calibration.weight_for(0.05) == -math.inf
        assert calibration.weight_for(0.95) == math.inf

    def test_refuses_a_map_that_goes_down(self):
        with pytest.raises(ValueError, match="must not decrease"):
            Calibration(weights=(0.0, 1.0), probabilities=(0.6, 0.4))


class TestChooseThreshold:
    def test_expected_precision_and_recall_match_what_calibrated_pairs_give(self):
        rng = np.random.default_rng(4)
        probs = rng.beta(0.3, 0.6, 100_000)
        truth = rng.random(100_000) < probs
        choice = choose_threshold(probs)
        kept = probs >= choice.threshold
        assert truth[kept].mean() == pytest.approx(choice.precision, abs=0.01)
        assert truth[kept].sum() / truth.sum() == pytest.approx(choice.recall, abs=0.01)

    def test_f1_optimal_is_the_best_expected_f1_of_every_cut(self):
        probs = np.array([0.99, 0.95, 0.9, 0.7, 0.6, 0.4, 0.3, 0.1, 0.05, 0.01])
        choice = choose_threshold(probs)
        expected = probs.sum()
        best = max(2 * probs[probs >= t].sum() / ((probs >= t).sum() + expected) for t in probs)
        assert choice.f1 == pytest.approx(best)

    def test_a_precision_gives_the_lowest_threshold_reaching_it(self):
        probs = np.array([0.999, 0.99, 0.98, 0.95, 0.9, 0.5, 0.2])
        choice = choose_threshold(probs, precision=0.97)
        assert choice.reached and choice.precision >= 0.97
        lower = probs[probs < choice.threshold].max()
        assert probs[probs >= lower].mean() < 0.97

    def test_an_unreachable_precision_says_so(self):
        assert not choose_threshold(np.array([0.5, 0.4]), precision=0.99).reached

    def test_counts_weigh_each_probability(self):
        grouped = choose_threshold(np.array([0.9, 0.2]), np.array([3.0, 5.0]))
        flat = choose_threshold(np.array([0.9, 0.9, 0.9, 0.2, 0.2, 0.2, 0.2, 0.2]))
        assert (grouped.threshold, grouped.f1) == pytest.approx((flat.threshold, flat.f1))


class TestReliabilityTable:
    def test_bands_hold_pairs_mean_predicted_and_observed_share(self):
        rows = reliability_table(np.array([0.01, 0.02, 0.93, 0.97, 1.0]), np.array([10, 10, 4, 2, 1]),
                                 np.array([0, 1, 3, 2, 1]))
        by_low = {r.low: r for r in rows}
        assert by_low[0.0].pairs == 20 and by_low[0.0].observed == pytest.approx(0.05)
        assert by_low[0.0].mean_predicted == pytest.approx(0.015)
        assert by_low[0.9].observed == pytest.approx(0.75)
        assert by_low[0.99].pairs == 1  # 1.0 falls in the last band

    def test_without_labels_the_observed_share_is_unknown(self):
        assert all(r.observed is None for r in reliability_table(np.array([0.2, 0.8])))


class TestModelFiles:
    def test_a_model_file_from_before_calibration_loads_without_one(self):
        text = resources.files("crossroads.dedup.engine").joinpath("data", "model-v4.json").read_text(encoding="utf-8")
        data = json.loads(text)
        assert "calibration" not in data
        assert MatchModel.from_json(data).calibration is None

    def test_a_calibration_is_saved_and_read_back(self, tmp_path):
        model = default_model()
        calibrated = MatchModel(version="t1", prior=model.prior, levels=model.levels, splink=model.splink,
                                calibration=Calibration(weights=(-3.0, 5.0), probabilities=(0.02, 0.97),
                                                        match_share=0.03, candidates=1234))
        calibrated.save(tmp_path / "m.json")
        loaded = MatchModel.load(tmp_path / "m.json")
        assert loaded.calibration == calibrated.calibration
        assert loaded.score(*_two()).probability == pytest.approx(calibrated.score(*_two()).probability)

    def test_a_broken_calibration_is_refused_by_name(self):
        data = default_model().to_json() | {"calibration": {"weights": [1, 0], "probabilities": [0.1, 0.2]}}
        with pytest.raises(ModelError, match="calibration"):
            MatchModel.from_json(data)


def _two():
    from crossroads.dedup.engine.keys import PersonRecord

    return (PersonRecord(id="a", given_name="Amina", family_name="Yusuf", date_of_birth="1990-03-05"),
            PersonRecord(id="b", given_name="Aminah", family_name="Yousuf", date_of_birth="1990-03-05"))
