"""HTML pages: log in and out, and administration of offices and users."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from crossroads.auth import service
from crossroads.auth.deps import UiUser
from crossroads.auth.policy import Principal, require
from crossroads.auth.roles import Action, OrganisationKind, Role
from crossroads.auth.schemas import OfficeCreate, OrganisationCreate, UserCreate, UserUpdate
from crossroads.db.session import attempt
from crossroads.kit.errors import DomainError, TooManyAttempts
from crossroads.web.csrf import PRELOGIN_COOKIE, SESSION_COOKIE
from crossroads.web.deps import AppSettings, DbSession, client_ip
from crossroads.web.forms import Form, field_errors, text
from crossroads.web.templating import render

router = APIRouter(include_in_schema=False)

_Data = TypeVar("_Data", bound=BaseModel)


@router.get("/")
def home(request: Request) -> Response:
    return RedirectResponse("/cases" if request.cookies.get(SESSION_COOKIE) else "/login", status_code=303)


def _landing(principal: Principal) -> str:
    """The first page after login: where the user's own work is, by what the policy lets them do."""
    for action, path in ((Action.CASE_READ, "/cases"), (Action.RELEASE_READ, "/disclosure"),
                         (Action.ADMIN_MANAGE, "/admin"), (Action.REFERRAL_RESPOND, "/referrals/inbox")):
        if principal.may(action):
            return path
    return "/cases"


@router.get("/login")
def login_page(request: Request, settings: AppSettings) -> Response:
    anchor = request.cookies.get(PRELOGIN_COOKIE) or secrets.token_urlsafe(24)
    request.state.prelogin = anchor
    response = render(request, "login.html", {"email": ""})
    response.set_cookie(PRELOGIN_COOKIE, anchor, httponly=True, samesite="lax", secure=settings.cookie_secure)
    return response


@router.post("/login")
def login(request: Request, form: Form, session: DbSession, settings: AppSettings) -> Response:
    email = text(form, "email") or ""
    with attempt(session) as tried:
        user = service.authenticate(session, settings=settings, email=email, password=text(form, "password") or "",
                                    ip=client_ip(request))
    if (refusal := tried.refusal) is not None:
        assert isinstance(refusal, DomainError)  # authenticate parses nothing with pydantic
        # Wrong credentials (401) or too many attempts (429); the failed attempt survives the refusal.
        retry_after = refusal.retry_after if isinstance(refusal, TooManyAttempts) else None
        page = render(request, "login.html", {"email": email, "error": refusal.message, "retry_after": retry_after},
                      status_code=refusal.status_code)
        if retry_after:
            page.headers["Retry-After"] = str(retry_after)
        return page
    token = service.issue_token(session, user=user, kind="session", lifetime=timedelta(hours=settings.session_hours))
    response = RedirectResponse(_landing(service.principal_for(session, user)), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=settings.cookie_secure,
                        max_age=settings.session_hours * 3600)
    response.delete_cookie(PRELOGIN_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, form: Form, session: DbSession) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        service.revoke_token(session, token=token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _admin_page(request: Request, session: DbSession, principal: Principal, errors: dict[str, str] | None = None,
                values: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    return render(
        request,
        "admin.html",
        {
            "organisations": service.list_organisations(session),
            "offices": service.list_offices(session),
            "users": service.list_users(session, actor=principal),
            "roles": list(Role),
            "org_kinds": list(OrganisationKind),
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status_code,
    )


@router.get("/admin")
def admin(request: Request, session: DbSession, principal: UiUser) -> Response:
    require(principal, Action.ADMIN_MANAGE)
    return _admin_page(request, session, principal)


def _submit(request: Request, session: DbSession, principal: Principal, form: FormData, build: Callable[[], _Data],
            action: Callable[[_Data], object], prefix: str) -> Response:
    require(principal, Action.ADMIN_MANAGE)
    with attempt(session) as tried:
        action(build())
    refusal = tried.refusal
    if isinstance(refusal, ValidationError):
        errors = {f"{prefix}.{k}": v for k, v in field_errors(refusal).items()}
        return _admin_page(request, session, principal, errors, dict(form), status_code=422)
    if refusal is not None:
        errors = {f"{prefix}.{refusal.field or 'form'}": refusal.message}
        return _admin_page(request, session, principal, errors, dict(form), status_code=refusal.status_code)
    return RedirectResponse("/admin", status_code=303)


@router.post("/admin/organisations")
def admin_create_organisation(request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    return _submit(
        request, session, principal, form,
        lambda: OrganisationCreate(name=text(form, "name") or "", kind=text(form, "kind") or ""),
        lambda data: service.create_organisation(session, actor=principal, data=data), "org",
    )


@router.post("/admin/offices")
def admin_create_office(request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    return _submit(
        request, session, principal, form,
        lambda: OfficeCreate(organisation_id=text(form, "organisation_id") or "", code=text(form, "code") or "",
                             name=text(form, "name") or "", city=text(form, "city"), country=text(form, "country")),
        lambda data: service.create_office(session, actor=principal, data=data), "office",
    )


@router.post("/admin/users")
def admin_create_user(request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    return _submit(
        request, session, principal, form,
        lambda: UserCreate(email=text(form, "email") or "", full_name=text(form, "full_name") or "",
                           role=text(form, "role") or "", organisation_id=text(form, "organisation_id") or "",
                           office_ids=form.getlist("office_ids"), password=text(form, "password") or ""),
        lambda data: service.create_user(session, actor=principal, data=data), "user",
    )


@router.post("/admin/users/{user_id}")
def admin_update_user(user_id: uuid.UUID, request: Request, form: Form, session: DbSession,
                      principal: UiUser) -> Response:
    def build() -> UserUpdate:
        values: dict[str, Any] = {"role": text(form, "role"), "office_ids": form.getlist("office_ids"),
                        "active": form.get("active") == "on"}
        if text(form, "password"):
            values["password"] = text(form, "password")
        return UserUpdate(**values)

    return _submit(request, session, principal, form, build,
                   lambda data: service.update_user(session, actor=principal, user_id=user_id, data=data),
                   f"edit-{user_id}")
