"""Every CSV and workbook cell the product writes: text that looks like a formula is neutralised, numbers are not."""

from __future__ import annotations

import ast
import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from crossroads.kit import spreadsheet
from tests.helpers import BREAKING, HOSTILE, csv_cells, live_csv_cells, live_xlsx_cells


class TestText:
    @pytest.mark.parametrize("value", HOSTILE)
    def test_text_beginning_like_a_formula_gets_a_quote(self, value):
        assert spreadsheet.text(value) == "'" + value

    @pytest.mark.parametrize("value", ["-3", "+1.5", "-0.25", "-2e5", "-.5", "12"])
    def test_text_that_is_a_plain_number_is_left_alone(self, value):
        assert spreadsheet.text(value) == value

    @pytest.mark.parametrize("value", ["-3 ", "-3%", "-1-1", "-٣", "-inf", "+nan", "-3,5"])
    def test_text_that_only_begins_like_a_number_is_quoted(self, value):
        assert spreadsheet.text(value) == "'" + value

    @pytest.mark.parametrize("value", ["female", "30-39", "'=1+1", "", " =1+1", "ERI"])
    def test_harmless_text_is_unchanged(self, value):
        assert spreadsheet.text(value) == value

    @pytest.mark.parametrize("value", HOSTILE)
    def test_neutralising_twice_changes_nothing(self, value):
        assert spreadsheet.text(spreadsheet.text(value)) == spreadsheet.text(value)


class TestCell:
    @pytest.mark.parametrize("value", [-3, -2.5, Decimal("-7"), True, None, date(2025, 1, 2)])
    def test_anything_but_text_is_kept_as_it_is(self, value):
        assert spreadsheet.cell(value) is value


class TestCsv:
    def test_every_cell_and_the_header_are_neutralised(self):
        content = spreadsheet.csv_bytes(HOSTILE, [HOSTILE, list(reversed(HOSTILE))])
        assert live_csv_cells(content) == []
        assert csv_cells(content)[1] == ["'" + v for v in HOSTILE]

    def test_a_line_break_inside_a_value_never_starts_a_row(self):
        content = spreadsheet.csv_bytes(["a", "b"], [[v, 1] for v in BREAKING])
        assert live_csv_cells(content) == []
        assert [row[0] for row in csv_cells(content)[1:]] == BREAKING

    def test_negative_numbers_stay_numbers(self):
        content = spreadsheet.csv_bytes(["n", "x", "s"], [[-3, -2.5, "-4"]])
        assert csv_cells(content)[1] == ["-3", "-2.5", "-4"]


class TestFrameCsv:
    def test_text_columns_and_names_are_neutralised_and_numbers_kept(self, tmp_path):
        frame = pd.DataFrame({"=name": ["=1+1", "@x", "ok\r=1+1"], "count": [-3, 4, 5],
                              "rate": [-0.5, float("nan"), 1.0],
                              "label": pd.Series(["-y", "ok", pd.NA], dtype="string"),
                              "band": pd.Categorical(["+z", "ok", "+z"])})
        path = tmp_path / "out.csv"
        spreadsheet.write_frame_csv(frame, path)
        content = path.read_bytes()
        assert live_csv_cells(content) == []
        assert csv_cells(content) == [["'=name", "count", "rate", "label", "band"],
                                      ["'=1+1", "-3", "-0.5", "'-y", "'+z"],
                                      ["'@x", "4", "", "ok", "ok"],
                                      ["ok\r=1+1", "5", "1.0", "", "'+z"]]


