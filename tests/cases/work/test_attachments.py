from __future__ import annotations

import hashlib
import re

import pytest

from crossroads.cases.models import Case
from crossroads.cases.work.attachments import DOCX, JPEG, MAX_BYTES, PDF, PNG, TEXT, detect_type, safe_filename
from crossroads.cases.work.models import CaseAttachment
from tests.factories import work
from tests.factories.work import JPEG_BYTES, PDF_BYTES, PNG_BYTES, docx_bytes
from tests.helpers import csrf, login, token_headers


def upload(client, headers, case_id, content, filename="letter.pdf", declared="application/pdf"):
    return client.post(f"/api/v1/cases/{case_id}/attachments", files={"file": (filename, content, declared)},
                       headers=headers)


class TestDetectType:
    @pytest.mark.parametrize(("content", "expected"), [
        (PDF_BYTES, PDF),
        (JPEG_BYTES, JPEG),
        (PNG_BYTES, PNG),
        (docx_bytes(), DOCX),
        ("Rendez-vous à 10 h, ثلاثاء\r\n\tfin".encode(), TEXT),
        (b"MZ\x90\x00\x03\x00\x00\x00", None),
        (b"\x7fELF\x02\x01\x01\x00", None),
        (b"GIF89a\x01\x00\x01\x00", None),
        (docx_bytes(macros=True), None),
        (b"PK\x03\x04 not really a zip", None),
        ("hello".encode("utf-16"), None),
        (b"text with a \x00 byte", None),
    ], ids=["pdf", "jpeg", "png", "docx", "utf8-text", "exe", "elf", "gif", "docm", "broken-zip", "utf16",
            "nul"])
    def test_accepts_only_known_content(self, content, expected):
        assert detect_type(content) == expected


class TestSafeFilename:
    @pytest.mark.parametrize(("name", "content_type", "expected"), [
        ("letter.pdf", PDF, "letter.pdf"),
        ("../../etc/passwd", TEXT, "passwd.txt"),
        ("C:\\Users\\amina\\scan.PNG", PNG, "scan.PNG"),
        ("invoice.exe", PDF, "invoice.exe.pdf"),
        ('a"b;c<d>.pdf', PDF, "a_b_c_d_.pdf"),
        ("line\r\nbreak.txt", TEXT, "line__break.txt"),
        ("", JPEG, "attachment.jpg"),
        ("...", PNG, "attachment.png"),
        ("Re\u0301sume\u0301.docx", DOCX, "Résumé.docx"),
    ])
    def test_keeps_a_safe_name_with_the_detected_extension(self, name, content_type, expected):
        assert safe_filename(name, content_type) == expected

    def test_long_names_are_shortened_keeping_the_extension(self):
        name = safe_filename("x" * 400 + ".pdf", PDF)
        assert len(name) <= 255 and name.endswith(".pdf")


