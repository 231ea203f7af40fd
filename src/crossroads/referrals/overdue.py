"""Telling the referring side, once, that a referral was not acknowledged within its service's time limit, and
the receiving partner's system too (the `referral.overdue` webhook, to each active subscription of the partner).

The overdue flag itself is computed at every read (`Referral.overdue`); what is stored is only that the notice
went out (`overdue_notified_at`). The sweep claims each referral with a conditional UPDATE (`... WHERE
overdue_notified_at IS NULL`) and queues the notice in the same transaction, so two workers sweeping at once
cannot both announce it: on PostgreSQL the second UPDATE waits for the first transaction and then matches no
row, and SQLite lets one writer in at a time. A referral accepted or declined meanwhile is no longer matched.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from crossroads.audit.service import record_event
from crossroads.auth.models import User, user_offices
from crossroads.auth.policy import case_holder_roles
from crossroads.db.base import utcnow
from crossroads.db.session import unit_of_work
from crossroads.notify import service as notify
from crossroads.referrals.lifecycle import ReferralState
from crossroads.referrals.models import Referral, ReferralKind

MESSAGE = "referral.overdue"
# Referrals claimed per statement: their ids stay far below the bound-parameter limits of both databases.
BATCH = 500


def _recipients(session: Session, referred_by: uuid.UUID | None, office_id: uuid.UUID) -> list[uuid.UUID]:
    if referred_by is not None and session.scalar(select(User.active).where(User.id == referred_by)):
        return [referred_by]
    # The caseworker who referred has left: the referring office's caseworkers take the case's referrals over.
    return list(session.scalars(
        select(User.id).join(user_offices, user_offices.c.user_id == User.id)
        .where(user_offices.c.office_id == office_id, User.active, User.role.in_(sorted(case_holder_roles())))
        .order_by(User.id)))


def sweep_overdue(session: Session, *, now: datetime | None = None) -> int:
    """Queue the overdue notice of every referral that came due unacknowledged and was not announced yet;
    how many were announced (the caller commits)."""
    now = now or utcnow()
    announced = 0
    while True:
        due = list(session.scalars(
            select(Referral.id).where(Referral.state == ReferralState.SENT, Referral.due_at < now,
                                      Referral.overdue_notified_at.is_(None))
            .order_by(Referral.due_at, Referral.id).limit(BATCH)))
        if not due:
            return announced
        claimed = session.execute(
            update(Referral)
            .where(Referral.id.in_(due), Referral.state == ReferralState.SENT,
                   Referral.overdue_notified_at.is_(None))
            .values(overdue_notified_at=now)
            .returning(Referral.id, Referral.reference, Referral.case_id, Referral.office_id, Referral.referred_by,
                       Referral.kind, Referral.to_organisation_id)
            .execution_options(synchronize_session=False)).all()
        for row in sorted(claimed, key=lambda r: r.reference):
            recipients = _recipients(session, row.referred_by, row.office_id)
            for user_id in recipients:
                notify.enqueue_email(session, message_code=MESSAGE, recipient_user_id=user_id,
                                     params={"reference": row.reference, "path": f"/cases/{row.case_id}"})
            webhooks = []
            if row.kind is ReferralKind.EXTERNAL and row.to_organisation_id is not None:
                # The partner's own system hears it as well, as it heard of the referral: its reference and page.
                webhooks = notify.enqueue_webhook(session, organisation_id=row.to_organisation_id, event=MESSAGE,
                                                  reference=row.reference, path=f"/referrals/{row.id}")
            record_event(session, actor=None, action="referral.overdue_notified", entity_type="referral",
                         entity_id=row.id, office_id=row.office_id, system_actor="worker",
                         details={"recipients": len(recipients), "webhooks": len(webhooks)})
        announced += len(claimed)
        if len(due) < BATCH:
            return announced


# Time limits are counted in hours: a minute late is soon enough, and spares the query on every delivery round.
SWEEP_SECONDS = 60.0


def sweep(engine: Engine) -> int:
    """One sweep in a transaction of its own, as the worker and `crossroads referrals sweep-overdue` run it."""
    with unit_of_work(engine) as session:
        return sweep_overdue(session)
