"""The `crossroads` command: demo, serve, worker, database, users, offices, audit and notifications."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select

from crossroads import schema  # noqa: F401  (every table, for the foreign keys between domains)
from crossroads.audit.cli import app as audit_app
from crossroads.config import DEMO_SECRET_PREFIX, InsecureSettingsError, Settings
from crossroads.db.session import get_engine, make_engine, refresh_planner_statistics, unit_of_work
from crossroads.dedup import (
    learning_cli,  # noqa: F401  (adds `dedup learn`, `models` and `rollback`)
    registry_cli,  # noqa: F401  (adds `dedup run`, `activate` and `reindex`)
)
from crossroads.dedup.cli import app as dedup_app
from crossroads.directory.cli import app as directory_app
from crossroads.disclosure.cli import app as disclosure_app
from crossroads.disclosure.exchange_cli import app as exchange_app
from crossroads.eligibility import admin_cli  # noqa: F401  (adds `rules diff` and `activate`)
from crossroads.eligibility.cli import app as rules_app
from crossroads.kit.errors import DomainError
from crossroads.kit.inputs import CONTROL_MESSAGE, has_control
from crossroads.notify.cli import outbox_app, webhooks_app
from crossroads.referrals.cli import app as referrals_app

# Tracebacks never show local variables: they may hold a person's data.
app = typer.Typer(
    help="Crossroads: case management and safe data for migration services.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
offices_app = typer.Typer(help="Offices and organisations.", no_args_is_help=True)
people_app = typer.Typer(help="The registry's people.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(offices_app, name="offices")
app.add_typer(people_app, name="people")
app.add_typer(audit_app, name="audit")
app.add_typer(dedup_app, name="dedup")
app.add_typer(disclosure_app, name="disclosure")
app.add_typer(directory_app, name="directory")
app.add_typer(exchange_app, name="exchange")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(outbox_app, name="outbox")
app.add_typer(rules_app, name="rules")
app.add_typer(referrals_app, name="referrals")

console = Console()
err = Console(stderr=True)
log = logging.getLogger("crossroads")


@app.callback()
def _main(ctx: typer.Context) -> None:
    # However the command ends, events it committed are sealed before the process exits.
    ctx.call_on_close(_seal_written)


def _seal_written() -> None:
    """Seal the events this command wrote to CROSSROADS_DATABASE_URL, so none waits for the next sealer run."""
    from crossroads.audit import keys
    from crossroads.audit.seal import SealRefused, seal_pending
    from crossroads.audit.service import events_written
    from crossroads.kit.keytext import KeyFormatError

    settings = _settings()
    if not events_written(settings.database_url):
        return
    try:
        key, trusted = keys.signing_key(settings), keys.trusted_keys(settings)
    except (KeyFormatError, OSError, UnicodeDecodeError) as exc:
        err.print(f"[yellow]warning:[/] audit events not sealed: {exc}", soft_wrap=True)
        return
    if key is None:
        err.print("[yellow]warning:[/] audit events not sealed: CROSSROADS_AUDIT_SIGNING_KEY is not set; "
                  "`crossroads audit seal` seals them", soft_wrap=True)
        return
    engine = make_engine(settings.database_url)
    try:
        seal_pending(engine, key=key, trusted=trusted)
    except SealRefused as exc:
        err.print(f"[yellow]warning:[/] audit events not sealed: {exc}", soft_wrap=True)
    finally:
        engine.dispose()


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


@contextmanager
def _input_errors() -> Iterator[None]:
    """Bad input exits with status 2 and names the option at fault; the transaction is rolled back."""
    try:
        yield
    except ValidationError as exc:
        first = exc.errors()[0]
        option = "-".join(str(p) for p in first["loc"]).replace("_", "-")
        raise _fail(f"--{option}: {first['msg']}", 2) from None
    except DomainError as exc:
        raise _fail(f"--{(exc.field or 'input').replace('_', '-')}: {exc.message}", 2) from None


def _plain_options(**options: str | list[str] | None) -> None:
    """Refuse control characters in options that name records, before they reach a query: exit 2 naming
    the option (PostgreSQL would fail on a NUL, and the schemas check only what they are given)."""
    for name, value in options.items():
        for item in value if isinstance(value, list) else [value]:
            if item is not None and has_control(item, multiline=False):
                raise _fail(f"--{name.replace('_', '-')}: {CONTROL_MESSAGE}", 2)


def _settings() -> Settings:
    return Settings()


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _periodic():
    from crossroads.notify.worker import Periodic
    from crossroads.referrals import overdue

    return [Periodic(overdue.sweep, every=overdue.SWEEP_SECONDS)]


def _serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from crossroads.app import create_app
    from crossroads.audit import keys
    from crossroads.audit.seal import BackgroundSealer
    from crossroads.notify.worker import BackgroundWorker, DeliveryConfig

    _configure_logging()
    engine = get_engine(settings.database_url)
    refresh_planner_statistics(engine)
    key = keys.signing_key(settings)
    sealer = None
    if key is not None and settings.audit_seal_seconds > 0:
        sealer = BackgroundSealer(engine, key=key, trusted=keys.trusted_keys(settings),
                                  every=settings.audit_seal_seconds)
        sealer.start()
    elif key is None:
        log.warning("no audit signing key: events are recorded but not sealed until `crossroads audit seal` runs")
    worker = None
    if settings.notify_worker_seconds > 0:
        worker = BackgroundWorker(engine, DeliveryConfig.from_settings(settings), every=settings.notify_worker_seconds,
                                  periodic=_periodic())
        worker.start()
    if not settings.email_enabled():
        log.warning("no SMTP server (CROSSROADS_SMTP_HOST): e-mail notifications wait in the outbox")
    try:
        # uvicorn's own access log prints query strings, which carry searched names; ours prints paths only.
        uvicorn.run(create_app(settings, engine), host=host, port=port, access_log=False, log_level="info")
    finally:
        if worker is not None:
            worker.stop()
        if sealer is not None:
            sealer.stop()


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    data_dir: Annotated[Path, typer.Option("--data-dir", help="Where the demo database is created.")] = Path("data"),
    households: Annotated[int, typer.Option(help="Synthetic households to seed.")] = 240,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Seed only; do not start the server.")] = False,
) -> None:
    """Create a fresh SQLite demo database with synthetic data and serve the web UI."""
    import secrets

    from crossroads.audit import keys
    from crossroads.audit.seal import seal_pending
    from crossroads.demo import demo_password, seed_demo
    from crossroads.disclosure.engine.exchange import generate_signing_key, signing_key_text
    from crossroads.schema import upgrade_database

    data_dir.mkdir(parents=True, exist_ok=True)
    db_path = data_dir / "crossroads.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    # A fresh audit key per demo, in the data directory where `crossroads audit ...` finds it by default
    # (CROSSROADS_DATA_DIR); the last verified head of an earlier demo's trail means nothing to this one.
    audit_key = data_dir / "audit-signing.key"
    audit_key.unlink(missing_ok=True)
    (data_dir / "audit-verified-head.json").unlink(missing_ok=True)
    fd = os.open(audit_key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(keys.private_key_text(generate_signing_key()) + "\n")
    settings = Settings(
        database_url=f"sqlite:///{db_path.resolve()}",
        secret_key=DEMO_SECRET_PREFIX + secrets.token_urlsafe(32),
        mode="demo",
        cookie_secure=False,
        data_dir=data_dir,
        # A fresh signing key per demo: packages it issues verify only against this run's public key.
        exchange_signing_key=signing_key_text(generate_signing_key()),
        audit_signing_key_file=audit_key,
        # Links in notifications lead back to this demo server; the outbox is delivered in-process.
        base_url=f"http://{host}:{port}",
    )
    engine = make_engine(settings.database_url)
    with console.status("Creating the database"):
        upgrade_database(engine)
    password, generated = demo_password(os.environ.get("CROSSROADS_DEMO_PASSWORD"))
    with Progress(TextColumn("Seeding synthetic households"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task("seed", total=households)
        with unit_of_work(engine) as session:
            logins = seed_demo(session, password=password, households=households,
                               progress=lambda n: bar.advance(task, n))
    with console.status("Sealing the audit trail"):
        signer = keys.signing_key(settings)
        assert signer is not None
        sealed = seal_pending(engine, key=signer, trusted=keys.trusted_keys(settings))
    engine.dispose()
    table = Table(title="Demo logins")
    table.add_column("e-mail")
    table.add_column("role")
    table.add_column("offices")
    for login in logins:
        table.add_row(login.email, login.role.value, ", ".join(login.offices) or "—")
    console.print(table)
    console.print(f"Password for every demo login: [bold]{password}[/]"
                  + (" (generated; set CROSSROADS_DEMO_PASSWORD to choose it)" if generated else ""))
    console.print(f"Audit trail: {sealed.tree_size} events sealed, signed with {audit_key}")
    console.print(f"Open [bold]http://{host}:{port}/[/] in a browser.")
    if not no_serve:
        _serve(settings, host, port)


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
) -> None:
    """Serve Crossroads in production mode (CROSSROADS_DATABASE_URL, CROSSROADS_SECRET_KEY)."""
    settings = _settings()
    try:
        settings.check_production()
    except InsecureSettingsError as exc:
        raise _fail(f"refusing to start: {exc}") from None
    _serve(settings, host, port)


@app.command()
def worker(
    once: Annotated[bool, typer.Option("--once", help="Deliver every message due now, then exit.")] = False,
    every: Annotated[float, typer.Option(help="Seconds between rounds when running on.", min=0.1)] = 5.0,
) -> None:
    """Deliver queued notifications (e-mail and webhooks), retrying failures with backoff."""
    import time

    from crossroads.notify.worker import DeliveryConfig, drain

    settings = _settings()
    _configure_logging()
    if settings.mode == "production":
        try:
            settings.check_email()
        except InsecureSettingsError as exc:
            raise _fail(f"refusing to start: {exc}") from None
    if not settings.secret_key:
        # Webhook secrets are stored encrypted under it: without it every webhook would be given up on.
        raise _fail("refusing to start: CROSSROADS_SECRET_KEY is not set; webhook secrets are encrypted with it")
    engine = make_engine(settings.database_url)
    config = DeliveryConfig.from_settings(settings)
    if config.smtp is None:
        log.warning("no SMTP server (CROSSROADS_SMTP_HOST): e-mail notifications wait in the outbox")
    periodic = _periodic()
    try:
        while True:
            for job in periodic:
                job.run_if_due(engine)
            done = drain(engine, config)
            if once:
                console.print(f"{done.sent} sent, {done.retried} to retry, {done.dead} dead")
                return
            time.sleep(every)
    except KeyboardInterrupt:
        return
    finally:
        engine.dispose()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database at CROSSROADS_DATABASE_URL to the latest schema."""
    from crossroads.schema import upgrade_database

    settings = _settings()
    if settings.database_url.startswith("sqlite:///"):
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    upgrade_database(engine)
    console.print("database is at the latest schema")


