"""The release spec: what it accepts, and errors that name the field."""

from __future__ import annotations

import pytest

from crossroads.disclosure.engine.spec import Role, SpecError, load_spec, parse_spec
from tests.factories.disclosure import people_spec


class TestParseSpec:
    def test_reads_the_issue_example(self):
        spec = parse_spec(people_spec())
        assert spec.k == 5 and spec.l == 2 and spec.l_kind == "distinct"
        assert spec.quasi_identifiers == ["age", "sex", "citizenship", "year_of_registration"]
        assert spec.sensitive == ["type_of_exploitation"]
        assert spec.columns["name"].role is Role.identifier and not spec.columns["name"].pseudonymise
        assert spec.risk_threshold == 0.2 and spec.max_share_at_risk == 0.03

    @pytest.mark.parametrize(("change", "field"), [
        ({"k": 0}, "k"),
        ({"max_suppression": 1.5}, "max_suppression"),
        ({"l_kind": "recursive"}, "l_kind"),
        ({"columns": {"age": {"role": "quasi", "hierarchy": {"type": "interval", "widths": [10, 5]}}}},
         "columns.age.hierarchy.widths"),
        ({"columns": {"age": {"role": "quasi", "hierarchy": {"type": "interval"}}}}, "columns.age.hierarchy.widths"),
        ({"columns": {"age": {"role": "quasi", "hierarchy": {"type": "colour"}}}}, "columns.age.hierarchy"),
        ({"columns": {"age": {"role": "secret"}}}, "columns.age.role"),
        ({"columns": {"age": {"role": "quasi", "colour": "red"}}}, "columns.age.colour"),
    ])
    def test_a_bad_value_names_its_field(self, change, field):
        with pytest.raises(SpecError) as caught:
            parse_spec(people_spec(**change))
        assert caught.value.field == field
        assert field in caught.value.message

    def test_hierarchy_on_a_non_quasi_column_is_refused(self):
        with pytest.raises(SpecError, match="only quasi-identifiers take a hierarchy") as caught:
            parse_spec(people_spec(columns={"a": {"role": "sensitive", "hierarchy": {"type": "m49"}},
                                            "b": {"role": "quasi"}}))
        assert caught.value.field == "columns.a"

    def test_l_without_a_sensitive_column_is_refused(self):
        with pytest.raises(SpecError, match="no column has role sensitive"):
            parse_spec(people_spec(columns={"a": {"role": "quasi"}}))

    def test_a_spec_without_quasi_identifiers_is_refused(self):
        with pytest.raises(SpecError, match="at least one column must have role quasi"):
            parse_spec({"k": 2, "columns": {"a": {"role": "insensitive"}}})

    def test_a_mapping_that_sends_a_value_two_ways_is_refused(self):
        bad = {"role": "quasi", "hierarchy": {"type": "mapping", "levels": [{"x": ["a", "b"], "y": ["b"]}]}}
        with pytest.raises(SpecError, match="'b' is mapped to both") as caught:
            parse_spec(people_spec(columns={"r": bad, "type_of_exploitation": {"role": "sensitive"}}))
        assert caught.value.field == "columns.r"


class TestCheckColumns:
    def test_a_data_column_without_a_role_is_named(self):
        with pytest.raises(SpecError, match="'phone' has no role") as caught:
            parse_spec(people_spec()).check_columns([*people_spec()["columns"], "phone"])
        assert caught.value.field == "columns.phone"

    def test_a_spec_column_missing_from_the_data_is_named(self):
        columns = [c for c in people_spec()["columns"] if c != "sex"]
        with pytest.raises(SpecError, match="'sex', which the data does not have"):
            parse_spec(people_spec()).check_columns(columns)


class TestLoadSpec:
    def test_reads_yaml(self, tmp_path):
        path = tmp_path / "spec.yaml"
        path.write_text("k: 3\ncolumns:\n  age: {role: quasi, hierarchy: {type: interval, widths: [5, 10]}}\n")
        assert load_spec(path).k == 3

    def test_invalid_yaml_names_the_line(self, tmp_path):
        path = tmp_path / "spec.yaml"
        path.write_text("k: 3\ncolumns: [\n")
        with pytest.raises(SpecError, match="not valid YAML at line"):
            load_spec(path)

    def test_a_list_instead_of_a_mapping_is_refused(self, tmp_path):
        path = tmp_path / "spec.yaml"
        path.write_text("- k\n")
        with pytest.raises(SpecError, match="must be a mapping"):
            load_spec(path)


class TestHierarchyLevels:
    @pytest.mark.parametrize("hierarchy", [{"type": "date", "levels": ["year", "month"]},
                                           {"type": "m49", "levels": ["region", "region"]}])
    def test_levels_out_of_order_or_repeated_are_refused(self, hierarchy):
        with pytest.raises(SpecError, match="levels must be distinct and in the order") as caught:
            parse_spec(people_spec(columns={"x": {"role": "quasi", "hierarchy": hierarchy},
                                            "type_of_exploitation": {"role": "sensitive"}}))
        assert caught.value.field == "columns.x.hierarchy.levels"
