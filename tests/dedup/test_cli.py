"""`crossroads dedup batch` and `train` on small CSVs, run in-process as a user would call them."""

from __future__ import annotations

import csv

import pytest
from typer.testing import CliRunner

from crossroads.cli import app
from crossroads.dedup.engine.synthetic import generate_labelled
from tests.helpers import csv_cells, live_csv_cells

HEADER = ["id", "given_name", "family_name", "date_of_birth", "sex", "nationality", "place"]
runner = CliRunner()


def write_csv(path, rows, header=HEADER):
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


@pytest.fixture(scope="module")
def people_csv(tmp_path_factory):
    labelled = generate_labelled(600, seed=3)
    rows = [[r.id, r.given_name or "", r.family_name or "", r.date_of_birth or "", r.sex or "", r.nationality or "",
             r.place or ""] for r in labelled.records]
    return write_csv(tmp_path_factory.mktemp("in") / "people.csv", rows), labelled.true_pairs


class TestBatch:
    def test_writes_pairs_and_clusters_with_the_shipped_model(self, people_csv, tmp_path):
        path, truth = people_csv
        result = runner.invoke(app, ["dedup", "batch", "--input", str(path), "--output", str(tmp_path / "pairs.csv"),
                                     "--clusters", str(tmp_path / "clusters.csv"), "--threshold", "0.9"])
        assert result.exit_code == 0, result.output
        pairs = read_csv(tmp_path / "pairs.csv")
        assert pairs[0] == ["id_l", "id_r", "match_probability"]
        found = {(a, b) for a, b, _ in pairs[1:]}
        assert all(a < b and float(p) >= 0.9 for a, b, p in pairs[1:])
        assert len(found & truth) / len(truth) > 0.8 and len(found & truth) / len(found) > 0.9
        clusters = read_csv(tmp_path / "clusters.csv")
        assert clusters[0] == ["id", "cluster_id"]
        cluster_of = dict(clusters[1:])
        assert len(cluster_of) == len(read_csv(path)) - 1
        assert all(cluster_of[a] == cluster_of[b] for a, b in found)

    def test_trains_a_model_on_the_csv_and_saves_it(self, people_csv, tmp_path):
        path, truth = people_csv
        result = runner.invoke(app, ["dedup", "batch", "--input", str(path), "--output", str(tmp_path / "pairs.csv"),
                                     "--train", "--save-model", str(tmp_path / "model.json")])
        assert result.exit_code == 0, result.output
        found = {(a, b) for a, b, _ in read_csv(tmp_path / "pairs.csv")[1:]}
        assert len(found & truth) / len(truth) > 0.7
        assert (tmp_path / "model.json").exists()

    def test_any_column_may_be_empty_and_extra_columns_are_ignored(self, tmp_path):
        path = write_csv(tmp_path / "in.csv", [["1", "", "", "", "", "", "", "x"], ["2", "Ana", "", "1990", "", "", "",
                                                                                       ""]],
                         header=[*HEADER, "notes"])
        result = runner.invoke(app, ["dedup", "batch", "--input", str(path), "--output", str(tmp_path / "out.csv")])
        assert result.exit_code == 0, result.output
        assert read_csv(tmp_path / "out.csv") == [["id_l", "id_r", "match_probability"]]

    @pytest.mark.parametrize(("rows", "header", "message"), [
        ([["1", "Ana", "Lopez", "1990", "f", "VEN", ""], ["1", "Rosa", "Diaz", "", "", "", ""]], HEADER,
         "row 3, column id"),
        ([["1", "Ana", "Lopez", "1990", "f", "VEN", ""], ["", "Rosa", "Diaz", "", "", "", ""]], HEADER,
         "row 3, column id"),
        ([["1", "Ana", "Lopez", "1990", "f"]], HEADER, "row 2, column -"),
        ([["Ana", "Lopez", "1990"]], ["given_name", "family_name", "date_of_birth"], "row 1, column id"),
    ])
    def test_malformed_csv_is_refused_naming_row_and_column_and_nothing_is_written(self, tmp_path, rows, header,
                                                                                    message):
        path = write_csv(tmp_path / "in.csv", rows, header=header)
        result = runner.invoke(app, ["dedup", "batch", "--input", str(path), "--output", str(tmp_path / "out.csv"),
                                     "--clusters", str(tmp_path / "clusters.csv")])
        assert result.exit_code == 2
        assert message in " ".join(result.output.split())
        assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]

    def test_undecodable_bytes_are_refused_naming_row_and_column(self, tmp_path):
        path = tmp_path / "in.csv"
        path.write_bytes(b"id,given_name,family_name\n1,Ana,Lopez\n2,Ros\xe1,Diaz\n")
        result = runner.invoke(app, ["dedup", "batch", "--input", str(path), "--output", str(tmp_path / "out.csv")])
        assert result.exit_code == 2
        assert "row 3, column given_name: not UTF-8 text" in " ".join(result.output.split())
        assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]

    def test_dirty_dates_and_nationalities_are_kept_counted_and_still_match(self, tmp_path):
        rows = [["1", "Ana", "Lopez", "1915-11-32", "f", "VEN", "Caracas"],
                ["2", "Ana", "Lopez", "1915-11-23", "f", "VEN", "Caracas"],
                ["3", "Rosa", "Diaz", "1990-25-03", "f", "Venezuela", "Maracaibo"],
                ["4", "Rosa", "Diaz", "1990-03-25", "f", "VEN", "Maracaibo"],
                ["5", "Juan", "Perez", "c. 1980", "m", "COL", "Cali"]]
        path = write_csv(tmp_path / "in.csv", rows)
        result = runner.invoke(app, ["dedup", "batch", "--input", str(path), "--output", str(tmp_path / "out.csv")])
        assert result.exit_code == 0, result.output
        output = " ".join(result.output.split())
        assert "3 dates did not parse; kept as text" in output
        assert "1 nationality did not parse; kept as text" in output
        assert {(a, b) for a, b, _ in read_csv(tmp_path / "out.csv")[1:]} == {("1", "2"), ("3", "4")}

    def test_a_person_column_the_file_lacks_counts_as_empty(self, tmp_path):
        path = write_csv(tmp_path / "in.csv", [["1", "Ana", "Lopez"], ["2", "Ana", "Lopez"]],
                         header=["id", "given_name", "family_name"])
        result = runner.invoke(app, ["dedup", "batch", "--input", str(path), "--output", str(tmp_path / "out.csv")])
        assert result.exit_code == 0, result.output
        assert "did not parse" not in result.output

    def test_documents_and_phones_are_evidence(self, tmp_path):
        header = [*HEADER, "document_type", "document_number", "phone"]
        # Only the passport (a typo the check digit locates: ICAO 9303's example number) and the phone written
        # with and without the country code tell two of these namesakes' records from the third.
        rows = [["1", "Omar", "", "", "m", "SDN", "", "passport", "L898902C36", "+249 912 345 678"],
                ["2", "Omar", "", "", "m", "SDN", "", "passport", "L898902C86", "0912 345 678"],
                ["3", "Omar", "", "", "m", "SDN", "", "passport", "P1111111", "+249 955 000 111"]]
        result = runner.invoke(app, ["dedup", "batch", "--input", str(write_csv(tmp_path / "in.csv", rows, header)),
                                     "--output", str(tmp_path / "out.csv")])
        assert result.exit_code == 0, result.output
        assert {(a, b) for a, b, _ in read_csv(tmp_path / "out.csv")[1:]} == {("1", "2")}

    @pytest.mark.parametrize(("column", "value"), [("id", "A-77")])
    def test_a_refusal_names_the_row_without_quoting_the_person_data(self, tmp_path, column, value):
        row = dict(zip(HEADER, ["A-77", "Ana", "Lopez", "1990", "f", "VEN", ""], strict=True))
        rows = [list(row.values()), list({**row, "id": "A-78", column: value}.values())]
        result = runner.invoke(app, ["dedup", "batch", "--input", str(write_csv(tmp_path / "in.csv", rows)),
                                     "--output", str(tmp_path / "out.csv")])
        assert result.exit_code == 2 and f"row 3, column {column}" in " ".join(result.output.split())
        assert value not in result.output

    def test_missing_input_file_is_refused(self, tmp_path):
        result = runner.invoke(app, ["dedup", "batch", "--input", str(tmp_path / "none.csv"), "--output",
                                     str(tmp_path / "out.csv")])
        assert result.exit_code == 2 and "--input" in result.output


    def test_running_out_of_memory_is_a_clear_error_and_nothing_is_written(self, tmp_path):
        rows = [[f"p{i}", "Amina", "Yusuf", f"19{80 + i % 10}-0{1 + i % 9}-1{i % 10}", "f", "SOM", "Burao"]
                for i in range(500)]
        people, out = write_csv(tmp_path / "in.csv", rows), tmp_path / "out.csv"
        result = runner.invoke(app, ["dedup", "batch", "--input", str(people), "--output", str(out)],
                               env={"CROSSROADS_DEDUP_MEMORY": "1MB"})
        assert result.exit_code == 1
        assert "out of memory at step" in result.output and "500 records" in result.output
        assert "Traceback" not in result.output and not out.exists()