class TestXlsx:
    def test_text_is_neutralised_and_stored_as_text_and_numbers_stay_numeric(self):
        content = spreadsheet.xlsx_bytes([("data", [HOSTILE, [-3, -2.5, "-4", None, date(2025, 1, 2), "#N/A"]]),
                                          ("more", [["=SUM(A1:A2)"]])])
        assert live_xlsx_cells(content) == []
        workbook = load_workbook(io.BytesIO(content))
        assert workbook.sheetnames == ["data", "more"]
        first, second = list(workbook["data"].iter_rows())
        # XML turns a carriage return into a line feed; the quote in front is what counts.
        assert [(c.value, c.data_type) for c in first] == [("'" + v.replace("\r", "\n"), "s") for v in HOSTILE]
        assert [(c.value, c.data_type) for c in second[:3]] == [(-3, "n"), (-2.5, "n"), ("-4", "s")]
        assert second[3].value is None and second[4].value.date() == date(2025, 1, 2)
        assert (second[5].value, second[5].data_type) == ("#N/A", "s")
        assert workbook["more"]["A1"].value == "'=SUM(A1:A2)"

    def test_control_characters_xml_cannot_hold_are_replaced_not_fatal(self):
        content = spreadsheet.xlsx_bytes([("data", [["a\x01b", "=\x02"]])])
        row = next(load_workbook(io.BytesIO(content))["data"].iter_rows(values_only=True))
        assert row == ("a\ufffdb", "'=\ufffd")

    def test_openpyxl_alone_would_have_written_formulas(self):
        # Why the module exists: appended as they are, text beginning with "=" becomes a formula cell.
        from openpyxl import Workbook

        wb = Workbook()
        wb.active.append(["=1+1", "-3", "#N/A"])
        buffer = io.BytesIO()
        wb.save(buffer)
        row = next(load_workbook(buffer).active.iter_rows())
        assert [c.data_type for c in row] == ["f", "s", "e"]


# What writes a CSV or a workbook. Everything under src/ and bench/ must reach these only through the spreadsheet
# module; `exports.to_csv` is the release engine's own function, written on it.
_WRITER_ATTRIBUTES = {("csv", "writer"), ("csv", "DictWriter")}
_WRITER_METHODS = {"to_csv", "to_excel", "write_csv", "write_excel"}
_WRITER_LIBRARIES = {"openpyxl", "xlsxwriter", "odf", "pyexcel", "xlwt"}
_ALLOWED_RECEIVERS = {"spreadsheet", "exports"}
_SPREADSHEET_MODULE = Path("src/crossroads/kit/spreadsheet.py")
_ROOT = Path(__file__).resolve().parents[2]


def writers_outside_the_helper(source: str, name: str = "<test>") -> list[str]:
    """Where `source` writes CSV or XLSX without going through crossroads.kit.spreadsheet."""
    found = []
    for node in ast.walk(ast.parse(source)):
        where = f"{name}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and (
                (node.value.id, node.attr) in _WRITER_ATTRIBUTES):
            found.append(f"{where} {node.value.id}.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module == "csv" and any(
                a.name in {"writer", "DictWriter"} for a in node.names):
            found.append(f"{where} from csv import a writer")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found += [f"{where} imports {m}" for m in modules if m.split(".")[0] in _WRITER_LIBRARIES]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and (
                node.func.attr in _WRITER_METHODS) and not (
                isinstance(node.func.value, ast.Name) and node.func.value.id in _ALLOWED_RECEIVERS):
            found.append(f"{where} .{node.func.attr}()")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and re.search(
                r"\bCOPY\b.*\bTO\b", node.value, re.IGNORECASE | re.DOTALL):
            found.append(f"{where} COPY ... TO")
    return found


class TestEveryWriterUsesTheHelper:
    def test_no_module_writes_csv_or_xlsx_around_the_helper(self):
        files = [p for folder in ("src", "bench") for p in sorted((_ROOT / folder).rglob("*.py"))]
        assert len(files) > 100
        found = [hit for path in files if path.relative_to(_ROOT) != _SPREADSHEET_MODULE
                 for hit in writers_outside_the_helper(path.read_text(encoding="utf-8"), str(path.relative_to(_ROOT)))]
        assert found == []

    @pytest.mark.parametrize("source", [
        "import csv\ncsv.writer(out).writerow(row)", "from csv import DictWriter", "from openpyxl import Workbook",
        "import xlsxwriter", "frame.to_csv(path, index=False)", "frame.to_excel(path)",
        "con.execute(\"COPY pairs TO 'pairs.csv' (HEADER)\")", "relation.write_csv('x.csv')",
    ])
    def test_each_way_of_writing_is_noticed(self, source):
        assert writers_outside_the_helper(source) != []

    @pytest.mark.parametrize("source", [
        "spreadsheet.write_csv(out, header, rows)", "exports.to_csv(rows, columns)", "csv.reader(handle)",
        "import csv\ncsv.DictReader(handle)", "cursor.copy('COPY people (id) FROM STDIN')",
    ])
    def test_reading_and_the_helper_itself_are_not(self, source):
        assert writers_outside_the_helper(source) == []