def _engine():
    return make_engine(_settings().database_url)


def _office_ids(session, codes: list[str]) -> list:
    from crossroads.auth.models import Office

    found = {o.code: o.id for o in session.scalars(select(Office).where(Office.code.in_([c.upper() for c in codes])))}
    missing = [c for c in codes if c.upper() not in found]
    if missing:
        raise _fail(f"--office: no office with code {', '.join(missing)}", 2)
    return [found[c.upper()] for c in codes]


def _read_password(password_env: str | None) -> str:
    if password_env:
        value = os.environ.get(password_env)
        if not value:
            raise _fail(f"--password-env: environment variable {password_env} is empty or not set", 2)
        return value
    if not sys.stdin.isatty():
        value = sys.stdin.readline().rstrip("\n")
        if not value:
            raise _fail("no password given on standard input", 2)
        return value
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="Login e-mail.")],
    name: Annotated[str, typer.Option(help="Full name.")],
    role: Annotated[str, typer.Option(help="caseworker, supervisor, partner, data_officer, dpo or admin.")],
    organisation: Annotated[str, typer.Option(help="Organisation name.")],
    office: Annotated[list[str] | None, typer.Option(help="Office code; repeat for several.")] = None,
    password_env: Annotated[str | None, typer.Option(help="Read the password from this environment variable "
                                                      "(otherwise from standard input or a prompt).")] = None,
) -> None:
    """Create a staff account."""
    from crossroads.auth.models import Organisation
    from crossroads.auth.schemas import UserCreate
    from crossroads.auth.service import create_user

    _plain_options(email=email, name=name, role=role, organisation=organisation, office=office)
    password = _read_password(password_env)
    with unit_of_work(_engine()) as session:
        org_id = session.scalar(select(Organisation.id).where(Organisation.name == organisation))
        if org_id is None:
            raise _fail(f"--organisation: no organisation named {organisation!r}", 2)
        with _input_errors():
            data = UserCreate(email=email, full_name=name, role=role, organisation_id=org_id,
                              office_ids=_office_ids(session, office or []), password=password)
            user = create_user(session, actor=None, data=data)
    console.print(f"created {user.email} ({user.role.value})")


