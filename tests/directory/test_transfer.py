"""Importing HSDS into the directory and exporting it back, on the test database."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import func, select

from crossroads.audit.models import AuditEvent
from crossroads.directory import hsds, transfer
from crossroads.directory.models import (
    DirectoryLanguage,
    DirectoryPhone,
    DirectoryService,
    OpeningHours,
    ServiceAtLocation,
    TaxonomyTerm,
)
from tests.auth.test_policy_matrix import row_counts
from tests.factories import directory as df


def exported(db) -> hsds.Bundle:
    return transfer.export_bundle(db, actor=None, target="test")


def imported_records(data) -> dict:
    bundle, problems = hsds.read_json(copy.deepcopy(data), "directory.json")
    assert problems == []
    return bundle.records


def without_shipped(records: dict) -> dict:
    """The records but the shipped taxonomy, which every directory holds from its first migration."""
    out = {k: dict(v) for k, v in records.items()}
    out["taxonomy"] = {}
    out["taxonomy_term"] = {k: v for k, v in out["taxonomy_term"].items() if v.get("code") not in df.BY_CODE}
    return out


class TestRoundTrip:
    def test_json_export_gives_back_every_field_imported(self, db):
        df.directory(db)
        assert hsds.records_equal(without_shipped(exported(db).records), imported_records(df.services()))

    def test_exported_json_reads_back_to_the_same_records(self, db):
        df.directory(db)
        first = exported(db)
        again, problems = hsds.read_json(hsds.to_json(first), "export.json")
        assert problems == []
        assert hsds.records_equal(again.records, first.records)

    @pytest.mark.parametrize("name", ["package", "package.zip"])
    def test_csv_data_package_round_trip(self, db, tmp_path, name):
        df.directory(db)
        first = exported(db)
        path = tmp_path / name
        hsds.write_path(first, path)
        read, problems = hsds.read_path(path)
        assert problems == []
        # Nested tables (addresses, funding) come back with the id of the record they belong to.
        assert read.records["location"]["loc-tunis"]["addresses"][0]["location_id"] == "loc-tunis"
        skipped = transfer.check_bundle(db, read, problems, skip_invalid=False)
        transfer.import_bundle(db, bundle=read, actor=None, source=str(path), skipped=skipped)
        second = exported(db)
        hsds.write_path(second, tmp_path / ("again" + path.suffix))
        assert hsds.package_files(second) == hsds.package_files(first)
        assert second.records["location"]["loc-tunis"]["latitude"] == df.TUNIS[0]
        assert second.records["service"]["svc-legal-tunis"]["minimum_age"] == 0

    def test_json_through_csv_and_back_keeps_every_value(self, db, tmp_path):
        df.directory(db)
        first = exported(db)
        hsds.write_path(first, tmp_path / "pkg")
        read, _ = hsds.read_path(tmp_path / "pkg")
        for kind in hsds.KINDS:
            for rid, rec in first.records[kind].items():
                back = read.records[kind][rid]
                for key, value in rec.items():
                    if key in ("addresses", "funding"):
                        assert [{k: v for k, v in i.items() if not k.endswith("_id")} for i in back[key]] == value
                    else:
                        assert back[key] == value, (kind, rid, key)


class TestReimport:
    def test_importing_twice_changes_nothing(self, db):
        df.directory(db)
        before = row_counts(db)
        df.directory(db)
        after = row_counts(db)
        assert {t: n for t, n in after.items() if t.startswith("directory_")} == \
            {t: n for t, n in before.items() if t.startswith("directory_")}

    def test_reimport_updates_by_id_and_drops_what_the_file_no_longer_has(self, db):
        df.directory(db)
        service = db.get(DirectoryService, "svc-legal-tunis")
        service.acknowledgement_hours = 24
        db.flush()
        data = df.services()
        data[0]["name"] = "Legal advice, Tunis centre"
        data[0]["phones"] = []
        data[0]["languages"] = [lang for lang in data[0]["languages"] if lang["code"] == "ar"]
        df.import_data(db, data)
        db.expire_all()
        service = db.get(DirectoryService, "svc-legal-tunis")
        assert service.name == "Legal advice, Tunis centre"
        assert service.record["name"] == "Legal advice, Tunis centre"
        # Crossroads' own setting survives the file.
        assert service.acknowledgement_hours == 24
        assert db.get(DirectoryPhone, "ph-legal-tunis") is None
        assert db.get(DirectoryLanguage, "lang-legal-tunis-fr") is None
        assert db.scalar(select(func.count()).select_from(DirectoryService)) == 4

    def test_a_moved_location_moves_every_service_there(self, db):
        df.directory(db)
        # Only the organization and its locations: the services at Tunis are not in this file.
        df.import_data(db, [{"id": "org-tunis-aid", "name": "Tunis Legal Aid", "description": "Lawyers for migrants.",
                             "website": "https://aid.example.org",
                             "locations": [{"id": "loc-tunis", "location_type": "physical", "name": "Tunis office",
                                            "latitude": df.SFAX[0], "longitude": df.SFAX[1]}]}])
        db.expire_all()
        moved = db.scalars(select(ServiceAtLocation).where(ServiceAtLocation.location_id == "loc-tunis")).all()
        assert {(s.latitude, s.longitude, s.band) for s in moved} == {(df.SFAX[0], df.SFAX[1], 138)}
        assert len(moved) == 2

    def test_services_at_locations_carry_their_location_s_place(self, db):
        df.directory(db)
        sal = db.get(ServiceAtLocation, "sal-health-agadez")
        assert (sal.latitude, sal.longitude, sal.band) == (df.AGADEZ[0], df.AGADEZ[1], 67)

    def test_import_is_audited_with_counts(self, db):
        df.directory(db)
        event = db.scalars(select(AuditEvent).where(AuditEvent.action == "directory.import")).all()[-1]
        assert event.details["counts"]["services"] == 4
        assert event.details["skipped"] == 0

    def test_language_codes_are_stored_as_iso_639_1(self, db):
        df.directory(db)
        assert db.get(DirectoryLanguage, "lang-legal-tunis-fr").code == "fr"
        assert db.get(DirectoryLanguage, "lang-legal-tunis-fr").record["code"] == "fra"

    def test_weekly_hours_are_stored_in_utc(self, db):
        df.directory(db)
        hours = db.scalars(select(OpeningHours).where(OpeningHours.schedule_id == "sch-legal-tunis")
                           .order_by(OpeningHours.start_minute)).all()
        # 08:00-16:00 at UTC+1, Monday to Friday.
        assert [(h.start_minute, h.end_minute) for h in hours] == [(d * 1440 + 420, d * 1440 + 900) for d in range(5)]
        assert {h.service_id for h in hours} == {"svc-legal-tunis"}

    def test_an_imported_term_sits_under_a_shipped_category(self, db):
        df.directory(db)
        assert db.get(TaxonomyTerm, df.ASYLUM).parent_id == df.LEGAL_AID


def _broken(mutate) -> list:
    data = df.services()
    mutate(data)
    return data


MALFORMED = {
    # (what is broken, kind, record, field)
    "latitude_100": (lambda d: d[0]["service_at_locations"][0]["location"].update(latitude=100, longitude=101),
                     "location", "loc-tunis", "latitude"),
    "unknown_taxonomy_term": (lambda d: d[2]["attributes"][0].update(taxonomy_term_id="no-such-term"),
                              "attribute", "att-health-agadez", "taxonomy_term_id"),
    "missing_required_field": (lambda d: d[1].pop("status"), "service", "svc-legal-sfax", "status"),
    "dangling_id": (lambda d: d[3]["service_at_locations"][0].update(location_id="loc-nowhere"),
                    "service_at_location", "sal-shelter-tunis", "location_id"),
    "bad_language_code": (lambda d: d[2]["languages"][0].update(code="xx"), "language", "lang-health-agadez-ha",
                          "code"),
    "bad_opening_time": (lambda d: d[0]["schedules"][0].update(opens_at="8 am"), "schedule", "sch-legal-tunis",
                         "opens_at"),
}


class TestRefusal:
    @pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
    def test_a_malformed_file_is_refused_naming_file_record_and_field_and_nothing_is_written(self, db, case):
        mutate, kind, record, fld = MALFORMED[case]
        before = row_counts(db)
        with pytest.raises(transfer.ImportRefused) as refused:
            df.import_data(db, _broken(mutate), file="broken.json")
        assert [(p.file, p.kind, p.record, p.field) for p in refused.value.problems] == \
            [("broken.json", kind, record, fld)]
        assert str(refused.value.problems[0]).startswith(f"broken.json: {kind} {record}, field {fld}: ")
        assert row_counts(db) == before

    def test_skip_invalid_imports_the_rest_and_reports_what_depends_on_the_fault(self, db):
        result = df.import_data(db, _broken(MALFORMED["latitude_100"][0]), skip_invalid=True)
        left_out = {(p.kind, p.record) for p in result.skipped}
        # The location is wrong; the services at it, and their schedules, hours and so on go with it.
        assert ("location", "loc-tunis") in left_out
        assert ("service_at_location", "sal-legal-tunis") in left_out
        assert ("service_at_location", "sal-shelter-tunis") in left_out
        assert db.get(DirectoryService, "svc-legal-tunis") is not None
        assert db.get(DirectoryService, "svc-health-agadez") is not None
        event = db.scalars(select(AuditEvent).where(AuditEvent.action == "directory.import")).all()[-1]
        assert event.details["skipped"] == len(result.skipped)

    def test_a_record_given_twice_with_different_values_is_refused(self, db):
        data = df.services()
        data[1]["organization"] = dict(data[1]["organization"], name="Another name")
        with pytest.raises(transfer.ImportRefused) as refused:
            df.import_data(db, data)
        assert (refused.value.problems[0].kind, refused.value.problems[0].record,
                refused.value.problems[0].field) == ("organization", "org-tunis-aid", "name")

    def test_a_file_may_name_records_already_in_the_directory(self, db):
        df.directory(db)
        result = df.import_data(db, [{"id": "svc-extra", "name": "Extra", "status": "active",
                                      "organization_id": "org-agadez-clinic",
                                      "service_at_locations": [{"id": "sal-extra", "location_id": "loc-agadez"}]}])
        assert result.counts == {"services": 1, "service_at_locations": 1}
