"""The held-out evaluation at a tiny size: it runs `crossroads dedup batch` on labelled sets and scores it."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from bench.cli import app
from bench.dedup_heldout import SETS, impossible_dates, run_set, true_pairs
from bench.heldout_people import generate


class TestBenchDedupHeldout:
    def test_prints_per_set_figures_and_the_reliability_table(self):
        result = CliRunner().invoke(app, ["dedup-heldout", "--dataset", "heldout-multiscript", "--people", "900",
                                          "--json"])
        assert result.exit_code == 0, result.output
        figures = json.loads(result.stdout[result.stdout.index("{"):])
        row = figures["sets"]["heldout-multiscript"]
        assert row["role"] == "held-out" and row["records"] > 900 and row["true_pairs"] > 100
        for key in ("precision", "recall", "f1", "threshold", "target_precision", "target_met", "wall_seconds"):
            assert key in row
        assert row["target_precision"] == round(row["threshold"] - 0.03, 4)
        assert row["f1"] > 0.7
        assert row["reliability"] and all(r["observed"] is not None for r in row["reliability"])
        assert sum(r["pairs"] for r in row["reliability"]) == row["candidate_pairs"]
        assert figures["machine"]["cpus"]

    def test_a_file_with_impossible_dates_is_reported_refused_or_scored(self, tmp_path):
        rows = [{"id": i, "given_name": "Amina", "family_name": "Yusuf", "date_of_birth": dob, "sex": "f",
                 "nationality": "SOM", "place": "Burao"}
                for i, dob in (("a1", "1990-03-05"), ("a2", "1990-03-32"), ("b1", "1971-01-02"))]
        out = run_set("tiny", rows, {"a1": "a", "a2": "a", "b1": "b"}, role="held-out", workdir=tmp_path)
        # Refused while the batch refuses impossible dates; scored once it keeps them as evidence.
        if "refused" in out:
            assert out["refused"] == "refused: 1 impossible dates" and out["exit_code"] == 2
        else:
            assert out["true_pairs"] == 1 and "precision" in out
        assert impossible_dates(rows) == 1

    def test_unknown_dataset_is_refused(self):
        assert CliRunner().invoke(app, ["dedup-heldout", "--dataset", "nope"]).exit_code == 2

    def test_sets_are_marked_tuning_or_held_out(self):
        assert {role for role, _ in SETS.values()} == {"tuning", "held-out"}
        assert SETS["febrl1"][0] == SETS["febrl2"][0] == SETS["heldout-multiscript"][0] == "held-out"
        assert SETS["synthetic"][0] == "tuning"


class TestIndependentGenerator:
    def test_same_seed_same_people_and_duplicates_across_scripts(self):
        people = generate(400, seed=3)
        assert people == generate(400, seed=3)
        assert len({p.id for p in people}) == len(people) > 400
        truth = true_pairs({p.id: p.entity for p in people})
        assert 40 < len(truth) < 300
        assert any(not p.given_name.isascii() or not p.family_name.isascii() for p in people)
        assert any(p.date_of_birth == "" or p.place == "" for p in people)
