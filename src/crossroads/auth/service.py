"""Logging in, tokens and sessions, and administering organisations, offices and users."""

from __future__ import annotations

import hashlib
import math
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from crossroads.audit.service import record_event
from crossroads.auth import throttle
from crossroads.auth.models import AuthToken, LoginAttempt, Office, Organisation, User, user_offices
from crossroads.auth.passwords import burn_time, hash_password, verify_password
from crossroads.auth.policy import Principal, require
from crossroads.auth.roles import Action
from crossroads.auth.schemas import OfficeCreate, OrganisationCreate, UserCreate, UserUpdate
from crossroads.config import Settings
from crossroads.db.base import utcnow
from crossroads.db.session import keep_on_rollback
from crossroads.kit.errors import Conflict, Invalid, NotFound, TooManyAttempts, Unauthenticated
from crossroads.kit.i18n import ngettext


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def principal_for(session: Session, user: User) -> Principal:
    office_ids = session.scalars(select(user_offices.c.office_id).where(user_offices.c.user_id == user.id)).all()
    return Principal(
        user_id=user.id, role=user.role, organisation_id=user.organisation_id, office_ids=frozenset(office_ids),
        locale=user.locale,
    )


def login_limits(settings: Settings) -> throttle.Limits:
    return throttle.Limits(window=timedelta(minutes=settings.login_window_minutes),
                           pair_failures=settings.login_max_failures,
                           source_failures=settings.login_source_max_failures,
                           account_free_failures=settings.login_account_free_failures,
                           account_max_delay=timedelta(seconds=settings.login_account_max_delay_seconds))


def _failures(session: Session, *, email: str, source: str, now: datetime,
              limits: throttle.Limits) -> throttle.Failures:
    # One statement over the two indexes (e-mail, time) and (source, time): what throttle.wait needs to know.
    at = LoginAttempt.attempted_at
    pair = and_(LoginAttempt.email == email, LoginAttempt.ip == source)
    from_source = LoginAttempt.ip == source
    in_window = at >= now - limits.window
    row = session.execute(
        select(func.count().filter(pair, in_window), func.min(at).filter(pair, in_window),
               func.count().filter(from_source, in_window), func.min(at).filter(from_source, in_window),
               func.count().filter(pair), func.count().filter(LoginAttempt.email == email),
               func.max(at).filter(LoginAttempt.email == email))
        .where(or_(LoginAttempt.email == email, from_source), at >= now - max(throttle.MEMORY, limits.window))
    ).one()
    return throttle.Failures(pair_in_window=row[0], pair_oldest_in_window=row[1], source_in_window=row[2],
                             source_oldest_in_window=row[3], pair_remembered=row[4], account_remembered=row[5],
                             account_latest=row[6])


def _too_many(seconds: int) -> TooManyAttempts:
    """The refusal of a throttled login, saying how long to wait in whole seconds or minutes."""
    if seconds < 60:
        message = ngettext("too many failed logins; try again in %(num)d second",
                           "too many failed logins; try again in %(num)d seconds", seconds)
    else:
        minutes = math.ceil(seconds / 60)
        message = ngettext("too many failed logins; try again in %(num)d minute",
                           "too many failed logins; try again in %(num)d minutes", minutes)
    return TooManyAttempts(message, retry_after=seconds)


