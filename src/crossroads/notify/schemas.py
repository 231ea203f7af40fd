"""What the notification API accepts and returns."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints
from pydantic_core import PydanticCustomError

from crossroads.kit.i18n import N_
from crossroads.kit.inputs import InputModel, SingleLine
from crossroads.notify.models import Channel, OutboxState

URL_MESSAGE = N_("must be an http:// or https:// address without a user name or password")


def _check_url(value: str) -> str:
    try:
        parts = urlsplit(value)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        raise PydanticCustomError("url", URL_MESSAGE) from None
    # Credentials in the address would be stored and shown in clear; the secret is what authenticates.
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password \
            or parts.fragment or not port_ok:
        raise PydanticCustomError("url", URL_MESSAGE)
    return value


WebhookUrl = Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=2000), SingleLine,
                       AfterValidator(_check_url)]


class WebhookCreate(InputModel):
    organisation_id: uuid.UUID
    url: WebhookUrl


class WebhookUpdate(InputModel):
    url: WebhookUrl | None = None
    active: bool | None = None


class WebhookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    organisation_id: uuid.UUID
    url: str
    active: bool
    created_at: datetime


class WebhookSecretOut(WebhookOut):
    # Shown once, when created or rotated; stored encrypted and never shown again.
    secret: str


class OutboxMessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    message_id: str
    channel: Channel
    state: OutboxState
    code: str
    recipient_user_id: uuid.UUID | None
    address: str | None
    subscription_id: uuid.UUID | None
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None
