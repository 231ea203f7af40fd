"""Request dependencies shared by every router: the transaction and the settings (the user is auth.deps')."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from crossroads.config import Settings
from crossroads.db.session import transaction
from crossroads.kit.inputs import refuse_control_characters


def open_session(request: Request) -> Iterator[Session]:
    """The request's one transaction (db/session.py: transaction): committed when the endpoint returns,
    rolled back if it raises, keeping only the rows marked to survive a refusal."""
    with request.app.state.sessions() as session, transaction(session):
        yield session


def no_control_characters(request: Request) -> None:
    """Every route's first dependency: no control character in a query or path parameter, typed or not.

    The schemas check what they declare; this also covers the free-form parameters (`field.<name>` filters)
    and the plain strings that go straight into a query, where PostgreSQL would fail on a NUL.
    """
    refuse_control_characters(request.query_params.multi_items(), unnamed="query")
    refuse_control_characters(request.path_params.items(), unnamed="path")


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
