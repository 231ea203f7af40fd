"""JSON API: tokens, and administration of organisations, offices and users."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi import APIRouter, Request

from crossroads.auth import service
from crossroads.auth.deps import ApiUser
from crossroads.auth.models import Office, Organisation, User
from crossroads.auth.policy import require
from crossroads.auth.roles import Action
from crossroads.auth.schemas import (
    OfficeCreate,
    OfficeOut,
    OrganisationCreate,
    OrganisationOut,
    TokenOut,
    TokenRequest,
    UserCreate,
    UserOut,
    UserUpdate,
)
from crossroads.web.deps import AppSettings, DbSession, client_ip

router = APIRouter(tags=["auth"])


@router.post("/auth/token", response_model=TokenOut, responses={401: {}, 429: {}})
def create_token(body: TokenRequest, request: Request, session: DbSession, settings: AppSettings) -> TokenOut:
    # Wrong credentials raise Unauthenticated (401, WWW-Authenticate: Bearer); the failed attempt survives the
    # rollback and counts toward the limit.
    user = service.authenticate(session, settings=settings, email=body.email, password=body.password,
                                ip=client_ip(request))
    lifetime = timedelta(hours=settings.token_hours)
    token = service.issue_token(session, user=user, kind="api", lifetime=lifetime)
    return TokenOut(access_token=token, expires_in=int(lifetime.total_seconds()))


def _user_out(user: User) -> UserOut:
    return UserOut(id=user.id, email=user.email, full_name=user.full_name, role=user.role,
                   organisation_id=user.organisation_id, active=user.active,
                   office_ids=[o.id for o in user.offices], locale=user.locale)


@router.get("/organisations", response_model=list[OrganisationOut])
def list_organisations(session: DbSession, principal: ApiUser) -> list[Organisation]:
    require(principal, Action.ADMIN_MANAGE)
    return service.list_organisations(session)


@router.post("/organisations", response_model=OrganisationOut, status_code=201, responses={409: {}})
def create_organisation(body: OrganisationCreate, session: DbSession, principal: ApiUser) -> Organisation:
    return service.create_organisation(session, actor=principal, data=body)


@router.get("/offices", response_model=list[OfficeOut])
def list_offices(session: DbSession, principal: ApiUser) -> list[Office]:
    require(principal, Action.ADMIN_MANAGE)
    return service.list_offices(session)


@router.post("/offices", response_model=OfficeOut, status_code=201, responses={409: {}})
def create_office(body: OfficeCreate, session: DbSession, principal: ApiUser) -> Office:
    return service.create_office(session, actor=principal, data=body)


@router.get("/users", response_model=list[UserOut])
def list_users(session: DbSession, principal: ApiUser) -> list[UserOut]:
    return [_user_out(u) for u in service.list_users(session, actor=principal)]


@router.post("/users", response_model=UserOut, status_code=201, responses={409: {}})
def create_user(body: UserCreate, session: DbSession, principal: ApiUser) -> UserOut:
    return _user_out(service.create_user(session, actor=principal, data=body))


@router.patch("/users/{user_id}", response_model=UserOut)
def update_user(user_id: uuid.UUID, body: UserUpdate, session: DbSession, principal: ApiUser) -> UserOut:
    return _user_out(service.update_user(session, actor=principal, user_id=user_id, data=body))