def authenticate(session: Session, *, settings: Settings, email: str, password: str, ip: str) -> User:
    """The active user with these credentials; failures are recorded to throttle guessing, then refused.

    Throttling is by source and account, by source, and a capped growing delay per account that binds only
    sources that have failed against it (auth/throttle.py), so nobody can lock an account's owner out.
    """
    email = email.strip().lower()
    source = throttle.source_of(ip)
    now = utcnow()
    limits = login_limits(settings)
    waiting = throttle.wait(_failures(session, email=email, source=source, now=now, limits=limits), now=now,
                            limits=limits)
    if waiting > timedelta(0):
        seconds = max(1, math.ceil(waiting.total_seconds()))
        raise _too_many(seconds)
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        burn_time(password)
    if user is None or not user.active or not verify_password(user.password_hash, password):
        # The refusal rolls the request back; the attempt and its audit row survive it, or the limits would
        # never be reached.
        keep_on_rollback(session, LoginAttempt(email=email, ip=source, attempted_at=now))
        record_event(session, actor=None, action="auth.login_failed", entity_type="user",
                     entity_id=user.id if user else None, details={"ip": ip}, system_actor="anonymous",
                     survives_rollback=True)
        raise Unauthenticated("wrong e-mail or password")
    # The owner got in from here: this source's failures for the account no longer bind it.
    session.execute(delete(LoginAttempt).where(
        or_(and_(LoginAttempt.email == email, LoginAttempt.ip == source),
            LoginAttempt.attempted_at < now - max(throttle.MEMORY, limits.window))))
    user.last_login_at = now
    record_event(session, actor=principal_for(session, user), action="auth.login", entity_type="user",
                 entity_id=user.id, details={"ip": ip})
    return user


def issue_token(session: Session, *, user: User, kind: str, lifetime: timedelta) -> str:
    """A new random token; only its hash is stored, so a database leak yields no usable tokens."""
    token = secrets.token_urlsafe(32)
    session.add(AuthToken(token_hash=_digest(token), user_id=user.id, kind=kind, expires_at=utcnow() + lifetime))
    session.flush()
    return token


# One round trip per request: the token, its user and the user's offices (a row per office). Built once, as
# every request runs it: building and cache-keying the statement each time cost more than running it.
_TOKEN_PRINCIPAL = (
    select(User.id, User.role, User.organisation_id, User.active, User.locale, AuthToken.expires_at,
           user_offices.c.office_id)
    .join(AuthToken, AuthToken.user_id == User.id)
    .outerjoin(user_offices, user_offices.c.user_id == User.id)
    .where(AuthToken.token_hash == bindparam("token_hash"), AuthToken.kind == bindparam("kind"),
           AuthToken.revoked_at.is_(None))
)


def resolve_token(session: Session, *, token: str, kind: str) -> Principal | None:
    rows = session.execute(_TOKEN_PRINCIPAL, {"token_hash": _digest(token), "kind": kind}).all()
    if not rows or rows[0].expires_at <= utcnow() or not rows[0].active:
        return None
    first = rows[0]
    return Principal(user_id=first.id, role=first.role, organisation_id=first.organisation_id,
                     office_ids=frozenset(r.office_id for r in rows if r.office_id is not None), locale=first.locale)


