"""Logging in and the tokens that carry a login, called as the routes and pages call them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from crossroads.audit.models import AuditEvent
from crossroads.auth import service
from crossroads.auth.models import AuthToken, LoginAttempt
from crossroads.auth.roles import Role
from crossroads.auth.schemas import UserUpdate
from crossroads.db.base import utcnow
from crossroads.db.session import transaction
from crossroads.kit.errors import TooManyAttempts, Unauthenticated
from tests.factories import auth as af

HOUR = timedelta(hours=1)


def log_in(db, settings, email: str, password: str = af.PASSWORD, ip: str = "10.0.0.1"):
    return service.authenticate(db, settings=settings, email=email, password=password, ip=ip)


class TestAuthenticate:
    def test_the_e_mail_is_matched_whatever_its_case_and_spaces(self, db, settings, world):
        user = log_in(db, settings, f"  {world.users['dpo'].email.upper()} ")
        assert user is not None and user.id == world.users["dpo"].id and user.last_login_at is not None

    @pytest.mark.parametrize("case", ["wrong password", "unknown e-mail", "deactivated"])
    def test_a_failure_is_refused_and_counts_toward_the_limit_after_the_rollback(self, db, settings, world, case):
        email, password = world.users["dpo"].email, af.PASSWORD
        if case == "wrong password":
            password = "not the password"
        elif case == "unknown e-mail":
            email = "nobody@example.org"
        else:
            world.users["dpo"].active = False
        db.commit()
        # The refusal rolls the transaction back, as a request's would; the attempt must survive it.
        with pytest.raises(Unauthenticated), transaction(db):
            log_in(db, settings, email, password)
        assert db.scalars(select(LoginAttempt.email)).all() == [email]

    def test_one_address_guessing_many_e_mails_is_stopped(self, db, settings, world):
        db.commit()
        for i in range(settings.login_max_failures * 4):
            with pytest.raises(Unauthenticated), transaction(db):
                log_in(db, settings, f"guess{i}@example.org", ip="10.9.9.9")
        with pytest.raises(TooManyAttempts):
            log_in(db, settings, world.users["dpo"].email, ip="10.9.9.9")
        assert log_in(db, settings, world.users["dpo"].email, ip="10.0.0.2") is not None

    def test_failures_older_than_the_window_no_longer_count(self, db, settings, world):
        email = world.users["dpo"].email
        old = utcnow() - timedelta(minutes=settings.login_window_minutes + 1)
        db.add_all([LoginAttempt(email=email, ip="10.0.0.1", attempted_at=old)
                    for _ in range(settings.login_max_failures)])
        assert log_in(db, settings, email) is not None


class TestResolveToken:
    def test_gives_the_user_with_their_offices(self, db, world):
        token = service.issue_token(db, user=world.users["caseworker_a"], kind="api", lifetime=HOUR)
        principal = service.resolve_token(db, token=token, kind="api")
        assert principal == world.principal(db, "caseworker_a")
        assert principal.office_ids == {world.office_a.id}

    @pytest.mark.parametrize("case", ["other kind", "expired", "revoked", "user deactivated"])
    def test_gives_nobody_for_a_token_that_does_not_hold(self, db, world, case):
        user = world.users["caseworker_a"]
        token = service.issue_token(db, user=user, kind="api", lifetime=-HOUR if case == "expired" else HOUR)
        if case == "revoked":
            service.revoke_token(db, token=token)
        if case == "user deactivated":
            user.active = False
            db.flush()
        assert service.resolve_token(db, token=token, kind="session" if case == "other kind" else "api") is None

    def test_revoking_is_audited_as_a_logout(self, db, world):
        token = service.issue_token(db, user=world.users["dpo"], kind="session", lifetime=HOUR)
        service.revoke_token(db, token=token)
        db.commit()
        event = db.scalar(select(AuditEvent).where(AuditEvent.action == "auth.logout"))
        assert event.entity_id == str(world.users["dpo"].id) and event.details == {"kind": "session"}


class TestUpdateUser:
    @pytest.mark.parametrize(("change", "ends_sessions"), [
        ({"password": "another long password"}, True),
        ({"role": Role.SUPERVISOR}, True),
        ({"active": False}, True),
        ({"full_name": "New Name"}, False),
        ({"office_ids": []}, False),
    ])
    def test_a_new_password_role_or_deactivation_ends_every_session(self, db, world, change, ends_sessions):
        user = world.users["caseworker_a"]
        tokens = [service.issue_token(db, user=user, kind=kind, lifetime=HOUR) for kind in ("api", "session")]
        service.update_user(db, actor=world.principal(db, "admin"), user_id=user.id, data=UserUpdate(**change))
        revoked = db.scalars(select(AuthToken.revoked_at).where(AuthToken.user_id == user.id)).all()
        assert len(revoked) == len(tokens)
        assert all(r is not None for r in revoked) == ends_sessions
        assert any(r is not None for r in revoked) == ends_sessions
