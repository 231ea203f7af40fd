"""Dashboards: a user's own caseload and tasks, and a supervisor's view of an office.

Every figure is counted by the database (GROUP BY), and each dashboard runs a fixed number of queries
whatever the size of the office.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, load_only

from crossroads.auth.models import User
from crossroads.auth.policy import Principal, cases_scope, require, require_office
from crossroads.auth.roles import Action
from crossroads.cases.models import Case
from crossroads.cases.work.models import CaseTask
from crossroads.cases.work.tasks import TaskRow, overdue_condition, task_rows, today
from crossroads.db.base import utcnow
from crossroads.programmes.service import configs_for

INACTIVE_DAYS = 30
OVERDUE_SHOWN = 20
INACTIVE_SHOWN = 50


@dataclass(frozen=True)
class CaseloadCell:
    programme: str
    state: str
    count: int
    # The state's label in the cases' own programme version (the newest, where they span several).
    label: str = ""


@dataclass(frozen=True)
class InactiveCases:
    days: int
    count: int
    items: list[Case]


@dataclass(frozen=True)
class OverdueTasks:
    count: int
    items: list[TaskRow]


@dataclass(frozen=True)
class MyDashboard:
    open_cases: int
    caseload: list[CaseloadCell]
    overdue_tasks: OverdueTasks
    inactive_cases: InactiveCases


@dataclass(frozen=True)
class AssigneeOverdue:
    assigned_to: uuid.UUID | None
    name: str | None
    count: int


@dataclass(frozen=True)
class OfficeDashboard:
    office_id: uuid.UUID
    open_cases: int
    caseload: list[CaseloadCell]
    overdue_tasks: int
    overdue_by_assignee: list[AssigneeOverdue]
    inactive_cases: InactiveCases


def _open() -> ColumnElement[bool]:
    # A case is closed when it enters a terminal state of its programme (cases/transitions.py sets closed_at).
    return Case.closed_at.is_(None)


def _caseload(session: Session, conditions: list) -> list[CaseloadCell]:
    rows = session.execute(
        select(Case.programme, Case.programme_version_id, Case.state, func.count()).where(*conditions, _open())
        .group_by(Case.programme, Case.programme_version_id, Case.state)
    ).all()
    # A state is named by the programme version its cases follow: two programmes may share a state's name
    # ("counselling") and call it differently.
    configs = configs_for(session, {v for _, v, _, _ in rows})
    cells: dict[tuple[str, str], tuple[int, int, str]] = {}
    for programme, version, state, n in rows:
        config = configs.get(version)
        found = config.state(state) if config else None
        label = found.label if found else state
        count, newest, kept = cells.get((programme, state), (0, -1, label))
        if (version or 0) > newest:
            newest, kept = version or 0, label
        cells[(programme, state)] = (count + n, newest, kept)
    return [CaseloadCell(programme=p, state=s, count=n, label=label)
            for (p, s), (n, _, label) in sorted(cells.items())]


def _inactive(session: Session, conditions: list, days: int) -> InactiveCases:
    where = [*conditions, _open(), Case.last_activity_at < utcnow() - timedelta(days=days)]
    count = session.scalar(select(func.count()).select_from(Case).where(*where)) or 0
    items = list(session.scalars(
        select(Case).where(*where)
        .options(load_only(Case.case_number, Case.programme, Case.state, Case.office_id, Case.assigned_to,
                           Case.last_activity_at))
        .order_by(Case.last_activity_at, Case.id).limit(INACTIVE_SHOWN)
    ))
    return InactiveCases(days=days, count=count, items=items)


def my_dashboard(session: Session, *, principal: Principal) -> MyDashboard:
    """The user's open cases by programme and state, overdue tasks, and cases gone quiet."""
    require(principal, Action.CASE_READ)
    mine = [cases_scope(principal), Case.assigned_to == principal.user_id]
    caseload = _caseload(session, mine)
    my_overdue = [cases_scope(principal), CaseTask.assigned_to == principal.user_id, overdue_condition(today())]
    overdue_count = session.scalar(
        select(func.count()).select_from(CaseTask).join(Case, Case.id == CaseTask.case_id).where(*my_overdue)
    ) or 0
    return MyDashboard(
        open_cases=sum(c.count for c in caseload),
        caseload=caseload,
        overdue_tasks=OverdueTasks(count=overdue_count, items=task_rows(session, my_overdue, OVERDUE_SHOWN)),
        inactive_cases=_inactive(session, mine, INACTIVE_DAYS),
    )


def office_dashboard(session: Session, *, principal: Principal, office_id: uuid.UUID,
                     inactive_days: int = INACTIVE_DAYS) -> OfficeDashboard:
    """An office's caseload by programme and state, overdue tasks per assignee, and cases gone quiet."""
    require_office(principal, Action.OFFICE_DASHBOARD, office_id)
    office = [cases_scope(principal), Case.office_id == office_id]
    caseload = _caseload(session, office)
    count = func.count().label("n")
    rows = session.execute(
        select(CaseTask.assigned_to, User.full_name, count)
        .join(Case, Case.id == CaseTask.case_id).outerjoin(User, User.id == CaseTask.assigned_to)
        .where(*office, overdue_condition(today()))
        .group_by(CaseTask.assigned_to, User.full_name).order_by(count.desc(), User.full_name)
    )
    by_assignee = [AssigneeOverdue(assigned_to=a, name=name, count=n) for a, name, n in rows]
    return OfficeDashboard(
        office_id=office_id,
        open_cases=sum(c.count for c in caseload),
        caseload=caseload,
        overdue_tasks=sum(a.count for a in by_assignee),
        overdue_by_assignee=by_assignee,
        inactive_cases=_inactive(session, office, inactive_days),
    )


def overdue_in_offices(session: Session, *, principal: Principal) -> int:
    """Overdue tasks on the cases of all the user's offices, for a supervisor's home page."""
    require(principal, Action.OFFICE_DASHBOARD)
    return session.scalar(
        select(func.count()).select_from(CaseTask).join(Case, Case.id == CaseTask.case_id)
        .where(cases_scope(principal), overdue_condition(today()))
    ) or 0
