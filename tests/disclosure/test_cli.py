"""`crossroads disclosure ...`, run as a user would run it: a real process on real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest
import yaml
from pycanon import anonymity

from tests.factories.disclosure import people_frame, people_spec
from tests.helpers import HOSTILE, csv_cells, live_csv_cells

QUASI = ["age", "sex", "citizenship", "year_of_registration"]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crossroads.cli", "disclosure", *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "COLUMNS": "200"})


@pytest.fixture
def files(tmp_path):
    people_frame(700, seed=5).to_csv(tmp_path / "in.csv", index=False)
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(people_spec(k=11)))
    return tmp_path


def anonymize_args(files, spec="spec.yaml", data="in.csv"):
    return ("anonymize", str(files / data), "--spec", str(files / spec), "--output", str(files / "out.csv"),
            "--report", str(files / "report.json"))


class TestAnonymizeCommand:
    def test_writes_a_release_that_passes_pycanon_and_its_report(self, files):
        result = run(*anonymize_args(files))
        assert result.returncode == 0, result.stderr
        out = pd.read_csv(files / "out.csv", dtype=str, keep_default_na=False)
        report = json.loads((files / "report.json").read_text())
        assert anonymity.k_anonymity(out, QUASI) >= 11
        assert anonymity.l_diversity(out, QUASI, ["type_of_exploitation"]) >= 2
        for key in ("k_achieved", "l_achieved", "suppressed_rows", "suppression_rate", "generalisation", "max_risk",
                    "avg_risk", "seconds"):
            assert key in report
        assert report["rows_out"] == len(out) and "name" not in out.columns
        assert "released" in result.stderr
        assert sorted(p.name for p in files.iterdir()) == ["in.csv", "out.csv", "report.json", "spec.yaml"]

    def test_works_on_any_csv_given_a_spec_for_its_columns(self, files):
        pd.DataFrame({"zone": [f"Z{i % 4}" for i in range(120)], "visits": [str(i % 9) for i in range(120)],
                      "note": ["x"] * 120}).to_csv(files / "other.csv", index=False)
        (files / "other.yaml").write_text(yaml.safe_dump({"k": 6, "columns": {
            "zone": {"role": "quasi", "hierarchy": {"type": "mapping", "levels": [
                {"north": ["Z0", "Z1"], "south": ["Z2", "Z3"]}]}},
            "visits": {"role": "quasi", "hierarchy": {"type": "interval", "widths": [3, 9]}},
            "note": {"role": "insensitive"}}}))
        result = run(*anonymize_args(files, spec="other.yaml", data="other.csv"))
        assert result.returncode == 0, result.stderr
        out = pd.read_csv(files / "out.csv", dtype=str, keep_default_na=False)
        assert anonymity.k_anonymity(out, ["zone", "visits"]) >= 6

    def test_an_unmeetable_spec_fails_cleanly_and_writes_nothing(self, files):
        (files / "spec.yaml").write_text(yaml.safe_dump(people_spec(k=1000)))
        result = run(*anonymize_args(files))
        assert result.returncode == 1
        assert "no generalisation meets k=1000" in result.stderr and "Nothing was released" in result.stderr
        assert not (files / "out.csv").exists() and not (files / "report.json").exists()
        assert not [p for p in files.iterdir() if p.name.endswith(".tmp")]

    def test_a_bad_spec_names_the_field(self, files):
        spec = people_spec()
        spec["columns"]["age"]["hierarchy"]["widths"] = [10, 5]
        (files / "spec.yaml").write_text(yaml.safe_dump(spec))
        result = run(*anonymize_args(files))
        assert result.returncode == 2
        assert "columns.age.hierarchy.widths" in result.stderr
        assert not (files / "out.csv").exists()

    def test_a_column_missing_from_the_spec_is_named(self, files):
        people_frame(50).assign(phone="555").to_csv(files / "in.csv", index=False)
        result = run(*anonymize_args(files))
        assert result.returncode == 2 and "'phone' has no role" in result.stderr

    def test_a_bad_value_names_its_row_and_column(self, files):
        frame = people_frame(50)
        frame.loc[9, "age"] = "unknown"
        frame.to_csv(files / "in.csv", index=False)
        result = run(*anonymize_args(files))
        assert result.returncode == 2
        assert "row 10, column age: not a number" in result.stderr and "unknown" not in result.stderr
        assert not (files / "out.csv").exists()

    def test_a_missing_input_is_named(self, files):
        result = run(*anonymize_args(files, data="nowhere.csv"))
        assert result.returncode == 2 and "INPUT: no file" in result.stderr


class TestDpTableCommand:
    def test_writes_the_noisy_table_and_its_budget(self, files):
        result = run("dp-table", str(files / "in.csv"), "--by", "citizenship", "--by", "sex", "--keys",
                     "citizenship=iso3", "--keys", "sex=F,M", "--epsilon", "1", "--output", str(files / "t.csv"),
                     "--report", str(files / "t.json"))
        assert result.returncode == 0, result.stderr
        table = pd.read_csv(files / "t.csv", keep_default_na=False)
        summary = json.loads((files / "t.json").read_text())
        assert list(table.columns) == ["citizenship", "sex", "count"] and len(table) == summary["cells"]
        assert summary["epsilon"] <= 1 and summary["delta"] == 0 and summary["accuracy"] >= 0
        assert "with probability 95%" in result.stderr

    def test_keys_from_the_data_need_a_delta(self, files):
        result = run("dp-table", str(files / "in.csv"), "--by", "citizenship", "--epsilon", "1", "--output",
                     str(files / "t.csv"))
        assert result.returncode == 2 and "delta" in result.stderr
        assert not (files / "t.csv").exists()


class TestSmallCellsCommand:
    def test_withholds_small_cells(self, files):
        pd.DataFrame({"office": ["A", "B", "C"], "count": [2, 40, 33]}).to_csv(files / "c.csv", index=False)
        result = run("small-cells", str(files / "c.csv"), "--output", str(files / "p.csv"), "--threshold", "5")
        assert result.returncode == 0, result.stderr
        assert pd.read_csv(files / "p.csv")["count"].isna().sum() == 2


class TestFormulaLikeText:
    """Column names, values and generalisation labels that begin like a formula are written neutralised."""

    def test_anonymize_neutralises_names_values_and_labels(self, files):
        zone, note = "=zone", "@note"
        pd.DataFrame({zone: [f"Z{i % 4}" for i in range(120)], "change": [str(-(i % 9)) for i in range(120)],
                      note: [HOSTILE[i % len(HOSTILE)] for i in range(120)]}).to_csv(
            files / "h.csv", index=False, lineterminator="\r\n")  # "\r\n": pandas then quotes a value's "\r"
        (files / "h.yaml").write_text(yaml.safe_dump({"k": 60, "max_suppression": 0.0, "columns": {
            zone: {"role": "quasi", "hierarchy": {"type": "mapping", "levels": [
                {HOSTILE[0]: ["Z0", "Z1"], HOSTILE[2]: ["Z2", "Z3"]}]}},
            "change": {"role": "insensitive"}, note: {"role": "insensitive"}}}))
        result = run(*anonymize_args(files, spec="h.yaml", data="h.csv"))
        assert result.returncode == 0, result.stderr
        content = (files / "out.csv").read_bytes()
        assert live_csv_cells(content) == []
        header, *rows = csv_cells(content)
        assert set(header) == {"'=zone", "change", "'@note"}
        values = {column: {r[i] for r in rows} for i, column in enumerate(header)}
        assert values["'=zone"] == {"'" + HOSTILE[0], "'" + HOSTILE[2]}
        assert values["'@note"] == {"'" + v for v in HOSTILE}
        assert values["change"] == {str(-n) for n in range(9)}

    def test_dp_table_neutralises_keys_and_keeps_counts_numeric(self, files):
        zones = ["=1+1", "@SUM(1+1)*cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0"]
        pd.DataFrame({"@zone": [zones[i % 3] for i in range(90)]}).to_csv(files / "z.csv", index=False)
        keys = ",".join(zones)
        result = run("dp-table", str(files / "z.csv"), "--by", "@zone", "--keys", f"@zone={keys}", "--epsilon", "1",
                     "--output", str(files / "t.csv"))
        assert result.returncode == 0, result.stderr
        content = (files / "t.csv").read_bytes()
        assert live_csv_cells(content) == []
        header, *rows = csv_cells(content)
        assert header == ["'@zone", "count"]
        assert {r[0] for r in rows} == {"'" + v for v in zones}
        assert all(int(r[1]) >= 0 for r in rows)

    def test_small_cells_neutralises_labels_and_keeps_counts_numeric(self, files):
        pd.DataFrame({"-office": HOSTILE[:3], "count": [2, 40, 33]}).to_csv(files / "c.csv", index=False)
        result = run("small-cells", str(files / "c.csv"), "--output", str(files / "p.csv"), "--method", "round")
        assert result.returncode == 0, result.stderr
        content = (files / "p.csv").read_bytes()
        assert live_csv_cells(content) == []
        assert csv_cells(content) == [["'-office", "count"], *(["'" + v, n] for v, n in zip(
            HOSTILE[:3], ["0", "40", "35"], strict=True))]
