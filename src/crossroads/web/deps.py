"""Request dependencies shared by every router: the transaction and the settings (the user is auth.deps')."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from crossroads.config import Settings
from crossroads.db.session import transaction


def open_session(request: Request) -> Iterator[Session]:
    """The request's one transaction (db/session.py: transaction): committed when the endpoint returns,
    rolled back if it raises, keeping only the rows marked to survive a refusal."""
    with request.app.state.sessions() as session, transaction(session):
        yield session


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


# scope="function" makes the commit happen before the response is sent, so a failed commit becomes
# an error answer instead of a success the database never saw.
DbSession = Annotated[Session, Depends(open_session, scope="function")]
AppSettings = Annotated[Settings, Depends(get_settings_dep)]


class LoginRequired(Exception):
    """Raised by UI dependencies; the app answers with a redirect to the login page."""


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"
