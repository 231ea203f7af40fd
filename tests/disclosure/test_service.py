"""The release workflow: four eyes, no download before approval, immutable files with verified checksums."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from crossroads import __version__
from crossroads.audit.models import AuditEvent
from crossroads.auth.roles import Role
from crossroads.auth.schemas import UserUpdate
from crossroads.auth.service import update_user
from crossroads.disclosure import ledger, service
from crossroads.disclosure.models import ImmutableRecord, LedgerEntry, ReleaseFile, ReleaseStatus
from crossroads.disclosure.schemas import DpTablePrepare, MicrodataPrepare
from crossroads.kit.errors import Conflict, Forbidden, Invalid
from tests.factories import auth as af
from tests.factories import releases as df


def last_event(db, action):
    db.commit()
    return db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())).first()


class TestStoreRelease:
    def test_stores_files_with_checksums_sizes_and_software_version(self, db, officer, dataset):
        release = df.release(db, officer, dataset)
        assert release.status == ReleaseStatus.DRAFT
        assert release.software_version == __version__
        files = {f.name: f for f in db.scalars(select(ReleaseFile).where(ReleaseFile.release_id == release.id))}
        assert set(files) == {"release.csv", "datapackage.json", "release.xlsx"}
        for f in files.values():
            content = service.verified_content(db, f)
            assert f.size == len(content) and f.sha256 == hashlib.sha256(content).hexdigest()

    def test_prepare_is_audited_with_columns_not_values(self, db, officer, dataset):
        release = df.release(db, officer, dataset)
        event = last_event(db, "disclosure.release_prepare")
        assert event.entity_id == str(release.id)
        assert event.details["columns"] == list(df.ROWS[0])
        assert "ERI" not in json.dumps(event.details)

    def test_counter_trafficking_microdata_gets_a_ctdc_file(self, db, officer, dpo):
        ds = df.dataset(db, dpo, programme="counter_trafficking")
        release = df.release(db, officer, ds)
        assert "ctdc.csv" in {f.name for f in release.files}


class TestSubmitRelease:
    def test_moves_a_draft_to_pending_approval(self, db, officer, dataset):
        release = df.release(db, officer, dataset)
        assert service.submit_release(db, principal=officer, release_id=release.id).status == \
            ReleaseStatus.PENDING_APPROVAL

    def test_refuses_to_submit_twice(self, db, officer, dataset):
        release = df.release(db, officer, dataset)
        service.submit_release(db, principal=officer, release_id=release.id)
        with pytest.raises(Conflict, match="not a draft"):
            service.submit_release(db, principal=officer, release_id=release.id)


class TestApproveRelease:
    def test_dpo_approves_a_release_someone_else_prepared(self, db, officer, dpo, dataset):
        release = df.approved(db, officer, dpo, dataset)
        assert release.status == ReleaseStatus.APPROVED
        assert release.decided_by == dpo.user_id
        assert last_event(db, "disclosure.release_approve").entity_id == str(release.id)

    def test_the_preparer_can_never_approve_their_own_release(self, db, world, dataset):
        # A data officer who prepared a release and is later made DPO still cannot decide it.
        user = af.user(db, world.agency, Role.DATA_OFFICER)
        preparer = af.principal(db, user)
        release = df.release(db, preparer, dataset)
        service.submit_release(db, principal=preparer, release_id=release.id)
        update_user(db, actor=None, user_id=user.id, data=UserUpdate(role=Role.DPO))
        same_person = af.principal(db, user)
        assert same_person.may("release.approve")
        with pytest.raises(Forbidden, match="someone other than the person who prepared it"):
            service.approve_release(db, principal=same_person, release_id=release.id)

    def test_the_schema_refuses_a_decider_equal_to_the_preparer(self, db, officer, dataset):
        release = df.release(db, officer, dataset)
        release.decided_by = release.prepared_by
        with pytest.raises(Exception, match="four_eyes|CHECK constraint"):
            db.flush()
        db.rollback()

    def test_data_officer_cannot_approve(self, db, officer, dataset, world):
        other = af.principal(db, af.user(db, world.agency, Role.DATA_OFFICER))
        release = df.release(db, other, dataset)
        service.submit_release(db, principal=other, release_id=release.id)
        with pytest.raises(Forbidden):
            service.approve_release(db, principal=officer, release_id=release.id)

    def test_a_draft_cannot_be_approved(self, db, officer, dpo, dataset):
        release = df.release(db, officer, dataset)
        with pytest.raises(Conflict, match="pending approval"):
            service.approve_release(db, principal=dpo, release_id=release.id)

    def test_a_decided_release_cannot_be_decided_again(self, db, officer, dpo, dataset):
        release = df.approved(db, officer, dpo, dataset)
        with pytest.raises(Conflict):
            service.reject_release(db, principal=dpo, release_id=release.id, comment="Changed my mind")


class TestRejectRelease:
    def test_records_the_comment_and_blocks_downloads(self, db, officer, dpo, dataset):
        release = df.release(db, officer, dataset)
        service.submit_release(db, principal=officer, release_id=release.id)
        rejected = service.reject_release(db, principal=dpo, release_id=release.id, comment="Age bands too fine")
        assert rejected.status == ReleaseStatus.REJECTED and rejected.decision_comment == "Age bands too fine"
        with pytest.raises(Conflict, match="rejected"):
            service.download_file(db, principal=officer, release_id=release.id, name="release.csv")


class TestDownloadFile:
    @pytest.mark.parametrize("submitted", [False, True], ids=["draft", "pending"])
    def test_nothing_is_downloadable_before_approval(self, db, officer, dataset, submitted):
        release = df.release(db, officer, dataset)
        if submitted:
            service.submit_release(db, principal=officer, release_id=release.id)
        with pytest.raises(Conflict, match="only after a DPO approves it"):
            service.download_file(db, principal=officer, release_id=release.id, name="release.csv")

    def test_approved_files_download_and_each_download_is_audited(self, db, officer, dpo, dataset):
        release = df.approved(db, officer, dpo, dataset)
        file, content = service.download_file(db, principal=officer, release_id=release.id, name="release.csv")
        assert content.decode().splitlines()[0] == "person_id,sex,age,nationality,programme"
        event = last_event(db, "disclosure.release_download")
        assert event.details == {"file": "release.csv", "sha256": file.sha256, "size": file.size}

    def test_xlsx_is_readable(self, db, officer, dpo, dataset):
        release = df.approved(db, officer, dpo, dataset)
        _, content = service.download_file(db, principal=officer, release_id=release.id, name="release.xlsx")
        sheet = load_workbook(io.BytesIO(content))["data"]
        assert [c.value for c in sheet[1]] == list(df.ROWS[0])
        assert sheet.max_row == len(df.ROWS) + 1

    def test_a_file_altered_in_storage_is_refused(self, db, officer, dpo, dataset):
        release = df.approved(db, officer, dpo, dataset)
        db.flush()
        # Simulates tampering below the application, straight in the database.
        db.execute(update(ReleaseFile.__table__).where(ReleaseFile.release_id == release.id,
                                                       ReleaseFile.name == "release.csv")
                   .values(content=b"person_id\nJohn Smith\n"))
        db.expire_all()
        with pytest.raises(Conflict, match="no longer matches its checksum"):
            service.download_file(db, principal=officer, release_id=release.id, name="release.csv")


class TestImmutability:
    def test_an_approved_release_cannot_be_changed(self, db, officer, dpo, dataset):
        release = df.approved(db, officer, dpo, dataset)
        db.flush()
        db.expire_all()
        release = service.get_release(db, principal=dpo, release_id=release.id)
        release.title = "Something else"
        with pytest.raises(ImmutableRecord):
            db.flush()
        db.rollback()

    def test_a_release_file_cannot_be_changed(self, db, officer, dataset):
        release = df.release(db, officer, dataset)
        release.files[0].sha256 = "0" * 64
        with pytest.raises(ImmutableRecord):
            db.flush()
        db.rollback()




def prepare(db, officer, dataset, spec=df.SPEC):
    return service.prepare_microdata(db, principal=officer, data=MicrodataPrepare(
        dataset_id=dataset.id, title="Returns by profile", spec=spec))


@pytest.fixture
def registry(db, world):
    return df.registry(db, world.principal(db, "caseworker_a"))


class TestPrepareMicrodata:
    def test_every_combination_of_quasi_identifiers_is_shared_by_k_records(self, db, officer, dataset, registry):
        release = prepare(db, officer, dataset)
        file = next(f for f in release.files if f.name == "release.csv")
        rows = list(csv.DictReader(io.StringIO(service.verified_content(db, file).decode())))
        assert rows and release.row_count == len(rows) == release.report["rows_out"]
        counts = Counter((r["sex"], r["age"], r["nationality"]) for r in rows)
        assert min(counts.values()) >= 3
        assert "case_id" not in rows[0]
        raw_ids = {str(c.person_id) for c in registry}
        assert not raw_ids & {r["person_id"] for r in rows}

    def test_the_spec_and_report_are_stored_with_the_release(self, db, officer, dataset, registry):
        release = prepare(db, officer, dataset)
        assert release.spec["k"] == 3 and release.report["k_achieved"] >= 3
        descriptor = json.loads(service.verified_content(
            db, next(f for f in release.files if f.name == "datapackage.json")))
        assert descriptor["method"]["k"] == 3
        hxl = {f["name"]: f.get("hxl") for f in descriptor["resources"][0]["schema"]["fields"]}
        assert hxl["nationality"] == "#country+code+nationality"

    def test_extraction_is_audited_with_the_columns_read(self, db, officer, dataset, registry):
        release = prepare(db, officer, dataset)
        event = last_event(db, "disclosure.dataset_extract")
        assert event.details["release"] == str(release.id)
        assert set(event.details["columns"]) == set(df.SPEC["columns"])
        assert event.details["rows"] == len(registry)

    def test_an_unmeetable_spec_is_refused_naming_the_field(self, db, officer, dataset, registry):
        with pytest.raises(Invalid, match="Nothing was released") as exc:
            prepare(db, officer, dataset, {**df.SPEC, "k": 500, "max_suppression": 0.0})
        assert exc.value.field == "spec.max_suppression"

    def test_a_malformed_spec_names_the_key(self, db, officer, dataset, registry):
        bad = {**df.SPEC, "columns": {**df.SPEC["columns"], "age": {"role": "quasi", "hierarchy": {"type": "interval",
                                                                                              "widths": [20, 10]}}}}
        with pytest.raises(Invalid) as exc:
            prepare(db, officer, dataset, bad)
        assert exc.value.field.startswith("spec.columns.age")

    def test_a_person_identifier_must_have_the_identifier_role(self, db, officer, dataset, registry):
        bad = {**df.SPEC, "columns": {**df.SPEC["columns"], "person_id": {"role": "insensitive"}}}
        with pytest.raises(Invalid, match="person_id identify a person") as exc:
            prepare(db, officer, dataset, bad)
        assert exc.value.field == "spec.columns"

    def test_an_unknown_column_is_refused(self, db, officer, dataset, registry):
        bad = {**df.SPEC, "columns": {**df.SPEC["columns"], "given_name": {"role": "quasi"}}}
        with pytest.raises(Invalid, match="no column given_name"):
            prepare(db, officer, dataset, bad)


def prepare_dp(db, officer, dataset, **overrides):
    values = {"dataset_id": dataset.id, "title": "Cases by sex", "dimensions": ["sex"], "epsilon": 0.5}
    return service.prepare_dp_table(db, principal=officer, data=DpTablePrepare(**{**values, **overrides}))


class TestPrepareDpTable:
    def test_counts_every_public_key_and_charges_the_ledger(self, db, officer, dataset, registry):
        release = prepare_dp(db, officer, dataset)
        rows = list(csv.DictReader(io.StringIO(service.verified_content(
            db, next(f for f in release.files if f.name == "release.csv")).decode())))
        assert {r["sex"] for r in rows} >= {"female", "male", "other", "unknown"}
        assert all(int(r["count"]) >= 0 for r in rows)
        assert release.epsilon == 0.5 and release.report["accuracy"] > 0
        assert ledger.budget_of(db, dataset).epsilon_spent == pytest.approx(0.5)
        descriptor = json.loads(service.verified_content(
            db, next(f for f in release.files if f.name == "datapackage.json")))
        assert descriptor["method"]["epsilon"] == 0.5
        assert "accuracy_statement" in descriptor["method"]

    def test_the_ledger_entry_is_written_with_the_release(self, db, officer, dataset, registry):
        release = prepare_dp(db, officer, dataset)
        entry = db.scalar(select(LedgerEntry).where(LedgerEntry.release_id == release.id))
        assert (entry.epsilon, entry.delta, entry.spent_by) == (0.5, 0.0, officer.user_id)

    def test_a_second_table_over_the_remaining_budget_is_refused(self, db, officer, dataset, registry):
        prepare_dp(db, officer, dataset, epsilon=0.8)
        with pytest.raises(Conflict, match="only ε=0.2"):
            prepare_dp(db, officer, dataset, epsilon=0.3)

    def test_keys_from_the_data_need_delta_and_nothing_is_spent(self, db, officer, dataset, registry):
        with pytest.raises(Invalid) as exc:
            prepare_dp(db, officer, dataset, dimensions=["state"])
        assert exc.value.field == "delta"
        db.rollback()
        assert ledger.budget_of(db, dataset).epsilon_spent == 0

    def test_an_identifier_cannot_be_a_dimension(self, db, officer, dataset, registry):
        with pytest.raises(Invalid, match="identifies a person"):
            prepare_dp(db, officer, dataset, dimensions=["person_id"])


class TestApproveUnpublishable:
    def test_a_release_over_its_own_risk_limit_cannot_be_approved(self, db, officer, dpo, dataset, registry):
        # k=1 leaves unique records: every one of them is at risk, far beyond the spec's 3 % limit.
        release = prepare(db, officer, dataset, {**df.SPEC, "k": 1, "max_share_at_risk": 0.0})
        assert release.report["publishable"] is False
        service.submit_release(db, principal=officer, release_id=release.id)
        with pytest.raises(Conflict, match="not publishable"):
            service.approve_release(db, principal=dpo, release_id=release.id)
