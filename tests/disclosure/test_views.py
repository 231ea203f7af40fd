"""The data officer's and DPO's pages: list, prepare, report, decide, download."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from crossroads.disclosure import service
from crossroads.disclosure.schemas import MicrodataPrepare
from tests.factories import auth as af
from tests.factories import releases as df
from tests.helpers import BREAKING, HOSTILE, csrf, csv_cells, live_csv_cells, live_xlsx_cells, login


class TestReleasesPage:
    def test_data_officer_finds_releases_from_home_and_sees_datasets(self, client, world, draft, dataset):
        page = client.get("/login")
        response = client.post("/login", data={"email": world.users["data_officer"].email, "password": af.PASSWORD,
                                               "csrf_token": csrf(page.text)}, follow_redirects=False)
        assert response.headers["location"] == "/"
        home = client.get("/").text
        assert 'href="/disclosure?status=draft"' in home and "Prepare a microdata release" in home
        body = client.get("/disclosure").text
        assert draft.title in body and dataset.name in body
        assert "Prepare a microdata release" in body

    def test_caseworker_is_refused(self, client, world):
        login(client, world.users["caseworker_a"].email)
        assert client.get("/disclosure").status_code == 403

    def test_filters_by_status(self, client, world, draft):
        login(client, world.users["dpo"].email)
        assert draft.title not in client.get("/disclosure?status=approved").text
        assert draft.title in client.get("/disclosure?status=draft").text


class TestReleasePage:
    def test_submit_then_dpo_approves_then_download(self, client, world, draft):
        login(client, world.users["data_officer"].email)
        page = client.get(f"/disclosure/releases/{draft.id}")
        assert "Submit for approval" in page.text and "/files/release.csv" not in page.text
        client.post(f"/disclosure/releases/{draft.id}/submit", data={"csrf_token": csrf(page.text)})
        client.cookies.clear()
        login(client, world.users["dpo"].email)
        page = client.get(f"/disclosure/releases/{draft.id}")
        assert "Approve" in page.text
        done = client.post(f"/disclosure/releases/{draft.id}/decide",
                           data={"csrf_token": csrf(page.text), "decision": "approve", "comment": "Fine"})
        assert "Approved" in done.text and f"/disclosure/releases/{draft.id}/files/release.csv" in done.text
        download = client.get(f"/disclosure/releases/{draft.id}/files/release.csv")
        assert download.status_code == 200 and download.text.startswith("person_id,")

    def test_reject_without_comment_shows_the_error(self, client, world, db, officer, draft):
        service.submit_release(db, principal=officer, release_id=draft.id)
        db.commit()
        login(client, world.users["dpo"].email)
        page = client.get(f"/disclosure/releases/{draft.id}")
        response = client.post(f"/disclosure/releases/{draft.id}/decide",
                               data={"csrf_token": csrf(page.text), "decision": "reject"})
        assert response.status_code == 422
        assert "say why the release is rejected" in response.text

    def test_microdata_report_shows_the_key_figures(self, client, world, db, officer, dataset):
        df.registry(db, world.principal(db, "caseworker_a"))
        release = service.prepare_microdata(db, principal=officer, data=MicrodataPrepare(
            dataset_id=dataset.id, title="Profiles", spec=df.SPEC))
        db.commit()
        login(client, world.users["dpo"].email)
        figures = client.get(f"/disclosure/releases/{release.id}").text.split('id="key-figures"')[1].split("</dl>")[0]
        assert f"<dd>3 / {release.report['k_achieved']}</dd>" in figures
        assert f"{release.report['rows_out']} / {release.report['suppressed_rows']}" in figures

    def test_download_before_approval_is_refused(self, client, world, draft):
        login(client, world.users["data_officer"].email)
        assert client.get(f"/disclosure/releases/{draft.id}/files/release.csv").status_code == 409


class TestPreparePage:
    def test_shows_the_example_spec_and_the_dataset_columns(self, client, world, dataset):
        login(client, world.users["data_officer"].email)
        body = client.get("/disclosure/releases/new").text
        assert "&#34;quasi&#34;" in body and "m49" in body and "nationality" in body

    def test_invalid_json_spec_is_shown_with_the_form_kept(self, client, world, dataset):
        login(client, world.users["data_officer"].email)
        page = client.get("/disclosure/releases/new")
        response = client.post("/disclosure/releases/new", data={
            "csrf_token": csrf(page.text), "kind": "microdata", "dataset_id": str(dataset.id),
            "title": "Returns", "spec": "{not json"})
        assert response.status_code == 422
        assert "the spec is not valid JSON" in response.text and "{not json" in response.text

    def test_dp_table_over_budget_is_shown(self, client, world, dataset):
        login(client, world.users["data_officer"].email)
        page = client.get("/disclosure/releases/new?kind=dp_table")
        response = client.post("/disclosure/releases/new", data={
            "csrf_token": csrf(page.text), "kind": "dp_table", "dataset_id": str(dataset.id),
            "title": "Counts", "dimensions": ["sex"], "epsilon": "3"})
        assert response.status_code == 409
        assert "remains" in response.text

    def test_dpo_cannot_prepare(self, client, world, dataset):
        login(client, world.users["dpo"].email)
        assert client.get("/disclosure/releases/new").status_code == 403


class TestLedgerPage:
    def test_dpo_sees_the_budget(self, client, world, dataset):
        login(client, world.users["dpo"].email)
        body = client.get(f"/disclosure/datasets/{dataset.id}/ledger").text
        assert "Nothing spent yet." in body

    def test_data_officer_is_refused(self, client, world, dataset):
        login(client, world.users["data_officer"].email)
        assert client.get(f"/disclosure/datasets/{dataset.id}/ledger").status_code == 403


class TestFormulaLikeTextInDownloads:
    def test_downloaded_files_carry_no_live_formula_and_numbers_stay_numbers(self, client, world, db, officer, dpo,
                                                                            dataset):
        rows = [{"person_id": HOSTILE[i % len(HOSTILE)], "sex": HOSTILE[(i + 1) % len(HOSTILE)],
                 "age": -3 if i % 2 else 40, "change": -0.5, HOSTILE[0]: BREAKING[i % len(BREAKING)]}
                for i in range(12)]
        release = df.approved(db, officer, dpo, dataset, rows=rows, title=HOSTILE[0])
        db.commit()
        login(client, world.users["data_officer"].email)
        url = f"/disclosure/releases/{release.id}/files"
        content = client.get(f"{url}/release.csv").content
        assert live_csv_cells(content) == []
        header, *written = csv_cells(content)
        assert header == ["person_id", "sex", "age", "change", "'" + HOSTILE[0]]
        assert [r[0] for r in written] == ["'" + r["person_id"] for r in rows]
        assert [r[2:4] for r in written] == [[str(r["age"]), "-0.5"] for r in rows]
        workbook = client.get(f"{url}/release.xlsx").content
        assert live_xlsx_cells(workbook) == []
        sheets = load_workbook(io.BytesIO(workbook))
        ages = [(c.value, c.data_type) for c in sheets["data"]["C"][1:]]
        assert ages == [(r["age"], "n") for r in rows]
        assert sheets["method"]["B1"].value == "'" + HOSTILE[0]
