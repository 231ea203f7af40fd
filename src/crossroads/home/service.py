"""What waits for whom: the counts behind each role's home page, each scoped by the access policy.

Every figure comes from the domain that owns it (cases, workflow, dedup, disclosure), counted by the database
inside the user's scope; a figure the user's role has no part in is None, not zero, so that a page never
offers work the policy would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from crossroads.auth.policy import Principal
from crossroads.auth.roles import Action
from crossroads.cases.work import dashboard
from crossroads.cases.workflow import transfers, transitions
from crossroads.dedup import review
from crossroads.disclosure import service as releases
from crossroads.eligibility import decisions as eligibility

# The approvals a supervisor's home page lists, to decide there; the inbox has them all.
APPROVALS_SHOWN = 10


@dataclass(frozen=True)
class Waiting:
    my_open_cases: int | None = None
    my_overdue_tasks: dashboard.OverdueTasks | None = None
    incoming_transfers: int | None = None
    approvals_waiting: int | None = None
    approvals: list[transitions.ApprovalItem] | None = None
    duplicates_to_review: int | None = None
    overrides_waiting: int | None = None
    office_overdue_tasks: int | None = None
    releases_to_decide: int | None = None
    release_drafts: int | None = None

    @property
    def nothing(self) -> bool:
        """The user's role has no work here at all (a partner today)."""
        return all(v is None for v in (self.my_open_cases, self.releases_to_decide, self.release_drafts))


def what_waits(session: Session, *, principal: Principal, with_approvals: bool = True) -> Waiting:
    """The counts (and, `with_approvals`, a supervisor's first approvals) for the user's home page."""
    found: dict = {}
    if principal.may(Action.CASE_READ):
        mine = dashboard.my_dashboard(session, principal=principal)
        found.update(my_open_cases=mine.open_cases, my_overdue_tasks=mine.overdue_tasks,
                     incoming_transfers=transfers.count_incoming(session, principal=principal))
    if principal.may(Action.CASE_APPROVE):
        found["approvals_waiting"] = transitions.count_approvals_waiting(session, principal=principal)
        found["approvals"] = transitions.list_approvals(session, principal=principal, limit=APPROVALS_SHOWN) \
            if with_approvals and found["approvals_waiting"] else []
    if principal.may(Action.DEDUP_REVIEW):
        found["duplicates_to_review"] = review.count_open(session, principal=principal)
    if principal.may(Action.OVERRIDE_DECIDE):
        found["overrides_waiting"] = eligibility.count_pending_overrides(session, principal)
    if principal.may(Action.OFFICE_DASHBOARD):
        found["office_overdue_tasks"] = dashboard.overdue_in_offices(session, principal=principal)
    if principal.may(Action.RELEASE_READ):
        to_decide, drafts = releases.count_waiting(session, principal=principal)
        if principal.may(Action.RELEASE_APPROVE):
            found["releases_to_decide"] = to_decide
        if principal.may(Action.RELEASE_PREPARE):
            found["release_drafts"] = drafts
    return Waiting(**found)
