"""Request dependencies for the current user: a bearer token for the API, a session cookie for the pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from crossroads.auth.policy import Allowed, Principal
from crossroads.auth.service import resolve_token
from crossroads.kit.errors import Unauthenticated
from crossroads.web.csrf import SESSION_COOKIE
from crossroads.web.deps import DbSession, LoginRequired

# Declares the scheme in the OpenAPI document; a missing or malformed header is refused below, with our 401.
_bearer = HTTPBearer(auto_error=False, description="A token from POST /api/v1/auth/token.")
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def api_principal(request: Request, session: DbSession, credentials: Bearer) -> Principal:
    token = credentials.credentials if credentials is not None else None
    principal = resolve_token(session, token=token, kind="api") if token else None
    if principal is None:
        raise Unauthenticated("a valid bearer token is required")
    request.state.principal = principal
    return principal


def ui_principal(request: Request, session: DbSession) -> Principal:
    token = request.cookies.get(SESSION_COOKIE)
    principal = resolve_token(session, token=token, kind="session") if token else None
    if principal is None:
        raise LoginRequired()
    request.state.principal = principal
    # Pages ask the policy's answers (`allowed.case_approve`), never the policy with strings.
    request.state.allowed = Allowed(principal)
    return principal


ApiUser = Annotated[Principal, Depends(api_principal)]
UiUser = Annotated[Principal, Depends(ui_principal)]
