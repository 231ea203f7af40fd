"""Reading and writing HSDS files, without a database."""

from __future__ import annotations

import json
import zipfile

import pytest
from frictionless import validate

from crossroads.directory import hsds
from tests.factories import directory as df


def read(data, file="f.json"):
    bundle, problems = hsds.read_json(data, file)
    assert problems == []
    return bundle.records


def nothing_exists(kind, rid):
    return False


class TestReadJson:
    def test_nested_objects_become_records_that_point_at_their_parent(self):
        records = read(df.services())
        assert records["phone"]["ph-legal-tunis"]["service_id"] == "svc-legal-tunis"
        assert records["language"]["lang-ph-legal-tunis"]["phone_id"] == "ph-legal-tunis"
        assert records["service"]["svc-legal-tunis"]["organization_id"] == "org-tunis-aid"
        assert records["service_at_location"]["sal-legal-tunis"]["location_id"] == "loc-tunis"
        attribute = records["attribute"]["att-legal-tunis"]
        assert (attribute["link_entity"], attribute["link_id"]) == ("service", "svc-legal-tunis")
        assert records["taxonomy_term"][df.ASYLUM]["parent_id"] == df.LEGAL_AID
        # What the directory does not model stays in its parent, as it came.
        assert records["service"]["svc-legal-tunis"]["funding"] == [{"id": "fund-1", "source": "City of Tunis"}]
        assert records["location"]["loc-tunis"]["addresses"][0]["city"] == "Tunis"

    def test_the_same_organization_nested_in_several_services_is_one_record(self):
        assert list(read(df.services())["organization"]) == ["org-tunis-aid", "org-agadez-clinic"]

    def test_an_api_page_and_a_bundle_read_the_same(self):
        records = read(df.services())
        assert read({"contents": df.services(), "total_items": 4}) == records
        assert read(hsds.to_json(hsds.Bundle(records=records))) == records

    def test_organizations_are_told_from_services(self):
        records = read([{"id": "o", "name": "Org", "description": "d",
                         "locations": [{"id": "l", "location_type": "virtual", "url": "https://o.example"}]}])
        assert records["organization"]["o"]["name"] == "Org"
        assert records["location"]["l"]["organization_id"] == "o"

    def test_null_and_empty_values_are_dropped(self):
        records = read([{"id": "s", "name": "S", "status": "active", "email": None, "url": " "}])
        assert records["service"]["s"] == {"id": "s", "name": "S", "status": "active"}

    def test_a_record_without_id_is_named_by_its_position(self):
        _, problems = hsds.read_json([{"id": "s", "name": "S", "status": "active", "phones": [{"number": "1"}]}],
                                     "f.json")
        assert [(p.kind, p.record, p.field) for p in problems] == [("phone", "s.phones[0]", "id")]

    @pytest.mark.parametrize("data", [42, "text", None])
    def test_not_hsds_at_all(self, data):
        with pytest.raises(hsds.Unreadable):
            hsds.read_json(data, "f.json")

    def test_not_json(self, tmp_path):
        path = tmp_path / "f.json"
        path.write_text("{not json")
        with pytest.raises(hsds.Unreadable, match="f.json: not valid JSON"):
            hsds.read_path(path)


class TestCheck:
    @pytest.mark.parametrize(("location", "field"), [
        ({"latitude": 100, "longitude": 101}, "latitude"),
        ({"latitude": 10, "longitude": 181}, "longitude"),
        ({"latitude": "north", "longitude": 1}, "latitude"),
        ({"latitude": 10}, "longitude"),
        ({"location_type": "mobile"}, "location_type"),
    ])
    def test_locations(self, location, field):
        bundle, _ = hsds.read_json([{"id": "o", "name": "O", "description": "d",
                                     "locations": [{"id": "l", "location_type": "physical", **location}]}], "f.json")
        assert [(p.record, p.field) for p in hsds.check(bundle, nothing_exists)] == [("l", field)]

    def test_ids_may_name_records_already_in_the_directory(self):
        bundle, _ = hsds.read_json([{"id": "s", "name": "S", "status": "active", "organization_id": "o"}], "f.json")
        assert [p.field for p in hsds.check(bundle, nothing_exists)] == ["organization_id"]
        assert hsds.check(bundle, lambda kind, rid: (kind, rid) == ("organization", "o")) == []

    def test_without_invalid_follows_what_depends_on_a_fault(self):
        bundle, _ = hsds.read_json(df.services(), "f.json")
        bundle.records["organization"]["org-agadez-clinic"].pop("description")
        _, problems = hsds.without_invalid(bundle, hsds.check(bundle, lambda k, r: k == "taxonomy_term"),
                                           lambda k, r: k == "taxonomy_term")
        left_out = {(p.kind, p.record) for p in problems}
        assert {("organization", "org-agadez-clinic"), ("service", "svc-health-agadez"),
                ("location", "loc-agadez"), ("language", "lang-health-agadez-ha")} <= left_out
        assert "svc-health-agadez" not in bundle.records["service"]
        assert "svc-legal-tunis" in bundle.records["service"]


