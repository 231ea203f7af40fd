"""The duplicate-detection benchmark at a tiny size: it runs both engines and prints the figures."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from bench.cli import app
from bench.dedup import quality, recall_at_precision, synthetic_set


class TestBenchDedup:
    def test_prints_the_figures_for_ours_and_plain_splink(self):
        result = CliRunner().invoke(app, ["dedup", "--people", "2500", "--dataset", "synthetic", "--json",
                                          "--no-online"])
        assert result.exit_code == 0, result.output
        figures = json.loads(result.stdout[result.stdout.index("{"):])
        for key in ("precision", "recall", "f1", "blocking_recall", "batch_seconds", "scoring_seconds", "pairs_per_s",
                    "online_p50_ms", "online_p95_ms"):
            assert key in figures
        synthetic = figures["datasets"]["synthetic"]
        assert synthetic["ours"]["f1"] > 0.8 and synthetic["ours"]["blocking_recall"] > 0.95
        assert 0 < synthetic["splink"]["f1"] <= 1
        assert figures["machine"]["cpus"]

    def test_names_dates_places_leaves_sex_and_nationality_out(self):
        records, truth = synthetic_set(500, 1, names_dates_places=True)
        full, same_truth = synthetic_set(500, 1)
        assert truth == same_truth and [r.id for r in records] == [r.id for r in full]
        assert any(r.sex and r.nationality for r in full)
        assert not any(r.sex or r.nationality for r in records)
        assert [(r.given_name, r.date_of_birth, r.place) for r in records] == [
            (r.given_name, r.date_of_birth, r.place) for r in full]

    def test_unknown_dataset_is_refused(self):
        result = CliRunner().invoke(app, ["dedup", "--dataset", "nope"])
        assert result.exit_code == 2


class TestMeasures:
    def test_quality_counts_pairs_against_the_truth(self):
        truth = {("a", "b"), ("c", "d")}
        assert quality({("a", "b"), ("a", "c")}, truth, {("a", "b"), ("a", "c")}) == {
            "precision": 0.5, "recall": 0.5, "f1": 0.5, "blocking_recall": 0.5}

    def test_recall_at_precision_picks_the_lowest_threshold_that_keeps_precision(self):
        truth = {("a", "b"), ("c", "d"), ("e", "f")}
        scored = [("a", "b", 0.99), ("x", "y", 0.95), ("c", "d", 0.9), ("e", "f", 0.5)]
        assert recall_at_precision(scored, truth, 0.7) == {"recall": 1.0, "threshold": 0.5}
        assert recall_at_precision(scored, truth, 1.0) == {"recall": round(1 / 3, 4), "threshold": 0.99}