class TestUploadAttachment:
    def test_stores_the_detected_type_size_hash_and_a_safe_name(self, client, cw, a_case):
        response = upload(client, cw, a_case.id, PDF_BYTES, filename="../Letter from court.pdf")
        assert response.status_code == 201
        body = response.json()
        assert body["content_type"] == PDF
        assert body["size"] == len(PDF_BYTES)
        assert body["sha256"] == hashlib.sha256(PDF_BYTES).hexdigest()
        assert body["filename"] == "Letter from court.pdf"

    def test_type_comes_from_the_content_not_the_client(self, client, cw, a_case):
        body = upload(client, cw, a_case.id, PNG_BYTES, filename="scan.pdf", declared="application/pdf").json()
        assert (body["content_type"], body["filename"]) == (PNG, "scan.pdf.png")

    def test_executable_is_refused_naming_file_and_nothing_is_written(self, client, cw, db, a_case):
        response = upload(client, cw, a_case.id, b"MZ\x90\x00" + b"\x00" * 100, filename="cv.pdf")
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "file"
        assert work.count(db, CaseAttachment) == 0
        assert work.events(db, "case.attachment_add", a_case.id) == []

    def test_file_over_10_mib_is_413_naming_file(self, client, cw, db, a_case):
        response = upload(client, cw, a_case.id, b"a" * (MAX_BYTES + 1), filename="big.txt", declared="text/plain")
        assert response.status_code == 413
        assert response.json()["detail"][0]["field"] == "file"
        assert work.count(db, CaseAttachment) == 0

    def test_file_of_exactly_10_mib_is_accepted(self, client, cw, a_case):
        response = upload(client, cw, a_case.id, b"a" * MAX_BYTES, filename="big.txt", declared="text/plain")
        assert response.status_code == 201
        assert response.json()["size"] == MAX_BYTES

    def test_body_declared_larger_than_the_cap_is_refused_before_reading(self, client, cw, a_case):
        headers = {**cw, "Content-Type": "multipart/form-data; boundary=x", "Content-Length": str(MAX_BYTES * 2)}
        response = client.post(f"/api/v1/cases/{a_case.id}/attachments", content=b"--x--\r\n", headers=headers)
        assert response.status_code == 413

    def test_streamed_body_without_a_length_is_cut_off_at_the_cap(self, client, cw, db, a_case):
        def body():
            yield b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n'
            for _ in range(12):
                yield b"a" * (1024 * 1024)

        headers = {**cw, "Content-Type": "multipart/form-data; boundary=x"}
        response = client.post(f"/api/v1/cases/{a_case.id}/attachments", content=body(), headers=headers)
        assert response.status_code == 413
        assert work.count(db, CaseAttachment) == 0

    def test_empty_file_is_422(self, client, cw, a_case):
        response = upload(client, cw, a_case.id, b"", filename="empty.txt")
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "file"

    def test_missing_file_field_is_422_naming_file(self, client, cw, a_case):
        response = client.post(f"/api/v1/cases/{a_case.id}/attachments", files={"document": ("a.pdf", PDF_BYTES)},
                               headers=cw)
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "file"

    def test_json_body_is_422_naming_file(self, client, cw, a_case):
        response = client.post(f"/api/v1/cases/{a_case.id}/attachments", json={"file": "JVBERi0="}, headers=cw)
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "file"

    def test_caseworker_of_another_office_gets_404(self, client, db, world, a_case):
        other = token_headers(client, world.users["caseworker_b"].email)
        assert upload(client, other, a_case.id, PDF_BYTES).status_code == 404
        assert work.count(db, CaseAttachment) == 0

    def test_unauthenticated_upload_is_401(self, client, a_case):
        assert upload(client, {}, a_case.id, PDF_BYTES).status_code == 401

    def test_audit_keeps_size_and_type_never_the_name(self, client, cw, db, a_case):
        attachment_id = upload(client, cw, a_case.id, PDF_BYTES, filename="Sentinel-name.pdf").json()["id"]
        [event] = work.events(db, "case.attachment_add", a_case.id)
        assert event.details == {"attachment": attachment_id, "size": len(PDF_BYTES), "type": PDF,
                                 "version": db.get(Case, a_case.id).version}


class TestUploadAttachmentPage:
    """The form on the case page: its body may be an upload's size, not only a form's."""

    def post(self, client, world, db, case, content):
        db.commit()
        login(client, world.users["caseworker_a"].email)
        token = csrf(client.get(f"/cases/{case.id}").text)
        return client.post(f"/cases/{case.id}/attachments", data={"csrf_token": token},
                           files={"file": ("notes.txt", content, "text/plain")}, follow_redirects=False)

    def test_file_larger_than_a_form_may_be_is_stored(self, client, world, db, a_case):
        response = self.post(client, world, db, a_case, b"a" * (2 * 1024 * 1024))
        assert response.status_code == 303
        assert work.count(db, CaseAttachment) == 1

    def test_file_over_10_mib_is_refused_beside_the_form(self, client, world, db, a_case):
        response = self.post(client, world, db, a_case, b"a" * (MAX_BYTES + 1))
        assert response.status_code == 413
        assert "the file is larger than 10 MiB" in response.text
        assert work.count(db, CaseAttachment) == 0

    def test_body_over_the_upload_limit_is_refused_before_it_is_read(self, client, world, db, a_case):
        response = self.post(client, world, db, a_case, b"a" * (11 * 1024 * 1024))
        assert response.status_code == 413
        assert "the request body is larger than 11 MiB" in response.text
        assert work.count(db, CaseAttachment) == 0


