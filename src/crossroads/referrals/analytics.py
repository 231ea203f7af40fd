"""Referral analytics: acceptance time, completion rate and declines by reason, per partner and service.

`summarise` is pure (rows in, figures out); `referral_analytics` reads the rows of the supervisor's offices.
"""

from __future__ import annotations

import statistics
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crossroads.audit.service import record_event
from crossroads.auth.models import Organisation
from crossroads.auth.policy import Principal, referrals_made_scope, require
from crossroads.auth.roles import Action
from crossroads.directory.models import DirectoryService
from crossroads.referrals.lifecycle import OPEN
from crossroads.referrals.models import Referral, ReferralState


def _pairs(rows: Any) -> dict[Any, Any]:
    return {key: value for key, value in rows}


@dataclass(frozen=True)
class Row:
    organisation_id: uuid.UUID
    service_id: str | None
    state: ReferralState
    sent_at: datetime
    accepted_at: datetime | None
    decline_reason: str | None


@dataclass
class Figures:
    sent: int = 0
    accepted: int = 0
    declined: int = 0
    completed: int = 0
    open: int = 0
    hours_to_accept: list[float] = field(default_factory=list)
    declines: Counter[str] = field(default_factory=Counter)

    def add(self, row: Row) -> None:
        self.sent += 1
        if row.accepted_at is not None:
            self.accepted += 1
            self.hours_to_accept.append((row.accepted_at - row.sent_at).total_seconds() / 3600)
        if row.state is ReferralState.DECLINED:
            self.declined += 1
            self.declines[row.decline_reason or "other"] += 1
        if row.state is ReferralState.COMPLETED:
            self.completed += 1
        if row.state in OPEN:
            self.open += 1

    def out(self) -> dict[str, Any]:
        return {
            "sent": self.sent, "accepted": self.accepted, "declined": self.declined, "completed": self.completed,
            "open": self.open,
            "median_hours_to_accept": round(statistics.median(self.hours_to_accept), 2) if self.hours_to_accept
            else None,
            # Of the referrals a partner took on, the share it completed.
            "completion_rate": round(self.completed / self.accepted, 3) if self.accepted else None,
            "declines_by_reason": dict(sorted(self.declines.items())),
        }


def summarise(rows: Iterable[Row]) -> tuple[dict[tuple[uuid.UUID, str | None], dict[str, Any]], dict[str, Any]]:
    """Figures per (partner organisation, service), and over all rows."""
    groups: dict[tuple[uuid.UUID, str | None], Figures] = {}
    total = Figures()
    for row in rows:
        groups.setdefault((row.organisation_id, row.service_id), Figures()).add(row)
        total.add(row)
    return {key: figures.out() for key, figures in groups.items()}, total.out()


def referral_analytics(session: Session, *, principal: Principal) -> dict[str, Any]:
    """The figures over referrals sent from the supervisor's offices."""
    require(principal, Action.REFERRAL_ANALYTICS)
    rows = [Row(r.to_organisation_id, r.service_id, r.state, r.sent_at, r.accepted_at,
                r.decline_reason.value if r.decline_reason else None)
            for r in session.execute(
                select(Referral.to_organisation_id, Referral.service_id, Referral.state, Referral.sent_at,
                       Referral.accepted_at, Referral.decline_reason)
                .where(referrals_made_scope(principal), Referral.sent_at.is_not(None)))]
    groups, total = summarise(rows)
    orgs = _pairs(session.execute(select(Organisation.id, Organisation.name).where(
        Organisation.id.in_({k[0] for k in groups}))).all()) if groups else {}
    services = _pairs(session.execute(select(DirectoryService.id, DirectoryService.name).where(
        DirectoryService.id.in_({k[1] for k in groups if k[1]}))).all()) if groups else {}
    out_rows = [{"to_organisation_id": org, "to_organisation_name": orgs.get(org), "service_id": sid,
                 "service_name": services.get(sid or ""), **figures}
                for (org, sid), figures in sorted(groups.items(), key=lambda kv: (orgs.get(kv[0][0], ""),
                                                                                 kv[0][1] or ""))]
    record_event(session, actor=principal, action="referral.analytics", entity_type="referral",
                 details={"rows": len(out_rows)})
    return {"rows": out_rows, "total": {"to_organisation_id": uuid.UUID(int=0), "to_organisation_name": None,
                                        "service_id": None, "service_name": None, **total} if rows else None}
