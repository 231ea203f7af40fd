"""`crossroads dedup batch` with its defaults: trains on the file, calibrates, chooses and reports the threshold."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from crossroads.cli import app
from crossroads.dedup.engine.batch import MIN_TRAINING_RECORDS, run_batch
from crossroads.dedup.engine.model import default_model
from crossroads.dedup.engine.synthetic import generate_labelled
from tests.dedup.test_cli import HEADER, read_csv, write_csv

SHIPPED = default_model().version

runner = CliRunner()


def _entities(labelled) -> dict[str, str]:
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for a, b in labelled.true_pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {r.id: find(r.id) for r in labelled.records}


def _rows(labelled, entities=None):
    return [[r.id, r.given_name or "", r.family_name or "", r.date_of_birth or "", r.sex or "", r.nationality or "",
             r.place or "", *([entities[r.id]] if entities else [])] for r in labelled.records]


@pytest.fixture(scope="module")
def labelled_csv(tmp_path_factory):
    labelled = generate_labelled(1000, seed=4)
    assert len(labelled.records) >= MIN_TRAINING_RECORDS
    folder = tmp_path_factory.mktemp("in")
    entities = _entities(labelled)
    people = write_csv(folder / "people.csv", _rows(labelled))
    with_truth = write_csv(folder / "people-truth.csv", _rows(labelled, entities), header=[*HEADER, "cluster"])
    labels = write_csv(folder / "labels.csv", sorted(entities.items()), header=["id", "cluster"])
    return people, with_truth, labels, labelled.true_pairs


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory):
    """300 people: EM fails on them (a level's m driven to 0)."""
    labelled = generate_labelled(300, seed=1)
    return write_csv(tmp_path_factory.mktemp("small") / "in.csv", _rows(labelled)), labelled.records


def _run(*args: str):
    return runner.invoke(app, ["dedup", "batch", *args])


class TestBatchDefaults:
    def test_trains_on_the_file_calibrates_and_chooses_the_threshold(self, labelled_csv, tmp_path):
        people, _, _, truth = labelled_csv
        result = _run("--input", str(people), "--output", str(tmp_path / "pairs.csv"), "--report",
                      str(tmp_path / "report.json"))
        assert result.exit_code == 0, result.output
        assert f"Model: trained on this file (unsupervised, starting from model {SHIPPED})." in result.output
        assert "Threshold" in result.output and "(F1-optimal): expected precision" in result.output
        assert "Reliability (candidate pairs by calibrated probability):" in result.output
        report = json.loads((tmp_path / "report.json").read_text())
        assert report["model"].startswith("batch-") and report["threshold_chosen"] == "F1-optimal"
        assert 0 < report["threshold"] < 1 and report["calibration"]["match_share"] > 0
        assert sum(r["pairs"] for r in report["reliability"]) == report["candidate_pairs"]
        assert all(r["observed"] is None for r in report["reliability"])
        pairs = read_csv(tmp_path / "pairs.csv")[1:]
        assert all(float(p) >= report["threshold"] for _, _, p in pairs)
        found = {(a, b) for a, b, _ in pairs}
        precision = len(found & truth) / len(found)
        # The calibration target: precision at or above the threshold at least the threshold minus 0.03.
        assert precision >= report["threshold"] - 0.03 and len(found & truth) / len(truth) > 0.85

    def test_labels_fill_the_observed_share_and_change_nothing_else(self, labelled_csv, tmp_path):
        people, with_truth, labels, _ = labelled_csv
        reports = []
        for name, args in (("plain", ["--input", str(people)]), ("file", ["--input", str(people), "--labels",
                                                                          str(labels)]),
                           ("column", ["--input", str(with_truth)])):
            result = _run(*args, "--output", str(tmp_path / f"{name}.csv"), "--report", str(tmp_path / f"{name}.json"))
            assert result.exit_code == 0, result.output
            reports.append(json.loads((tmp_path / f"{name}.json").read_text()))
        plain, by_file, by_column = reports
        # Labels split the groups of comparison vectors the fit sums over: equal up to the order of a sum.
        assert by_file["threshold"] == pytest.approx(plain["threshold"]) == by_column["threshold"]
        assert [r["mean_predicted"] for r in by_file["reliability"]] == pytest.approx(
            [r["mean_predicted"] for r in plain["reliability"]])
        assert all(r["observed"] is not None for r in by_file["reliability"])
        assert by_file["reliability"] == by_column["reliability"]
        assert by_file["observed"]["precision"] >= by_file["threshold"] - 0.03
        written = [[row[:2] for row in read_csv(tmp_path / f"{name}.csv")] for name in ("plain", "file")]
        assert written[0] == written[1]

    def test_a_precision_sets_the_lowest_threshold_expected_to_reach_it(self, labelled_csv, tmp_path):
        people, _, _, _ = labelled_csv
        result = _run("--input", str(people), "--output", str(tmp_path / "p.csv"), "--precision", "0.98",
                      "--report", str(tmp_path / "r.json"))
        assert result.exit_code == 0, result.output
        report = json.loads((tmp_path / "r.json").read_text())
        assert report["threshold_chosen"] == "lowest reaching an expected precision of 0.98"
        assert report["expected"]["precision"] >= 0.98

    def test_a_tiny_file_keeps_the_shipped_model_and_says_so(self, tmp_path):
        labelled = generate_labelled(40, seed=2)
        path = write_csv(tmp_path / "in.csv", _rows(labelled))
        result = _run("--input", str(path), "--output", str(tmp_path / "pairs.csv"))
        assert result.exit_code == 0, result.output
        assert (f"Model: not trained: {len(labelled.records)} records, fewer than the {MIN_TRAINING_RECORDS} training "
                f"needs; model {SHIPPED} used.") in result.output
        assert "Calibration: probabilities not calibrated:" in result.output
        assert "Threshold 0.900 (default (uncalibrated))" in result.output

    def test_no_train_scores_with_the_shipped_model_and_still_calibrates(self, labelled_csv, tmp_path):
        people, _, _, _ = labelled_csv
        result = _run("--input", str(people), "--output", str(tmp_path / "p.csv"), "--no-train", "--report",
                      str(tmp_path / "r.json"))
        assert result.exit_code == 0, result.output
        report = json.loads((tmp_path / "r.json").read_text())
        assert report["model"] == SHIPPED and report["training"] == f"model {SHIPPED} as given"
        assert report["calibration"]["match_share"] > 0

    def test_an_explicit_train_that_fails_is_an_error(self, small_csv, tmp_path):
        result = _run("--input", str(small_csv[0]), "--output", str(tmp_path / "pairs.csv"), "--train")
        assert result.exit_code == 1
        assert "unsupervised training failed" in result.output
        assert not (tmp_path / "pairs.csv").exists()

    def test_training_that_fails_by_default_falls_back_to_the_starting_model(self, small_csv):
        records = small_csv[1]
        result = run_batch(records, model=default_model(), train=True, threshold=None, calibrate=True)
        assert result.model.version == SHIPPED
        assert result.training.startswith("not trained: unsupervised training failed on")
        assert result.training.endswith(f"model {SHIPPED} used")

    def test_threshold_and_precision_together_are_refused(self, labelled_csv, tmp_path):
        result = _run("--input", str(labelled_csv[0]), "--output", str(tmp_path / "p.csv"), "--threshold", "0.5",
                      "--precision", "0.9")
        assert result.exit_code == 2 and "--precision" in result.output

    def test_labels_without_their_column_are_refused_by_name(self, labelled_csv, tmp_path):
        labels = write_csv(tmp_path / "labels.csv", [["a", "b"]], header=["id", "person"])
        result = _run("--input", str(labelled_csv[0]), "--output", str(tmp_path / "p.csv"), "--labels", str(labels))
        assert result.exit_code == 2 and "column cluster" in result.output
        assert not (tmp_path / "p.csv").exists()
