"""Work on cases for tests — tasks, services, attachments, links — created through the services.

Each helper commits, as the request doing the same would: in tests that commit is a savepoint, and a
later request that fails rolls back only its own work, not the setup.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from crossroads.audit.models import AuditEvent
from crossroads.auth.policy import Principal
from crossroads.cases.models import Case
from crossroads.cases.work import assistance, attachments, links, tasks
from crossroads.cases.work.models import CaseAssistance, CaseAttachment, CaseTask
from crossroads.cases.work.schemas import AssistanceCreate, LinkKind, TaskCreate
from crossroads.db.base import utcnow
from tests.factories import people as pf

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20 + b"\xff\xd9"


def docx_bytes(*, macros: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        if macros:
            archive.writestr("word/vbaProject.bin", b"\x00macro")
    return buffer.getvalue()


def days_from_today(n: int) -> date:
    return utcnow().date() + timedelta(days=n)


def case(db: Session, principal: Principal, programme: str = "avrr", **person) -> Case:
    c = pf.case(db, principal, pf.person(db, principal, **person), programme)
    db.commit()
    return c


def task(db: Session, principal: Principal, c: Case, *, title: str = "Call the embassy",
         due_date: date | None = None, **overrides) -> CaseTask:
    data = TaskCreate(title=title, due_date=due_date, **overrides)
    t = tasks.add_task(db, principal=principal, case_id=c.id, data=data)
    db.commit()
    return t


def service(db: Session, principal: Principal, c: Case, code: str = "return_counselling",
            **overrides) -> CaseAssistance:
    s = assistance.record_assistance(db, principal=principal, case_id=c.id,
                                    data=AssistanceCreate(service_code=code, **overrides))
    db.commit()
    return s


def attachment(db: Session, principal: Principal, c: Case, *, filename: str = "letter.pdf",
               content: bytes = PDF_BYTES) -> CaseAttachment:
    a = attachments.add_attachment(db, principal=principal, case_id=c.id,
                                   upload=attachments.Upload(filename=filename, content=content))
    db.commit()
    return a


def link(db: Session, principal: Principal, a: Case, b: Case, kind: LinkKind = LinkKind.FAMILY) -> None:
    links.link_cases(db, principal=principal, case_id=a.id, linked_case_id=b.id, kind=kind)
    db.commit()


def count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def events(db: Session, action: str, case_id: uuid.UUID | str) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action,
                                                    AuditEvent.entity_id == str(case_id))
                           .order_by(AuditEvent.id)))


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """Collect every SQL statement the engine runs inside the block, to show a list costs no more per row."""
    seen: list[str] = []

    def _count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", _count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", _count)


def measured_get(client, engine: Engine, db: Session, url: str, headers: dict[str, str], **params):
    """GET url and count its statements, starting from a committed setup and an empty identity map.

    Both matter for comparing two runs: the setup's pending audit rows are written at commit, and objects already
    in the session would otherwise spare some lookups in one run and not in the other.
    """
    db.commit()
    db.expunge_all()
    with statements(engine) as seen:
        response = client.get(url, headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response, len(seen)