class TestPackage:
    def bundle(self):
        bundle, _ = hsds.read_json(df.services(), "f.json")
        return bundle

    def test_frictionless_finds_the_written_package_valid(self, tmp_path):
        hsds.write_path(self.bundle(), tmp_path / "pkg")
        report = validate(str(tmp_path / "pkg" / "datapackage.json"))
        assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])

    def test_addresses_and_funding_are_their_own_tables(self, tmp_path):
        files = hsds.package_files(self.bundle())
        assert "address.csv" in files and "funding.csv" in files
        assert "addresses" not in files["location.csv"].splitlines()[0]

    def test_zip_round_trip(self, tmp_path):
        bundle = self.bundle()
        hsds.write_path(bundle, tmp_path / "d.zip")
        again, problems = hsds.read_path(tmp_path / "d.zip")
        assert problems == []
        assert hsds.package_files(again) == hsds.package_files(bundle)

    def test_a_formula_in_a_name_is_written_as_text_and_read_back_as_it_was(self, tmp_path):
        data = df.services()
        data[0]["name"] = '=HYPERLINK("http://evil.example","Legal aid")'
        bundle, problems = hsds.read_json(data, "f.json")
        assert problems == []
        written = hsds.package_files(bundle)["service.csv"]
        assert "'=HYPERLINK" in written and ',=HYPERLINK' not in written and not written.startswith("=")
        hsds.write_path(bundle, tmp_path / "pkg")
        again, problems = hsds.read_path(tmp_path / "pkg")
        assert problems == []
        assert data[0]["name"] in [r.get("name") for r in again.records["service"].values()]
        assert hsds.package_files(again) == hsds.package_files(bundle)

    def test_a_bad_cell_is_named_by_file_record_and_field(self, tmp_path):
        hsds.write_path(self.bundle(), tmp_path / "pkg")
        csv_path = tmp_path / "pkg" / "location.csv"
        csv_path.write_text(csv_path.read_text().replace("36.8065", "100"))
        bundle, problems = hsds.read_path(tmp_path / "pkg")
        problems += hsds.check(bundle, lambda k, r: k == "taxonomy_term")
        assert [(p.file, p.kind, p.record, p.field) for p in problems] == \
            [(str(csv_path), "location", "loc-tunis", "latitude")]

    def test_an_unknown_table_is_refused(self, tmp_path):
        hsds.write_path(self.bundle(), tmp_path / "pkg")
        descriptor = json.loads((tmp_path / "pkg" / "datapackage.json").read_text())
        descriptor["resources"].append({"name": "horoscope", "path": "horoscope.csv"})
        (tmp_path / "pkg" / "datapackage.json").write_text(json.dumps(descriptor))
        with pytest.raises(hsds.Unreadable, match="horoscope"):
            hsds.read_path(tmp_path / "pkg")

    def test_a_zip_without_descriptor(self, tmp_path):
        with zipfile.ZipFile(tmp_path / "x.zip", "w") as z:
            z.writestr("service.csv", "id\n")
        with pytest.raises(hsds.Unreadable, match="no datapackage.json"):
            hsds.read_path(tmp_path / "x.zip")

    def test_a_path_outside_the_package_is_refused(self, tmp_path):
        (tmp_path / "pkg").mkdir()
        (tmp_path / "pkg" / "datapackage.json").write_text(json.dumps(
            {"resources": [{"name": "service", "path": "../secret.csv"}]}))
        with pytest.raises(hsds.Unreadable, match="inside the package"):
            hsds.read_path(tmp_path / "pkg")
