"""`crossroads webhooks` (organisations' webhook subscriptions) and `crossroads outbox` (the notification outbox).

`crossroads worker` itself is in crossroads/cli.py, beside `serve`, which runs the same delivery in a thread.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from crossroads.auth.models import Organisation
from crossroads.config import Settings
from crossroads.db.base import utcnow
from crossroads.db.session import make_engine, unit_of_work
from crossroads.kit.errors import DomainError
from crossroads.kit.inputs import has_control
from crossroads.notify import secretbox, service
from crossroads.notify.models import OutboxState
from crossroads.notify.schemas import WebhookCreate, WebhookUpdate

webhooks_app = typer.Typer(help="Webhook subscriptions of partner organisations.", no_args_is_help=True)
outbox_app = typer.Typer(help="The notification outbox.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", soft_wrap=True, highlight=False)
    return typer.Exit(code)


def _settings() -> Settings:
    return Settings()


def _key(settings: Settings) -> bytes:
    try:
        return secretbox.box_key(settings.secret_key)
    except ValueError as exc:
        raise _fail(str(exc)) from None


def _refused(exc: ValidationError | DomainError) -> typer.Exit:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return _fail(f"--{'-'.join(str(p) for p in first['loc']).replace('_', '-')}: {first['msg']}")
    return _fail(f"--{(exc.field or 'input').replace('_', '-')}: {exc.message}")


def _plain(**options: str | None) -> None:
    for name, value in options.items():
        if value is not None and has_control(value, multiline=False):
            raise _fail(f"--{name}: must not contain control characters")


def _subscription_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise _fail("--id: not a webhook id (see `crossroads webhooks list`)") from None


@webhooks_app.command("create")
def create(
    organisation: Annotated[str, typer.Option(help="Organisation name.")],
    url: Annotated[str, typer.Option(help="Where its system receives events (https://…).")],
) -> None:
    """Subscribe an organisation; prints the signing secret, which is shown this once."""
    _plain(organisation=organisation, url=url)
    settings = _settings()
    key = _key(settings)
    with unit_of_work(make_engine(settings.database_url)) as session:
        org_id = session.scalar(select(Organisation.id).where(Organisation.name == organisation))
        if org_id is None:
            raise _fail(f"--organisation: no organisation named {organisation!r}")
        try:
            sub, secret = service.create_webhook(session, principal=None, key=key,
                                                 data=WebhookCreate(organisation_id=org_id, url=url),
                                                 allow_http=settings.webhook_http_allowed())
        except (ValidationError, DomainError) as exc:
            raise _refused(exc) from None
    console.print(f"created webhook {sub.id}")
    console.print(f"secret (shown once; the receiver verifies signatures with it): {secret}", soft_wrap=True,
                  highlight=False)


@webhooks_app.command("list")
def list_() -> None:
    """List webhook subscriptions."""
    table = Table("id", "organisation", "url", "active")
    with unit_of_work(make_engine(_settings().database_url), read_only=True) as session:
        names = {i: n for i, n in session.execute(select(Organisation.id, Organisation.name))}
        for sub in service.list_webhooks(session, principal=None):
            table.add_row(str(sub.id), names.get(sub.organisation_id, ""), sub.url, "yes" if sub.active else "no")
    console.print(table)


@webhooks_app.command("update")
def update(
    id_: Annotated[str, typer.Option("--id", help="The subscription's id.")],
    url: Annotated[str | None, typer.Option(help="A new address.")] = None,
    deactivate: Annotated[bool, typer.Option("--deactivate", help="Stop sending to it.")] = False,
    activate: Annotated[bool, typer.Option("--activate")] = False,
) -> None:
    """Change a subscription's address, or switch it off or on."""
    _plain(id=id_, url=url)
    settings = _settings()
    values: dict[str, object] = {}
    if url is not None:
        values["url"] = url
    if activate or deactivate:
        values["active"] = activate
    with unit_of_work(make_engine(settings.database_url)) as session:
        try:
            service.update_webhook(session, principal=None, subscription_id=_subscription_id(id_),
                                   data=WebhookUpdate.model_validate(values),
                                   allow_http=settings.webhook_http_allowed())
        except (ValidationError, DomainError) as exc:
            raise _refused(exc) from None
    console.print(f"updated webhook {id_}")


@webhooks_app.command("rotate-secret")
def rotate_secret(id_: Annotated[str, typer.Option("--id", help="The subscription's id.")]) -> None:
    """Give a subscription a new signing secret; prints it, this once."""
    _plain(id=id_)
    settings = _settings()
    key = _key(settings)
    with unit_of_work(make_engine(settings.database_url)) as session:
        try:
            _, secret = service.rotate_webhook_secret(session, principal=None,
                                                      subscription_id=_subscription_id(id_), key=key)
        except DomainError as exc:
            raise _refused(exc) from None
    console.print(f"new secret (shown once): {secret}", soft_wrap=True, highlight=False)


@outbox_app.command("list")
def outbox_list(
    state: Annotated[OutboxState | None, typer.Option(help="pending, sent or dead.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
) -> None:
    """List outbox messages, newest first."""
    table = Table("id", "state", "channel", "message", "to", "attempts", "last error")
    with unit_of_work(make_engine(_settings().database_url), read_only=True) as session:
        rows = service.list_outbox(session, principal=None, state=state, limit=limit)
        where = service.destinations(session, rows)
        for m in rows:
            table.add_row(str(m.id), m.state.value, m.channel.value, m.code, where[m.id], str(m.attempts),
                          m.last_error or "")
    console.print(table)


@outbox_app.command("purge")
def outbox_purge(
    days: Annotated[int, typer.Option("--older-than-days", min=1, max=36_500,
                                      help="Delete messages sent more than this many days ago.")],
) -> None:
    """Delete sent messages and their attempts after a while; pending and dead messages stay."""
    with unit_of_work(make_engine(_settings().database_url)) as session:
        purged = service.purge_sent(session, principal=None, before=utcnow() - timedelta(days=days))
    console.print(f"{purged} sent messages deleted")


@outbox_app.command("retry")
def outbox_retry(outbox_id: Annotated[int, typer.Argument(min=1, max=2**31 - 1)]) -> None:
    """Send a dead message again."""
    with unit_of_work(make_engine(_settings().database_url)) as session:
        try:
            service.retry_message(session, principal=None, outbox_id=outbox_id)
        except DomainError as exc:
            raise _refused(exc) from None
    console.print(f"message {outbox_id} is pending again")
