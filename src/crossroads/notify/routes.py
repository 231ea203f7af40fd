"""JSON API: webhook subscriptions and the notification outbox, for administrators."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from crossroads.auth.deps import ApiUser
from crossroads.kit.inputs import RowId
from crossroads.notify import secretbox, service
from crossroads.notify.models import OutboxMessage, OutboxState, WebhookSubscription
from crossroads.notify.schemas import OutboxMessageOut, WebhookCreate, WebhookOut, WebhookSecretOut, WebhookUpdate
from crossroads.web.deps import AppSettings, DbSession

router = APIRouter(tags=["notifications"])


def _with_secret(sub: WebhookSubscription, secret: str) -> WebhookSecretOut:
    return WebhookSecretOut(**WebhookOut.model_validate(sub).model_dump(), secret=secret)


@router.get("/webhooks", response_model=list[WebhookOut])
def list_webhooks(session: DbSession, principal: ApiUser) -> list[WebhookSubscription]:
    return service.list_webhooks(session, principal=principal)


@router.post("/webhooks", response_model=WebhookSecretOut, status_code=201)
def create_webhook(body: WebhookCreate, session: DbSession, principal: ApiUser,
                   settings: AppSettings) -> WebhookSecretOut:
    sub, secret = service.create_webhook(session, principal=principal, data=body,
                                         key=secretbox.box_key(settings.secret_key),
                                         allow_http=settings.webhook_http_allowed())
    return _with_secret(sub, secret)


@router.patch("/webhooks/{subscription_id}", response_model=WebhookOut)
def update_webhook(subscription_id: uuid.UUID, body: WebhookUpdate, session: DbSession, principal: ApiUser,
                   settings: AppSettings) -> WebhookSubscription:
    return service.update_webhook(session, principal=principal, subscription_id=subscription_id, data=body,
                                  allow_http=settings.webhook_http_allowed())


@router.post("/webhooks/{subscription_id}/rotate-secret", response_model=WebhookSecretOut)
def rotate_webhook_secret(subscription_id: uuid.UUID, session: DbSession, principal: ApiUser,
                          settings: AppSettings) -> WebhookSecretOut:
    sub, secret = service.rotate_webhook_secret(session, principal=principal, subscription_id=subscription_id,
                                                key=secretbox.box_key(settings.secret_key))
    return _with_secret(sub, secret)


@router.get("/outbox", response_model=list[OutboxMessageOut])
def list_outbox(session: DbSession, principal: ApiUser, state: OutboxState | None = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 100,
                before: Annotated[RowId | None, Query()] = None) -> list[OutboxMessage]:
    return service.list_outbox(session, principal=principal, state=state, limit=limit, before=before)


@router.post("/outbox/{outbox_id}/retry", response_model=OutboxMessageOut)
def retry_message(outbox_id: RowId, session: DbSession, principal: ApiUser) -> OutboxMessage:
    return service.retry_message(session, principal=principal, outbox_id=outbox_id)