@users_app.command("update")
def users_update(
    email: Annotated[str, typer.Option(help="Login e-mail of the account to change.")],
    role: Annotated[str | None, typer.Option()] = None,
    office: Annotated[list[str] | None, typer.Option(help="Replace the offices; repeat for several.")] = None,
    deactivate: Annotated[bool, typer.Option("--deactivate", help="Block the account and end its sessions.")] = False,
    activate: Annotated[bool, typer.Option("--activate")] = False,
) -> None:
    """Change a staff account's role, offices or status."""
    from crossroads.auth.models import User
    from crossroads.auth.schemas import UserUpdate
    from crossroads.auth.service import update_user

    _plain_options(email=email, role=role, office=office)
    with unit_of_work(_engine()) as session:
        user_id = session.scalar(select(User.id).where(User.email == email.strip().lower()))
        if user_id is None:
            raise _fail(f"--email: no user {email}", 2)
        values: dict = {}
        if role:
            values["role"] = role
        if office is not None:
            values["office_ids"] = _office_ids(session, office)
        if deactivate or activate:
            values["active"] = activate
        with _input_errors():
            update_user(session, actor=None, user_id=user_id, data=UserUpdate(**values))
    console.print(f"updated {email}")


@users_app.command("list")
def users_list() -> None:
    """List staff accounts with their roles and offices."""
    from sqlalchemy.orm import selectinload

    from crossroads.auth.models import User

    table = Table("e-mail", "name", "role", "offices", "active")
    with unit_of_work(_engine(), read_only=True) as session:
        for u in session.scalars(select(User).options(selectinload(User.offices)).order_by(User.email)):
            table.add_row(u.email, u.full_name, u.role.value, ", ".join(o.code for o in u.offices),
                          "yes" if u.active else "no")
    console.print(table)