class TestDownloadAttachment:
    def test_sends_the_content_as_an_attachment_of_the_detected_type(self, client, cw, db, cw_a, a_case):
        attachment = work.attachment(db, cw_a, a_case, filename="letter.pdf")
        response = client.get(f"/api/v1/attachments/{attachment.id}", headers=cw)
        assert response.status_code == 200
        assert response.content == PDF_BYTES
        assert response.headers["content-type"] == PDF
        assert response.headers["content-disposition"].startswith('attachment; filename="letter.pdf"')
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-length"] == str(len(PDF_BYTES))

    def test_non_ascii_name_is_sent_in_its_utf8_form(self, client, cw, db, cw_a, a_case):
        attachment = work.attachment(db, cw_a, a_case, filename="رسالة.pdf")
        disposition = client.get(f"/api/v1/attachments/{attachment.id}", headers=cw).headers["content-disposition"]
        assert 'filename="_____.pdf"' in disposition
        assert "filename*=UTF-8''%D8%B1%D8%B3%D8%A7%D9%84%D8%A9.pdf" in disposition

    def test_each_download_is_audited(self, client, cw, db, cw_a, a_case):
        attachment = work.attachment(db, cw_a, a_case)
        client.get(f"/api/v1/attachments/{attachment.id}", headers=cw)
        client.get(f"/api/v1/attachments/{attachment.id}", headers=cw)
        reads = work.events(db, "case.attachment_read", a_case.id)
        assert [e.details["attachment"] for e in reads] == [str(attachment.id)] * 2
        assert all(e.office_id == a_case.office_id for e in reads)

    def test_caseworker_of_another_office_gets_404_and_nothing_is_recorded(self, client, db, world, cw_a, a_case):
        attachment = work.attachment(db, cw_a, a_case)
        other = token_headers(client, world.users["caseworker_b"].email)
        assert client.get(f"/api/v1/attachments/{attachment.id}", headers=other).status_code == 404
        assert work.events(db, "case.attachment_read", a_case.id) == []

    def test_partner_is_refused(self, client, db, world, cw_a, a_case):
        attachment = work.attachment(db, cw_a, a_case)
        partner = token_headers(client, world.users["partner"].email)
        assert client.get(f"/api/v1/attachments/{attachment.id}", headers=partner).status_code == 403


class TestListAttachments:
    def test_lists_metadata_never_content(self, client, cw, db, cw_a, a_case):
        work.attachment(db, cw_a, a_case, filename="a.pdf")
        work.attachment(db, cw_a, a_case, filename="b.png", content=PNG_BYTES)
        items = client.get(f"/api/v1/cases/{a_case.id}/attachments", headers=cw).json()
        assert sorted(i["filename"] for i in items) == ["a.pdf", "b.png"]
        assert all("content" not in i for i in items)

    def test_caseworker_of_another_office_gets_404(self, client, world, a_case):
        other = token_headers(client, world.users["caseworker_b"].email)
        assert client.get(f"/api/v1/cases/{a_case.id}/attachments", headers=other).status_code == 404

    def test_statements_do_not_grow_with_the_number_of_attachments(self, client, cw, db, engine, cw_a):
        one, twenty = work.case(db, cw_a), work.case(db, cw_a)
        work.attachment(db, cw_a, one)
        for _ in range(20):
            work.attachment(db, cw_a, twenty)
        small, few = work.measured_get(client, engine, db, f"/api/v1/cases/{one.id}/attachments", cw)
        large, many = work.measured_get(client, engine, db, f"/api/v1/cases/{twenty.id}/attachments", cw)
        assert (len(small.json()), len(large.json())) == (1, 20)
        assert few == many

    def test_the_list_query_does_not_load_content(self, client, cw, db, engine, cw_a, a_case):
        work.attachment(db, cw_a, a_case)
        db.expunge_all()
        with work.statements(engine) as seen:
            client.get(f"/api/v1/cases/{a_case.id}/attachments", headers=cw)
        listing = [s for s in seen if "FROM case_attachments" in s]
        assert listing and not any(re.search(r"case_attachments\.content\b", s) for s in listing)
