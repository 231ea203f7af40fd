"""Release files: a valid Frictionless Data Package, a readable workbook, CTDC's columns."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest
from frictionless import validate
from openpyxl import load_workbook

from crossroads.disclosure.engine import exports as e
from tests.helpers import BREAKING, HOSTILE, csv_cells, live_csv_cells, live_xlsx_cells

ROWS = [
    {"age": "30-39", "sex": "female", "opened_year": 2025, "opened_on": date(2025, 3, 1), "returned": True},
    {"age": "20-29", "sex": None, "opened_year": 2026, "opened_on": None, "returned": False},
]
COLUMNS = list(ROWS[0])
FIELDS = {"age": e.FieldMeta("age", "Age band at opening.", "#affected+age", "quasi_identifier"),
          "sex": e.FieldMeta("sex", "Sex.", "#affected+sex")}
METHOD = {"summary": "k-anonymity with k=5", "kind": "k-anonymity", "k": 5, "l": None}


def package(tmp_path, rows=ROWS):
    csv_bytes = e.to_csv(rows, COLUMNS)
    descriptor = e.datapackage(name="crossroads-test", title="Test", release_id="r-1", created=datetime.now(UTC),
                               columns=COLUMNS, rows=rows, fields=FIELDS, csv_bytes=csv_bytes, method=METHOD,
                               software_version="0.1.0")
    (tmp_path / e.CSV_NAME).write_bytes(csv_bytes)
    (tmp_path / e.DATAPACKAGE_NAME).write_bytes(descriptor)
    return tmp_path / e.DATAPACKAGE_NAME


class TestDatapackage:
    def test_frictionless_validates_the_package(self, tmp_path):
        report = validate(str(package(tmp_path)))
        assert report.valid, report.flatten(["type", "note"])

    def test_frictionless_notices_a_csv_changed_after_writing(self, tmp_path):
        path = package(tmp_path)
        (tmp_path / e.CSV_NAME).write_bytes(e.to_csv(ROWS[:1], COLUMNS))
        assert not validate(str(path)).valid

    def test_fields_carry_type_description_hxl_and_role(self, tmp_path):
        fields = {f["name"]: f for f in json.loads(package(tmp_path).read_text())["resources"][0]["schema"]["fields"]}
        assert fields["age"] == {"name": "age", "type": "string", "description": "Age band at opening.",
                                 "hxl": "#affected+age", "role": "quasi_identifier"}
        assert fields["opened_year"]["type"] == "integer"
        assert fields["opened_on"]["type"] == "date"
        assert fields["returned"]["type"] == "boolean"

    def test_method_and_software_are_recorded(self, tmp_path):
        descriptor = json.loads(package(tmp_path).read_text())
        assert descriptor["method"]["k"] == 5
        assert descriptor["software"] == {"name": "crossroads", "version": "0.1.0"}


class TestInferType:
    @pytest.mark.parametrize(("values", "expected"), [
        ([1, 2, None], "integer"), ([1, 2.5], "number"), ([True, False], "boolean"), ([date(2025, 1, 1)], "date"),
        (["30-39", 4], "string"), ([None, ""], "string"),
    ])
    def test_narrowest_type(self, values, expected):
        assert e.infer_type(values) == expected


class TestXlsx:
    def test_workbook_has_data_fields_and_method(self):
        wb = load_workbook(io.BytesIO(e.to_xlsx(title="T", rows=ROWS, columns=COLUMNS, fields=FIELDS,
                                                method=METHOD)))
        assert [c.value for c in wb["data"][1]] == COLUMNS
        assert wb["data"].cell(2, 3).value == 2025
        assert [c.value for c in wb["fields"][2]] == ["age", "Age band at opening.", "#affected+age"]
        assert dict(r for r in wb["method"].iter_rows(values_only=True))["k"] == 5


class TestCtdc:
    def test_columns_are_ctdcs(self):
        header = e.to_ctdc([]).decode().splitlines()[0].split(",")
        assert header == e.CTDC_COLUMNS
        assert {"yearOfRegistration", "gender", "ageBroad", "citizenship", "CountryOfExploitation",
                "isForcedLabour", "meansDebtBondageEarnings"} <= set(header)

    def test_maps_released_values(self):
        row = {"opened_year": 2025, "sex": "female", "age": "21-23", "nationality": "ERI",
               "country_of_exploitation": "LBY", "type_of_exploitation": "domestic_servitude;sexual",
               "means_of_control": "debt_bondage;threats"}
        out = next(csv.DictReader(io.StringIO(e.to_ctdc([row]).decode())))
        assert (out["yearOfRegistration"], out["gender"], out["ageBroad"], out["citizenship"],
                out["CountryOfExploitation"]) == ("2025", "Woman", "21--23", "ERI", "LBY")
        assert (out["isForcedLabour"], out["isSexualExploit"], out["isOtherExploit"]) == ("1", "1", "0")
        assert (out["meansDebtBondageEarnings"], out["meansThreats"], out["meansWithholdDocs"]) == ("1", "1", "0")

    @pytest.mark.parametrize(("age", "band"), [(7, "0--8"), (17, "9--17"), (50, "48+"), ("30-38", "30--38"),
                                               ("30-39", ""), ("*", ""), (None, "")])
    def test_age_falls_in_one_ctdc_band_or_stays_blank(self, age, band):
        assert e.ctdc_row({"age": age})["ageBroad"] == band

    def test_what_the_release_lacks_stays_blank(self):
        out = e.ctdc_row({"sex": "male"})
        assert out["gender"] == "Man"
        assert out["isForcedLabour"] == "" and out["citizenship"] == ""


class TestFormulaInjection:
    """Titles, labels, ids, column names and descriptions that begin like a formula never become one."""

    TEXT = HOSTILE + BREAKING
    HOSTILE_ROWS = [{h: h for h in TEXT} | {"age": -3, "rate": -0.5, "n": "-4"},
                    {h: f"x{h}" for h in TEXT} | {"age": 7, "rate": 1.5, "n": "5"}]
    HOSTILE_COLUMNS = [*TEXT, "age", "rate", "n"]
    HOSTILE_FIELDS = {h: e.FieldMeta(h, h, h, "quasi_identifier") for h in TEXT}
    HOSTILE_METHOD = {"summary": HOSTILE[0], "kind": HOSTILE[1], "labels": TEXT, "k": -1}

    def test_csv_has_no_live_formula_and_keeps_numbers(self):
        content = e.to_csv(self.HOSTILE_ROWS, self.HOSTILE_COLUMNS)
        assert live_csv_cells(content) == []
        header, first, second = csv_cells(content)
        neutralised = ["'" + v for v in HOSTILE] + BREAKING
        assert header[:len(self.TEXT)] == first[:len(self.TEXT)] == neutralised
        assert second[:len(self.TEXT)] == [f"x{v}" for v in self.TEXT]
        assert first[len(self.TEXT):] == ["-3", "-0.5", "-4"]

    def test_workbook_has_no_live_formula_and_keeps_numbers(self):
        content = e.to_xlsx(title=HOSTILE[0], rows=self.HOSTILE_ROWS, columns=self.HOSTILE_COLUMNS,
                            fields=self.HOSTILE_FIELDS, method=self.HOSTILE_METHOD)
        assert live_xlsx_cells(content) == []
        wb = load_workbook(io.BytesIO(content))
        age, rate = wb["data"].cell(2, len(self.TEXT) + 1), wb["data"].cell(2, len(self.TEXT) + 2)
        assert (age.value, age.data_type, rate.value, rate.data_type) == (-3, "n", -0.5, "n")
        assert wb["method"]["B1"].value == "'" + HOSTILE[0]
        assert dict(r for r in wb["method"].iter_rows(values_only=True))["k"] == -1

    def test_ctdc_file_has_no_live_formula(self):
        row = {"sex": HOSTILE[0], "age": HOSTILE[1], "nationality": "=SY", "opened_year": -1,
               "type_of_exploitation": HOSTILE[2]}
        assert live_csv_cells(e.to_ctdc([row])) == []

    def test_the_package_stays_valid_with_neutralised_text(self, tmp_path):
        rows = [{"age": HOSTILE[0], "sex": "female", "opened_year": -3, "opened_on": None, "returned": True}]
        report = validate(str(package(tmp_path, rows)))
        assert report.valid, report.flatten(["type", "note"])
