"""The held-out evaluation at a tiny size: it runs `crossroads dedup batch` on labelled sets and scores it."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from bench.census_like import iso_digits
from bench.cli import app
from bench.dedup_heldout import SETS, census_like, impossible_dates, run_set, true_pairs
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


class TestCensusLike:
    def test_dates_are_rewritten_digit_for_digit_and_noise_is_kept(self):
        assert iso_digits("05/06/1994") == "1994-05-06"
        assert iso_digits("19191204") == "1919-12-04"
        assert iso_digits("13/45/1990") == "1990-13-45"
        assert iso_digits("10/Z7/1983") == "10/Z7/1983"
        assert iso_digits(float("nan")) == "" and iso_digits(None) == ""

    def test_the_file_is_a_held_out_set_scored_by_its_entity_column(self, tmp_path):
        path = tmp_path / "census-like.jsonl"
        people = [("census-0", "0_2"), ("ssa-0", "0_2"), ("census-1", "0_923")]
        path.write_text("".join(json.dumps({"id": i, "given_name": "Diana", "family_name": "Kofron",
                                            "date_of_birth": "1994-05-06", "sex": "Female", "nationality": "",
                                            "place": "Anytown", "entity": e}) + "\n" for i, e in people),
                        encoding="utf-8")
        rows, truth = census_like(path)(0, 0)
        assert "entity" not in rows[0] and rows[0]["place"] == "Anytown"
        assert true_pairs(truth) == {("census-0", "ssa-0")}

    def test_census_like_without_its_file_is_refused_with_the_hint(self):
        result = CliRunner().invoke(app, ["dedup-heldout", "--dataset", "census-like"])
        assert result.exit_code == 2 and "--census-file" in result.output

    def test_plain_splink_runs_beside_on_the_same_set(self):
        result = CliRunner().invoke(app, ["dedup-heldout", "--dataset", "synthetic", "--people", "600",
                                          "--plain-splink", "--json"])
        assert result.exit_code == 0, result.output
        row = json.loads(result.stdout[result.stdout.index("{"):])["sets"]["synthetic"]
        assert row["plain_splink"]["threshold"] == 0.9 and 0 < row["plain_splink"]["f1"] <= 1
        assert set(row["plain_splink"]) == {"threshold", "precision", "recall", "f1", "batch_seconds"}
