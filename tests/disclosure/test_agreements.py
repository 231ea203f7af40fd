"""Sharing agreements and the packages issued under them: only in force, only agreed fields, audited."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from crossroads.audit.models import AuditEvent
from crossroads.disclosure import agreements
from crossroads.disclosure.engine import exchange
from crossroads.disclosure.schemas import PackageIssue, RecipientKeyIn
from crossroads.kit.errors import Conflict, Forbidden, Invalid
from tests.factories import releases as df
from tests.helpers import BREAKING, HOSTILE, csv_cells, live_csv_cells


@pytest.fixture
def partner_key():
    return exchange.generate_recipient_key()


@pytest.fixture
def agreement(db, dpo, world, partner_key):
    return df.agreement(db, dpo, world.partner_org.id, key=partner_key)


@pytest.fixture
def release(db, officer, dpo, dataset):
    return df.approved(db, officer, dpo, dataset)


def issue(db, officer, agreement, release, agency_key, **kwargs):
    return agreements.issue_package(db, principal=officer, agreement_id=agreement.id,
                                    data=PackageIssue(release_id=release.id, **kwargs),
                                    signing_key_text=exchange.signing_key_text(agency_key))


def opened(package, partner_key, agency_key):
    return exchange.open_package(package.content, private_key=partner_key, signer=agency_key.public_key())


class TestCreateAgreement:
    def test_refuses_the_agency_itself(self, db, dpo, world):
        with pytest.raises(Invalid) as exc:
            df.agreement(db, dpo, world.agency.id)
        assert exc.value.field == "organisation_id"

    def test_only_the_dpo_makes_agreements(self, db, officer, world):
        with pytest.raises(Forbidden):
            df.agreement(db, officer, world.partner_org.id)


class TestAddRecipientKey:
    def test_refuses_a_malformed_key_naming_the_field(self, db, dpo, world):
        a = df.agreement(db, dpo, world.partner_org.id)
        with pytest.raises(Invalid) as exc:
            agreements.add_recipient_key(db, principal=dpo, agreement_id=a.id,
                                         data=RecipientKeyIn(label="x", public_key="x25519:short"))
        assert exc.value.field == "public_key"

    def test_refuses_the_same_key_twice(self, db, dpo, agreement, partner_key):
        with pytest.raises(Conflict):
            agreements.add_recipient_key(db, principal=dpo, agreement_id=agreement.id, data=RecipientKeyIn(
                label="again", public_key=exchange.public_key_text(partner_key)))


class TestIssuePackage:
    def test_round_trip_carries_only_the_agreed_fields(self, db, officer, agreement, release, partner_key,
                                                       agency_key):
        package = issue(db, officer, agreement, release, agency_key)
        files = opened(package, partner_key, agency_key).files
        rows = list(csv.DictReader(io.StringIO(files["release.csv"].decode())))
        assert list(rows[0]) == ["sex", "age", "nationality"]
        assert len(rows) == package.row_count == len(df.ROWS)
        descriptor = json.loads(files["datapackage.json"])
        assert [f["name"] for f in descriptor["resources"][0]["schema"]["fields"]] == ["sex", "age", "nationality"]
        assert descriptor["sharing_agreement"]["agreement_id"] == str(agreement.id)

    def test_issue_is_audited_with_what_left_and_what_was_withheld(self, db, officer, agreement, release,
                                                                   agency_key):
        package = issue(db, officer, agreement, release, agency_key)
        db.commit()
        event = db.scalars(select(AuditEvent).where(AuditEvent.action == "disclosure.exchange_issue")
                           .order_by(AuditEvent.id.desc())).first()
        assert event.details["package"] == str(package.id)
        assert event.details["fields"] == ["sex", "age", "nationality"]
        assert event.details["withheld"] == ["person_id", "programme"]

    def test_expired_agreement_is_refused(self, db, dpo, officer, world, partner_key, release, agency_key):
        expired = df.agreement(db, dpo, world.partner_org.id, key=partner_key,
                               valid_from=date.today() - timedelta(days=400),
                               expires_on=date.today() - timedelta(days=1))
        with pytest.raises(Conflict, match="expired"):
            issue(db, officer, expired, release, agency_key)

    def test_agreement_not_yet_in_force_is_refused(self, db, dpo, officer, world, partner_key, release,
                                                   agency_key):
        future = df.agreement(db, dpo, world.partner_org.id, key=partner_key,
                              valid_from=date.today() + timedelta(days=3))
        with pytest.raises(Conflict, match="in force only from"):
            issue(db, officer, future, release, agency_key)

    def test_unapproved_release_is_refused(self, db, officer, agreement, dataset, agency_key):
        draft = df.release(db, officer, dataset)
        with pytest.raises(Conflict, match="approved"):
            issue(db, officer, agreement, draft, agency_key)

    def test_release_without_agreed_fields_is_refused(self, db, dpo, officer, world, partner_key, release,
                                                      agency_key):
        narrow = df.agreement(db, dpo, world.partner_org.id, fields=("household_size",), key=partner_key)
        with pytest.raises(Invalid, match="none of the fields"):
            issue(db, officer, narrow, release, agency_key)

    def test_agreement_without_key_is_refused(self, db, dpo, officer, world, release, agency_key):
        keyless = df.agreement(db, dpo, world.partner_org.id)
        with pytest.raises(Conflict, match="no recipient key"):
            issue(db, officer, keyless, release, agency_key)

    def test_missing_signing_key_is_refused(self, db, officer, agreement, release):
        with pytest.raises(Conflict, match="no agency signing key"):
            agreements.issue_package(db, principal=officer, agreement_id=agreement.id,
                                     data=PackageIssue(release_id=release.id), signing_key_text="")

    def test_dpo_does_not_issue_packages(self, db, dpo, agreement, release, agency_key):
        with pytest.raises(Forbidden):
            issue(db, dpo, agreement, release, agency_key)


class TestFormulaLikeTextInPackages:
    def test_package_csv_carries_no_live_formula(self, db, officer, dpo, dataset, agreement, partner_key,
                                                 agency_key):
        rows = [{"person_id": "p", "sex": HOSTILE[i % 5], "age": -3, "nationality": BREAKING[i % 3]} for i in range(6)]
        release = df.approved(db, officer, dpo, dataset, rows=rows)
        files = opened(issue(db, officer, agreement, release, agency_key), partner_key, agency_key).files
        assert live_csv_cells(files["release.csv"]) == []
        assert csv_cells(files["release.csv"])[1:] == [["'" + r["sex"], "-3", r["nationality"]] for r in rows]
        resource = json.loads(files["datapackage.json"])["resources"][0]
        assert resource["hash"] == "sha256:" + hashlib.sha256(files["release.csv"]).hexdigest()

    def test_a_release_written_before_neutralising_is_neutralised_once_when_cut(self):
        # Releases are frozen: one prepared before its text was neutralised still holds live formulas.
        stored = {"release.csv": b"sex,age,note\n=1+1,-3,'@x\n@SUM(1),40,ok\n",
                  "datapackage.json": json.dumps({"resources": [{"schema": {"fields": [
                      {"name": "sex"}, {"name": "age"}, {"name": "note"}]}}]}).encode()}
        cut = agreements._agreed_files(stored, ["sex", "age", "note"], {})
        assert csv_cells(cut.files["release.csv"]) == [["sex", "age", "note"], ["'=1+1", "-3", "'@x"],
                                                       ["'@SUM(1)", "40", "ok"]]


class TestDownloadPackage:
    def test_returns_the_sealed_bytes_and_audits(self, db, officer, agreement, release, partner_key, agency_key):
        package = issue(db, officer, agreement, release, agency_key)
        _, content = agreements.download_package(db, principal=officer, package_id=package.id)
        assert exchange.open_package(content, private_key=partner_key, signer=agency_key.public_key()).files
        db.commit()
        assert db.scalar(select(AuditEvent.id).where(AuditEvent.action == "disclosure.exchange_download",
                                                     AuditEvent.entity_id == str(agreement.id))) is not None
