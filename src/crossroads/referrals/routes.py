"""JSON API for referrals: the referring office's, the receiver's inbox and answers, and the analytics."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from crossroads.auth.deps import ApiUser
from crossroads.referrals import analytics, service
from crossroads.referrals.lifecycle import Side
from crossroads.referrals.models import ReferralState
from crossroads.referrals.schemas import (
    AnalyticsOut,
    ReferralComplete,
    ReferralCreate,
    ReferralDecline,
    ReferralOut,
    ReferralPage,
    SharedOut,
)
from crossroads.web.deps import DbSession

router = APIRouter(prefix="/referrals", tags=["referrals"])


def referral_out(shown: service.Shown) -> ReferralOut:
    r = shown.referral
    referrer = shown.side is Side.REFERRER
    return ReferralOut(
        id=r.id, reference=r.reference, kind=r.kind, state=r.state, purpose=r.purpose, categories=r.categories,
        service_id=r.service_id, service_name=shown.service_name, to_organisation_id=r.to_organisation_id,
        to_organisation_name=shown.organisation_name, to_office_id=r.to_office_id, to_programme=r.to_programme,
        case_id=r.case_id if referrer else None, person_id=r.person_id if referrer else None,
        created_at=r.created_at, sent_at=r.sent_at, due_at=r.due_at, accepted_at=r.accepted_at,
        declined_at=r.declined_at, started_at=r.started_at, completed_at=r.completed_at, closed_at=r.closed_at,
        no_show_at=r.no_show_at, decline_reason=r.decline_reason, outcome=r.outcome, outcome_note=r.outcome_note,
        overdue=shown.overdue, consent_in_force=shown.consent_in_force,
    )


def _one(session: DbSession, principal: ApiUser, referral_id: uuid.UUID) -> ReferralOut:
    return referral_out(service.shown_of(session, principal, [service.load_referral(session, principal,
                                                                                    referral_id)])[0])


@router.post("", response_model=ReferralOut, status_code=201)
def create_referral(body: ReferralCreate, session: DbSession, principal: ApiUser):
    referral = service.create_referral(session, principal=principal, data=body)
    return _one(session, principal, referral.id)


@router.get("", response_model=list[ReferralOut])
def list_referrals(session: DbSession, principal: ApiUser, overdue: bool = False,
                   case_id: uuid.UUID | None = None):
    return [referral_out(s) for s in service.list_referrals(session, principal=principal, overdue=overdue,
                                                              case_id=case_id)]


@router.get("/inbox", response_model=ReferralPage)
def inbox(session: DbSession, principal: ApiUser, state: ReferralState | None = None,
          cursor: Annotated[str | None, Query(max_length=100)] = None,
          limit: Annotated[int, Query(ge=1, le=200)] = service.INBOX_PAGE):
    items, next_cursor = service.inbox(session, principal=principal, state=state, cursor=cursor, limit=limit)
    return ReferralPage(items=[referral_out(s) for s in items], next_cursor=next_cursor)


@router.get("/analytics", response_model=AnalyticsOut)
def referral_analytics(session: DbSession, principal: ApiUser):
    return analytics.referral_analytics(session, principal=principal)


@router.get("/{referral_id}", response_model=ReferralOut)
def get_referral(referral_id: uuid.UUID, session: DbSession, principal: ApiUser):
    return referral_out(service.get_referral(session, principal=principal, referral_id=referral_id))


@router.get("/{referral_id}/shared", response_model=SharedOut)
def shared(referral_id: uuid.UUID, session: DbSession, principal: ApiUser):
    referral, fields = service.shared_data(session, principal=principal, referral_id=referral_id)
    return SharedOut(reference=referral.reference, categories=referral.categories, fields=fields)


@router.post("/{referral_id}/send", response_model=ReferralOut)
def send(referral_id: uuid.UUID, session: DbSession, principal: ApiUser):
    service.send_referral(session, principal=principal, referral_id=referral_id)
    return _one(session, principal, referral_id)


def _answer(step: str):
    def answer(referral_id: uuid.UUID, session: DbSession, principal: ApiUser):
        service.respond(session, principal=principal, referral_id=referral_id, step=step)
        return _one(session, principal, referral_id)
    return answer


for _step, _path in (("accept", "accept"), ("start", "start"), ("no_show", "no-show"), ("close", "close")):
    router.add_api_route(f"/{{referral_id}}/{_path}", _answer(_step), methods=["POST"], response_model=ReferralOut,
                         name=f"referral_{_step}")


@router.post("/{referral_id}/decline", response_model=ReferralOut)
def decline(referral_id: uuid.UUID, body: ReferralDecline, session: DbSession, principal: ApiUser):
    service.respond(session, principal=principal, referral_id=referral_id, step="decline", decline=body)
    return _one(session, principal, referral_id)


@router.post("/{referral_id}/complete", response_model=ReferralOut)
def complete(referral_id: uuid.UUID, body: ReferralComplete, session: DbSession, principal: ApiUser):
    service.respond(session, principal=principal, referral_id=referral_id, step="complete", complete=body)
    return _one(session, principal, referral_id)
