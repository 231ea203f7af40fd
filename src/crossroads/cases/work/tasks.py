"""Tasks on a case: what must be done, by whom, by when — and the task lists dashboards read."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from crossroads.audit.service import record_event
from crossroads.auth.models import User, user_offices
from crossroads.auth.policy import Principal, case_holder_roles, cases_scope, require, require_office
from crossroads.auth.roles import Action
from crossroads.cases.models import Case
from crossroads.cases.service import load_case, touch
from crossroads.cases.work.models import CaseTask
from crossroads.cases.work.schemas import TaskCreate, TaskStatus
from crossroads.db.base import utcnow
from crossroads.kit.errors import Conflict, Invalid, NotFound

LIST_MAX = 200


def today() -> date:
    """The day overdue is counted against: UTC, as offices carry no time zone yet."""
    return utcnow().date()


def overdue_condition(on: date) -> ColumnElement[bool]:
    return and_(CaseTask.completed_at.is_(None), CaseTask.due_date.is_not(None), CaseTask.due_date < on)


def task_order() -> tuple:
    # Dated tasks first, soonest first; the id keeps the order stable between pages and backends.
    return CaseTask.due_date.is_(None), CaseTask.due_date, CaseTask.id


def _check_assignee(session: Session, user_id: uuid.UUID, office_id: uuid.UUID) -> None:
    found = session.scalar(
        select(User.id).join(user_offices, user_offices.c.user_id == User.id)
        .where(User.id == user_id, User.active, User.role.in_(sorted(case_holder_roles())),
               user_offices.c.office_id == office_id)
    )
    if found is None:
        raise Invalid("choose an active caseworker or supervisor who works in the case's office", field="assigned_to")


def add_task(session: Session, *, principal: Principal, case_id: uuid.UUID, data: TaskCreate) -> CaseTask:
    """Add a task to a case, for the creator or a colleague of the case's office."""
    require(principal, Action.CASE_TASK)
    case = load_case(session, principal, case_id, lock=True)
    assignee = data.assigned_to if "assigned_to" in data.model_fields_set else principal.user_id
    if assignee is not None:
        _check_assignee(session, assignee, case.office_id)
    task = CaseTask(case_id=case.id, title=data.title, due_date=data.due_date, assigned_to=assignee,
                    created_by=principal.user_id)
    session.add(task)
    touch(case)
    session.flush()
    # The title may name people or circumstances: the trail keeps which fields were set, not their values.
    record_event(session, actor=principal, action="case.task_add", entity_type="case", entity_id=case.id,
                 office_id=case.office_id,
                 details={"task": task.id, "assigned_to": str(assignee) if assignee else None,
                          "fields": sorted(f for f in ("title", "due_date") if getattr(data, f) is not None),
                          "version": case.version})
    return task


def _locked_task(session: Session, principal: Principal, task_id: int) -> tuple[CaseTask, Case]:
    """The task and its case, the case locked first so that two edits of one task cannot interleave."""
    case_id = session.scalar(
        select(CaseTask.case_id).join(Case, Case.id == CaseTask.case_id)
        .where(CaseTask.id == task_id, cases_scope(principal))
    )
    if case_id is None:
        raise NotFound("no such task", field="task_id")
    case = load_case(session, principal, case_id, lock=True)
    task = session.scalar(select(CaseTask).where(CaseTask.id == task_id)
                          .execution_options(populate_existing=True))
    if task is None:
        raise NotFound("no such task", field="task_id")
    return task, case


def _record(session: Session, principal: Principal, case: Case, task: CaseTask, action: str) -> None:
    touch(case)
    session.flush()
    record_event(session, actor=principal, action=action, entity_type="case", entity_id=case.id,
                 office_id=case.office_id, details={"task": task.id, "version": case.version})


def complete_task(session: Session, *, principal: Principal, task_id: int) -> CaseTask:
    """Mark an open task done."""
    require(principal, Action.CASE_TASK)
    task, case = _locked_task(session, principal, task_id)
    if task.completed_at is not None:
        raise Conflict("the task is already completed", field="task_id")
    task.completed_at = utcnow()
    task.completed_by = principal.user_id
    _record(session, principal, case, task, "case.task_complete")
    return task


def reopen_task(session: Session, *, principal: Principal, task_id: int) -> CaseTask:
    """Open a completed task again."""
    require(principal, Action.CASE_TASK)
    task, case = _locked_task(session, principal, task_id)
    if task.completed_at is None:
        raise Conflict("the task is not completed", field="task_id")
    task.completed_at = None
    task.completed_by = None
    _record(session, principal, case, task, "case.task_reopen")
    return task


def list_case_tasks(session: Session, *, principal: Principal, case_id: uuid.UUID) -> list[CaseTask]:
    """A case's tasks: open ones first, by due date."""
    require(principal, Action.CASE_TASK)
    case = load_case(session, principal, case_id)
    return list(session.scalars(
        select(CaseTask).where(CaseTask.case_id == case.id)
        .order_by(CaseTask.completed_at.is_not(None), *task_order())
    ))


@dataclass(frozen=True)
class TaskRow:
    task: CaseTask
    case_number: str


@dataclass(frozen=True)
class TaskFilters:
    assigned_to: uuid.UUID | None = None
    overdue: bool | None = None
    status: TaskStatus | None = None
    office_id: uuid.UUID | None = None


def task_rows(session: Session, conditions: list, limit: int) -> list[TaskRow]:
    """Tasks with their case numbers in one query; the caller supplies the scope among the conditions."""
    rows = session.execute(
        select(CaseTask, Case.case_number).join(Case, Case.id == CaseTask.case_id)
        .where(*conditions).order_by(*task_order()).limit(limit)
    )
    return [TaskRow(task=t, case_number=n) for t, n in rows]


def find_tasks(session: Session, *, principal: Principal, filters: TaskFilters,
               limit: int = 50) -> tuple[list[TaskRow], bool]:
    """Tasks of cases in the user's offices matching the filters, soonest due first; and whether more exist."""
    require(principal, Action.CASE_TASK)
    limit = min(limit, LIST_MAX)
    conditions = [cases_scope(principal)]
    if filters.office_id is not None:
        require_office(principal, Action.CASE_TASK, filters.office_id)
        conditions.append(Case.office_id == filters.office_id)
    if filters.assigned_to is not None:
        conditions.append(CaseTask.assigned_to == filters.assigned_to)
    if filters.status == TaskStatus.OPEN:
        conditions.append(CaseTask.completed_at.is_(None))
    elif filters.status == TaskStatus.COMPLETED:
        conditions.append(CaseTask.completed_at.is_not(None))
    if filters.overdue is True:
        conditions.append(overdue_condition(today()))
    elif filters.overdue is False:
        on = today()
        conditions.append(or_(CaseTask.completed_at.is_not(None), CaseTask.due_date.is_(None),
                              CaseTask.due_date >= on))
    rows = task_rows(session, conditions, limit + 1)
    return rows[:limit], len(rows) > limit
