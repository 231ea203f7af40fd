"""The disclosure API: the workflow end to end over HTTP, answers that name the field, and the policy."""

from __future__ import annotations

import hashlib
import io
from datetime import date, timedelta

from openpyxl import load_workbook

from crossroads.disclosure.engine import exchange
from tests.factories import releases as df
from tests.helpers import HOSTILE, csv_cells, live_csv_cells, live_xlsx_cells

API = "/api/v1/disclosure"



class TestDatasets:
    def test_dpo_creates_a_dataset_with_a_budget(self, client, headers):
        response = client.post(f"{API}/datasets", headers=headers("dpo"),
                               json={"name": "Returns 2026", "epsilon_budget": 2.0, "delta_budget": 1e-6})
        assert response.status_code == 201, response.text
        assert response.json()["epsilon_spent"] == 0.0

    def test_bad_budget_names_the_field(self, client, headers):
        response = client.post(f"{API}/datasets", headers=headers("dpo"), json={"name": "x", "epsilon_budget": -1})
        assert response.status_code == 422
        assert "epsilon_budget" in response.text

    def test_columns_offer_no_names_phones_or_documents(self, client, headers, dataset):
        names = {c["name"] for c in client.get(f"{API}/datasets/{dataset.id}/columns",
                                               headers=headers("data_officer")).json()}
        assert {"sex", "age", "nationality", "person_id"} <= names
        assert not names & {"given_name", "family_name", "phone", "documents"}

    def test_programme_dataset_offers_coded_fields_but_no_free_text(self, client, headers, db, dpo):
        ds = df.dataset(db, dpo, programme="counter_trafficking")
        db.commit()
        columns = {c["name"]: c for c in client.get(f"{API}/datasets/{ds.id}/columns",
                                                    headers=headers("data_officer")).json()}
        assert "type_of_exploitation" in columns and "country_of_exploitation" in columns
        assert columns["type_of_exploitation"]["hxl"].startswith("#indicator+")


class TestWorkflowOverHttp:
    def test_prepare_submit_approve_by_another_user_then_download(self, client, headers, draft):
        officer, dpo = headers("data_officer"), headers("dpo")
        url = f"{API}/releases/{draft.id}"
        assert client.get(f"{url}/files/release.csv", headers=officer).status_code == 409
        assert client.post(f"{url}/submit", headers=officer).json()["status"] == "pending_approval"
        assert client.get(f"{url}/files/release.csv", headers=dpo).status_code == 409
        approved = client.post(f"{url}/approve", headers=dpo, json={"comment": "Checked the report."})
        assert approved.json()["status"] == "approved", approved.text
        download = client.get(f"{url}/files/release.csv", headers=officer)
        assert download.status_code == 200
        assert download.headers["content-disposition"] == (
            "attachment; filename=\"release.csv\"; filename*=UTF-8''release.csv")
        assert download.headers["x-content-type-options"] == "nosniff"
        sha = {f["name"]: f["sha256"] for f in approved.json()["files"]}["release.csv"]
        assert hashlib.sha256(download.content).hexdigest() == sha

    def test_reject_needs_a_comment(self, client, headers, draft):
        client.post(f"{API}/releases/{draft.id}/submit", headers=headers("data_officer"))
        response = client.post(f"{API}/releases/{draft.id}/reject", headers=headers("dpo"), json={})
        assert response.status_code == 422
        assert "comment" in response.text

    def test_dp_table_over_budget_is_409_naming_epsilon(self, client, headers, dataset):
        response = client.post(f"{API}/releases/dp-table", headers=headers("data_officer"), json={
            "dataset_id": str(dataset.id), "title": "Too much", "dimensions": ["sex"], "epsilon": 5})
        assert response.status_code == 409
        assert response.json()["detail"][0]["field"] == "epsilon"
        assert response.json()["epsilon_budget"] == 1.0

    def test_unknown_file_is_404(self, client, headers, db, officer, dpo, dataset):
        release = df.approved(db, officer, dpo, dataset)
        db.commit()
        assert client.get(f"{API}/releases/{release.id}/files/secret.csv",
                          headers=headers("data_officer")).status_code == 404