class TestTrain:
    def test_trains_on_synthetic_people_and_saves_a_versioned_model(self, tmp_path):
        result = runner.invoke(app, ["dedup", "train", "--synthetic", "2500", "--version", "v9", "--output",
                                     str(tmp_path / "m.json")])
        assert result.exit_code == 0, result.output
        from crossroads.dedup.engine.model import MatchModel

        model = MatchModel.load(tmp_path / "m.json")
        assert model.version == "v9" and "synthetic" in model.trained_on

    def test_needs_one_source(self, tmp_path):
        result = runner.invoke(app, ["dedup", "train", "--version", "v9", "--output", str(tmp_path / "m.json")])
        assert result.exit_code == 2


class TestFormulaLikeIds:
    def test_pairs_and_clusters_files_carry_no_live_formula(self, tmp_path):
        person = ["Ana", "Lopez", "1990-03-05", "f", "VEN", "Caracas"]
        ids = ['=HYPERLINK("https://evil.example","x")', "@SUM(1)", "-5", "ok\r=1+1"]
        path = write_csv(tmp_path / "in.csv", [[i, *person] for i in ids])
        result = runner.invoke(app, ["dedup", "batch", "--input", str(path), "--output", str(tmp_path / "pairs.csv"),
                                     "--clusters", str(tmp_path / "clusters.csv")])
        assert result.exit_code == 0, result.output
        pairs = (tmp_path / "pairs.csv").read_bytes()
        clusters = (tmp_path / "clusters.csv").read_bytes()
        assert live_csv_cells(pairs) == [] and live_csv_cells(clusters) == []
        assert len(csv_cells(pairs)) == 1 + 6
        assert {i for row in csv_cells(clusters)[1:] for i in row} == {"'" + ids[0], "'" + ids[1], "-5", ids[3]}
