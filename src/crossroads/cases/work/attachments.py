"""Files kept with a case: accepted by what their bytes are, never by what the client says they are."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from crossroads.audit.service import record_event
from crossroads.auth.policy import Principal, cases_scope, require
from crossroads.auth.roles import Action
from crossroads.cases.models import Case
from crossroads.cases.service import load_case, touch
from crossroads.cases.work.models import CaseAttachment
from crossroads.kit.errors import DomainError, Invalid, NotFound
from crossroads.kit.i18n import N_, Message

MAX_BYTES = 10 * 1024 * 1024

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
TEXT = "text/plain; charset=utf-8"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

EXTENSIONS = {PDF: (".pdf",), JPEG: (".jpg", ".jpeg"), PNG: (".png",), TEXT: (".txt",), DOCX: (".docx",)}
ACCEPTED = "PDF, JPEG, PNG, DOCX or plain UTF-8 text"

# Control characters other than tab, line feed, form feed and carriage return mark a binary file.
_BINARY_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# Path separators, characters Windows refuses in names, and quotes that would break a header.
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*;]')


class FileTooLarge(DomainError):
    status_code = 413
    code = "too_large"


@dataclass(frozen=True)
class Upload:
    """A file as received: the name the client gave and the bytes, already capped at MAX_BYTES."""

    filename: str
    content: bytes


def _is_docx(content: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return False
    # Only the central directory is read, never a member, so a zip bomb costs nothing here. A document
    # with macros (vbaProject.bin) is a .docm in disguise and is refused.
    return ("word/document.xml" in names and "[Content_Types].xml" in names
            and not any(n.lower().endswith("vbaproject.bin") for n in names))


def _is_text(content: bytes) -> bool:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not _BINARY_CONTROLS.search(text)


def detect_type(content: bytes) -> str | None:
    """The content type the bytes show, among those accepted, or None."""
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"PK\x03\x04"):
        return DOCX if _is_docx(content) else None
    if _is_text(content):
        return TEXT
    return None


def safe_filename(name: str, content_type: str) -> str:
    """A name safe to store and to send back in a header, ending with an extension of the detected type."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = _UNSAFE_NAME.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    extensions = EXTENSIONS[content_type]
    stem, dot, ext = name.rpartition(".")
    if not dot or f".{ext.lower()}" not in extensions:
        # A PDF called invoice.exe is kept as invoice.exe.pdf: the name never contradicts the type.
        stem, ext = name, extensions[0][1:]
    stem = stem[:200].rstrip(" .") or "attachment"
    return f"{stem}.{ext}"


def add_attachment(session: Session, *, principal: Principal, case_id: uuid.UUID, upload: Upload) -> CaseAttachment:
    """Keep a file with a case, if its content is of an accepted type."""
    require(principal, Action.CASE_ATTACHMENT)
    case = load_case(session, principal, case_id, lock=True)
    content = upload.content
    if len(content) > MAX_BYTES:
        size = f"{MAX_BYTES // (1024 * 1024)} MiB"
        raise FileTooLarge(Message(N_("the file is larger than %(size)s"), {"size": size}), field="file")
    if not content:
        raise Invalid("the file is empty", field="file")
    content_type = detect_type(content)
    if content_type is None:
        raise Invalid(Message(N_("the file is not a %(types)s file"), {"types": ACCEPTED}), field="file")
    attachment = CaseAttachment(
        id=uuid.uuid4(), case_id=case.id, filename=safe_filename(upload.filename, content_type),
        content_type=content_type, size=len(content), sha256=hashlib.sha256(content).hexdigest(), content=content,
        uploaded_by=principal.user_id,
    )
    session.add(attachment)
    touch(case)
    session.flush()
    # File names can name people: the trail keeps the id, size and type only.
    record_event(session, actor=principal, action="case.attachment_add", entity_type="case", entity_id=case.id,
                 office_id=case.office_id,
                 details={"attachment": str(attachment.id), "size": attachment.size, "type": content_type,
                          "version": case.version})
    return attachment


def list_attachments(session: Session, *, principal: Principal, case_id: uuid.UUID) -> list[CaseAttachment]:
    """A case's attachments, newest first, without their content."""
    require(principal, Action.CASE_READ)
    case = load_case(session, principal, case_id)
    return list(session.scalars(
        select(CaseAttachment).where(CaseAttachment.case_id == case.id)
        .order_by(CaseAttachment.uploaded_at.desc(), CaseAttachment.id)
    ))


def read_attachment(session: Session, *, principal: Principal, attachment_id: uuid.UUID) -> CaseAttachment:
    """An attachment with its content, for a user who may read its case; every download is audited."""
    require(principal, Action.CASE_READ)
    row = session.execute(
        select(CaseAttachment, Case).join(Case, Case.id == CaseAttachment.case_id)
        .where(CaseAttachment.id == attachment_id, cases_scope(principal))
        .options(undefer(CaseAttachment.content))
    ).first()
    if row is None:
        raise NotFound("no such attachment", field="attachment_id")
    attachment, case = row
    record_event(session, actor=principal, action="case.attachment_read", entity_type="case", entity_id=case.id,
                 office_id=case.office_id,
                 details={"attachment": str(attachment.id), "size": attachment.size, "version": case.version})
    return attachment
