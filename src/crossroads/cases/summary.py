"""A case's summary for a paper file or a handover: what the user may read of it, on one printable page.

A printed page leaves the system's access control behind, so it holds only the values whose sensitivity class
the policy lets this user read (`auth/policy.py: readable_sensitivities`), and says how many it left out.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from crossroads.audit.service import record_event
from crossroads.auth.models import Office, User
from crossroads.auth.policy import (
    PERSONAL,
    SENSITIVE,
    Principal,
    holds_case,
    holds_person,
    readable_sensitivities,
    require,
)
from crossroads.auth.roles import Action
from crossroads.cases import service
from crossroads.cases.models import Case, CaseNote
from crossroads.cases.work import assistance, tasks
from crossroads.cases.work.models import CaseAssistance, CaseTask
from crossroads.people.models import PERSON_FIELD_SENSITIVITY, IdentityDocument, Person, PersonName
from crossroads.programmes.config import FieldDef, ProgrammeConfig

SUMMARY_READ = "case.summary_read"
# Free text can hold anything a caseworker heard, so notes and the notes of assistance are read as sensitive; task
# titles and the assistance planned are the case's work, personal data like the rest of the case's file.
NOTES = SENSITIVE
WORK = PERSONAL


@dataclass(frozen=True)
class Summary:
    case: Case
    config: ProgrammeConfig
    person: Person
    # The person's fields this user may read (the others are left out of the page).
    person_fields: frozenset[str]
    names: list[PersonName]
    documents: list[IdentityDocument]
    fields: list[tuple[FieldDef, Any]]
    tasks: list[CaseTask] | None
    services: list[CaseAssistance] | None
    totals: list[assistance.CurrencyTotal] | None
    notes: list[CaseNote] | None
    show_service_notes: bool
    # How many recorded values, of the case and of the person, the page leaves out.
    withheld: int
    office_name: str
    user_names: dict[uuid.UUID, str]
    printed_by: str
    printed_on: date


def case_summary(session: Session, *, principal: Principal, case_id: uuid.UUID, form: str = "html") -> Summary:
    """The summary of a case in the user's scope, with the values they may not read left out; audited."""
    require(principal, Action.CASE_READ)
    case = service.load_case(session, principal, case_id, with_notes=True)
    config = service.case_config(session, case)
    case_classes = readable_sensitivities(principal, holder=holds_case(principal, case.assigned_to))
    # The person's own office holds their identity, and so does the caseworker the case is assigned to.
    person_classes = readable_sensitivities(
        principal, holder=holds_person(principal, case.person.office_id) or holds_case(principal, case.assigned_to))
    person = session.scalar(select(Person).where(Person.id == case.person_id)
                            .options(selectinload(Person.names), selectinload(Person.documents)))
    assert person is not None  # the case's person, whom the case's scope lets the user see
    person_fields = frozenset(f for f, c in PERSON_FIELD_SENSITIVITY.items() if c in person_classes)
    withheld = sum(1 for f in ("given_name", "family_name", "phone", "date_of_birth", "nationality", "sex")
                   if f not in person_fields and getattr(person, f) is not None)
    withheld += len(person.names) * ("aliases" not in person_fields)
    withheld += len(person.documents) * ("documents" not in person_fields)

    fields: list[tuple[FieldDef, Any]] = []
    for f in config.fields:
        value = case.data.get(f.name)
        if value is None or value == "" or value == []:
            continue
        if f.sensitivity.value in case_classes:
            fields.append((f, value))
        else:
            withheld += 1

    task_list = tasks.list_case_tasks(session, principal=principal, case_id=case.id) \
        if WORK in case_classes and principal.may(Action.CASE_TASK) else None
    services, totals = assistance.list_assistance(session, principal=principal, case_id=case.id) \
        if WORK in case_classes else (None, None)
    notes = list(case.notes) if NOTES in case_classes else None
    if notes is None:
        withheld += len(case.notes)
    users = {principal.user_id, case.assigned_to, *(n.author_id for n in notes or ()),
             *(t.assigned_to for t in task_list or ())}
    users.discard(None)
    user_names = {uid: name for uid, name in session.execute(
        select(User.id, User.full_name).where(User.id.in_(users)))} if users else {}
    office_name = session.scalar(select(Office.name).where(Office.id == case.office_id)) or ""
    record_event(
        session, actor=principal, action=SUMMARY_READ, entity_type="case", entity_id=case.id,
        office_id=case.office_id,
        details={"format": form, "case_classes": sorted(case_classes), "person_classes": sorted(person_classes),
                 "withheld": withheld},
    )
    return Summary(case=case, config=config, person=person, person_fields=person_fields,
                   names=list(person.names) if "aliases" in person_fields else [],
                   documents=list(person.documents) if "documents" in person_fields else [],
                   fields=fields, tasks=task_list, services=services, totals=totals, notes=notes,
                   show_service_notes=NOTES in case_classes, withheld=withheld, office_name=office_name,
                   user_names=user_names, printed_by=user_names.get(principal.user_id, "") if principal.user_id else "",
                   printed_on=date.today())