class TestExchangeOverHttp:
    def test_package_issued_over_http_opens_with_the_partner_key(self, client, headers, db, officer, dpo, dataset,
                                                                 world, agency_key):
        partner = exchange.generate_recipient_key()
        release = df.approved(db, officer, dpo, dataset)
        db.commit()
        agreement = client.post(f"{API}/agreements", headers=headers("dpo"), json={
            "organisation_id": str(world.partner_org.id), "title": "Monitoring", "purpose": "Reintegration",
            "fields": ["sex", "age"], "valid_from": str(date.today()),
            "expires_on": str(date.today() + timedelta(days=90))}).json()
        keyed = client.post(f"{API}/agreements/{agreement['id']}/keys", headers=headers("dpo"),
                            json={"label": "desk", "public_key": exchange.public_key_text(partner)})
        assert keyed.status_code == 201, keyed.text
        issued = client.post(f"{API}/agreements/{agreement['id']}/packages", headers=headers("data_officer"),
                             json={"release_id": str(release.id)})
        assert issued.status_code == 201, issued.text
        assert issued.json()["fields"] == ["sex", "age"]
        blob = client.get(f"{API}/packages/{issued.json()['id']}/download", headers=headers("data_officer"))
        opened = exchange.open_package(blob.content, private_key=partner, signer=agency_key.public_key())
        assert opened.files["release.csv"].decode().splitlines()[0] == "sex,age"

    def test_signer_endpoint_gives_the_public_key(self, client, headers, agency_key):
        body = client.get(f"{API}/exchange/signer", headers=headers("data_officer")).json()
        assert body["public_key"] == exchange.signer_public_text(agency_key)

    def test_malformed_key_names_the_field(self, client, headers, world):
        agreement = client.post(f"{API}/agreements", headers=headers("dpo"), json={
            "organisation_id": str(world.partner_org.id), "title": "M", "purpose": "P", "fields": ["sex"],
            "valid_from": str(date.today()), "expires_on": str(date.today())}).json()
        response = client.post(f"{API}/agreements/{agreement['id']}/keys", headers=headers("dpo"),
                               json={"label": "x", "public_key": "x25519:AAAA"})
        assert response.status_code == 422
        assert "public_key" in response.text

    def test_agreement_expiring_before_it_starts_is_refused(self, client, headers, world):
        response = client.post(f"{API}/agreements", headers=headers("dpo"), json={
            "organisation_id": str(world.partner_org.id), "title": "M", "purpose": "P", "fields": ["sex"],
            "valid_from": str(date.today()), "expires_on": str(date.today() - timedelta(days=1))})
        assert response.status_code == 422
        assert "expires_on" in response.text


class TestDatasetSummary:
    def test_small_cells_are_withheld_for_staff_who_see_no_cases(self, client, headers, db, world, dataset):
        df.registry(db, world.principal(db, "caseworker_a"), n=24)
        db.commit()
        body = client.get(f"{API}/datasets/{dataset.id}/summary?by=nationality&by=sex",
                          headers=headers("data_officer")).json()
        assert body["method"] == "suppress" and body["threshold"] == 10
        shown = [r["count"] for r in body["rows"] if r["count"] is not None]
        assert all(c >= 10 for c in shown)
        assert body["primary_suppressed"] >= 1

    def test_round_rounds_every_count_to_the_base(self, client, headers, db, world, dataset):
        df.registry(db, world.principal(db, "caseworker_a"), n=24)
        db.commit()
        body = client.get(f"{API}/datasets/{dataset.id}/summary?by=sex&method=round",
                          headers=headers("dpo")).json()
        assert body["rows"] and all(r["count"] % 10 == 0 for r in body["rows"])

    def test_identifiers_cannot_be_counted_by(self, client, headers, dataset):
        response = client.get(f"{API}/datasets/{dataset.id}/summary?by=person_id", headers=headers("dpo"))
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "by"

    def test_caseworkers_have_no_summary(self, client, headers, dataset):
        assert client.get(f"{API}/datasets/{dataset.id}/summary?by=sex",
                          headers=headers("caseworker_a")).status_code == 403


# Labels of a custom hierarchy and a title that begin like formulas; sex is generalised to one of them.
HOSTILE_SPEC = {"k": 20, "max_suppression": 0.0, "columns": {
    "person_id": {"role": "identifier", "action": "pseudonym"},
    "sex": {"role": "quasi", "hierarchy": {"type": "mapping", "levels": [
        {HOSTILE[3]: ["female"], HOSTILE[4]: ["male", "other", "unknown"]}, {HOSTILE[0]: [HOSTILE[3], HOSTILE[4]]}]}},
    "age": {"role": "insensitive"},
}}


class TestFormulaLikeTextInReleaseFiles:
    def test_downloaded_csv_and_workbook_carry_no_live_formula(self, client, headers, db, world, dataset):
        df.registry(db, world.principal(db, "caseworker_a"))
        db.commit()
        officer, dpo = headers("data_officer"), headers("dpo")
        prepared = client.post(f"{API}/releases/microdata", headers=officer, json={
            "dataset_id": str(dataset.id), "title": HOSTILE[1], "spec": HOSTILE_SPEC})
        assert prepared.status_code == 201, prepared.text
        url = f"{API}/releases/{prepared.json()['id']}"
        client.post(f"{url}/submit", headers=officer)
        assert client.post(f"{url}/approve", headers=dpo, json={"comment": "ok"}).status_code == 200
        content = client.get(f"{url}/files/release.csv", headers=officer).content
        assert live_csv_cells(content) == []
        header, *rows = csv_cells(content)
        assert {r[header.index("sex")] for r in rows} == {"'" + HOSTILE[0]}
        assert all(int(r[header.index("age")]) >= 0 for r in rows)
        workbook = client.get(f"{url}/files/release.xlsx", headers=officer).content
        assert live_xlsx_cells(workbook) == []
        sheet = load_workbook(io.BytesIO(workbook))
        data = list(sheet["data"].iter_rows(values_only=True))
        assert {r[data[0].index("sex")] for r in data[1:]} == {"'" + HOSTILE[0]}
        assert all(str(r[data[0].index("age")]).isdigit() for r in data[1:])
        assert sheet["method"]["B1"].value == "'" + HOSTILE[1]