@offices_app.command("create-organisation")
def organisations_create(
    name: Annotated[str, typer.Option()],
    kind: Annotated[str, typer.Option(help="agency, government or partner.")],
) -> None:
    """Create an organisation (the agency, a city government, a partner)."""
    from crossroads.auth.schemas import OrganisationCreate
    from crossroads.auth.service import create_organisation

    _plain_options(name=name, kind=kind)
    with unit_of_work(_engine()) as session, _input_errors():
        create_organisation(session, actor=None, data=OrganisationCreate(name=name, kind=kind))
    console.print(f"created organisation {name}")


@offices_app.command("create")
def offices_create(
    organisation: Annotated[str, typer.Option(help="Organisation name.")],
    code: Annotated[str, typer.Option(help="Short unique code, e.g. TUN.")],
    name: Annotated[str, typer.Option()],
    city: Annotated[str | None, typer.Option()] = None,
    country: Annotated[str | None, typer.Option(help="ISO 3166 alpha-3.")] = None,
) -> None:
    """Create an office."""
    from crossroads.auth.models import Organisation
    from crossroads.auth.schemas import OfficeCreate
    from crossroads.auth.service import create_office

    _plain_options(organisation=organisation, code=code, name=name, city=city, country=country)
    with unit_of_work(_engine()) as session:
        org_id = session.scalar(select(Organisation.id).where(Organisation.name == organisation))
        if org_id is None:
            raise _fail(f"--organisation: no organisation named {organisation!r}", 2)
        with _input_errors():
            create_office(session, actor=None, data=OfficeCreate(organisation_id=org_id, code=code, name=name,
                                                                 city=city, country=country))
    console.print(f"created office {code.upper()}")


@offices_app.command("list")
def offices_list() -> None:
    """List offices."""
    from crossroads.auth.service import list_offices

    table = Table("code", "name", "city", "country", "active")
    with unit_of_work(_engine(), read_only=True) as session:
        for o in list_offices(session):
            table.add_row(o.code, o.name, o.city or "", o.country or "", "yes" if o.active else "no")
    console.print(table)


@people_app.command("reindex")
def people_reindex(
    chunk: Annotated[int, typer.Option("--chunk", min=10, max=50_000, help="People per step.")] = 2_000,
) -> None:
    """Recompute everyone's search keys (after the upgrade that added them, or one that changed them)."""
    from crossroads.people.service import reindex_search_keys

    engine = _engine()
    with unit_of_work(engine) as session:
        people, changed = reindex_search_keys(session, chunk=chunk)
    err.print(f"{people} people, {changed} with new search keys")


if __name__ == "__main__":  # pragma: no cover
    app()
