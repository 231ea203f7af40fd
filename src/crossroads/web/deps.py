"""Request dependencies shared by every router: the transaction and the current user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from crossroads.auth.policy import Principal
from crossroads.auth.service import resolve_token
from crossroads.config import Settings
from crossroads.db.session import session_factory
from crossroads.kit.errors import Unauthenticated

SESSION_COOKIE = "crossroads_session"
PRELOGIN_COOKIE = "crossroads_prelogin"


def open_session(request: Request) -> Iterator[Session]:
    """The request's one transaction: committed when the endpoint returns, rolled back if it raises."""
    session = session_factory(request.app.state.engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


# scope="function" makes the commit happen before the response is sent, so a failed commit becomes
# an error answer instead of a success the database never saw.
DbSession = Annotated[Session, Depends(open_session, scope="function")]
AppSettings = Annotated[Settings, Depends(get_settings_dep)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def api_principal(request: Request, session: DbSession) -> Principal:
    token = _bearer(request)
    principal = resolve_token(session, token=token, kind="api") if token else None
    if principal is None:
        raise Unauthenticated("a valid bearer token is required")
    request.state.principal = principal
    return principal


class LoginRequired(Exception):
    """Raised by UI dependencies; the app answers with a redirect to the login page."""


def ui_principal(request: Request, session: DbSession) -> Principal:
    token = request.cookies.get(SESSION_COOKIE)
    principal = resolve_token(session, token=token, kind="session") if token else None
    if principal is None:
        raise LoginRequired()
    request.state.principal = principal
    return principal


ApiUser = Annotated[Principal, Depends(api_principal)]
UiUser = Annotated[Principal, Depends(ui_principal)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"