def revoke_token(session: Session, *, token: str) -> None:
    """End a session or token (logging out); audited like the login that began it."""
    row = session.scalar(select(AuthToken).where(AuthToken.token_hash == _digest(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        user = session.get(User, row.user_id)
        record_event(session, actor=principal_for(session, user) if user else None, action="auth.logout",
                     entity_type="user", entity_id=row.user_id, details={"kind": row.kind})


# Administration


def create_organisation(session: Session, *, actor: Principal | None, data: OrganisationCreate) -> Organisation:
    if actor is not None:
        require(actor, Action.ADMIN_MANAGE)
    if session.scalar(select(Organisation.id).where(Organisation.name == data.name)):
        raise Conflict("an organisation with this name exists", field="name")
    org = Organisation(id=uuid.uuid4(), name=data.name, kind=data.kind)
    session.add(org)
    session.flush()
    record_event(session, actor=actor, action="organisation.create", entity_type="organisation", entity_id=org.id,
                 details={"kind": data.kind.value}, system_actor="cli")
    return org


def create_office(session: Session, *, actor: Principal | None, data: OfficeCreate) -> Office:
    if actor is not None:
        require(actor, Action.ADMIN_MANAGE)
    if session.get(Organisation, data.organisation_id) is None:
        raise Invalid("no such organisation", field="organisation_id")
    if session.scalar(select(Office.id).where(Office.code == data.code)):
        raise Conflict("an office with this code exists", field="code")
    office = Office(id=uuid.uuid4(), **data.model_dump())
    session.add(office)
    session.flush()
    record_event(session, actor=actor, action="office.create", entity_type="office", entity_id=office.id,
                 office_id=office.id, details={"code": office.code}, system_actor="cli")
    return office


def _offices(session: Session, office_ids: list[uuid.UUID]) -> list[Office]:
    offices = list(session.scalars(select(Office).where(Office.id.in_(office_ids))))
    if len(offices) != len(set(office_ids)):
        raise Invalid("one of the offices does not exist", field="office_ids")
    return offices


def create_user(session: Session, *, actor: Principal | None, data: UserCreate) -> User:
    if actor is not None:
        require(actor, Action.ADMIN_MANAGE)
    if session.get(Organisation, data.organisation_id) is None:
        raise Invalid("no such organisation", field="organisation_id")
    if session.scalar(select(User.id).where(User.email == data.email)):
        raise Conflict("a user with this e-mail exists", field="email")
    user = User(
        id=uuid.uuid4(),
        email=data.email,
        full_name=data.full_name,
        role=data.role,
        organisation_id=data.organisation_id,
        password_hash=hash_password(data.password),
        offices=_offices(session, data.office_ids),
        locale=data.locale,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("a user with this e-mail exists", field="email") from None
    record_event(session, actor=actor, action="user.create", entity_type="user", entity_id=user.id,
                 details={"role": data.role.value, "offices": [str(o) for o in data.office_ids]},
                 system_actor="cli")
    return user


def get_user(session: Session, user_id: uuid.UUID) -> User:
    user = session.scalar(select(User).where(User.id == user_id).options(selectinload(User.offices)))
    if user is None:
        raise NotFound("no such user", field="user_id")
    return user


def update_user(session: Session, *, actor: Principal | None, user_id: uuid.UUID, data: UserUpdate) -> User:
    if actor is not None:
        require(actor, Action.ADMIN_MANAGE)
    user = get_user(session, user_id)
    changes = data.model_dump(exclude_unset=True)
    if actor is not None and user.id == actor.user_id and (changes.get("active") is False or "role" in changes):
        raise Invalid("administrators cannot deactivate themselves or change their own role", field="role")
    if data.full_name is not None:
        user.full_name = data.full_name
    if data.role is not None:
        user.role = data.role
    if data.office_ids is not None:
        user.offices = _offices(session, data.office_ids)
    if data.active is not None:
        user.active = data.active
    if data.password is not None:
        user.password_hash = hash_password(data.password)
    if "locale" in changes:
        user.locale = data.locale
    if data.active is False or data.password is not None or data.role is not None:
        # A changed role, password or deactivation ends every session the user had open.
        for token in session.scalars(select(AuthToken).where(AuthToken.user_id == user.id,
                                                             AuthToken.revoked_at.is_(None))):
            token.revoked_at = utcnow()
    session.flush()
    details = {k: v for k, v in changes.items() if k in ("role", "active")}
    details["fields"] = sorted(changes)
    if data.office_ids is not None:
        details["offices"] = [str(o) for o in data.office_ids]
    record_event(session, actor=actor, action="user.update", entity_type="user", entity_id=user.id,
                 details=details, system_actor="cli")
    return user


def list_users(session: Session, *, actor: Principal) -> list[User]:
    require(actor, Action.ADMIN_MANAGE)
    return list(session.scalars(select(User).options(selectinload(User.offices)).order_by(User.email)))


def list_offices(session: Session) -> list[Office]:
    return list(session.scalars(select(Office).order_by(Office.code)))


def list_organisations(session: Session) -> list[Organisation]:
    return list(session.scalars(select(Organisation).order_by(Organisation.name)))
