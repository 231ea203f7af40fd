"""Logging in and the tokens that carry a login, called as the routes and pages call them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

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
        for i in range(settings.login_source_max_failures):
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


def attempt(db, settings, email: str, password: str, ip: str) -> str:
    """What one login attempt got, in its own transaction as a request has: "ok", 401 or 429 (and the wait)."""
    try:
        with transaction(db):
            log_in(db, settings, email, password, ip)
    except Unauthenticated:
        return "401"
    except TooManyAttempts as refused:
        return f"429 after {refused.retry_after}s"
    return "ok"


def failures(db, email: str | None = None, ip: str | None = None) -> int:
    query = select(func.count()).select_from(LoginAttempt)
    if email:
        query = query.where(LoginAttempt.email == email)
    if ip:
        query = query.where(LoginAttempt.ip == ip)
    return db.scalar(query)


class TestThrottling:
    """Guessing is slowed where it comes from; nobody can lock an account's owner out."""

    def test_an_attacker_failing_50_times_does_not_stop_the_owner_logging_in_elsewhere(self, db, settings, world):
        victim = world.users["dpo"].email
        db.commit()
        answers = [attempt(db, settings, victim, f"guess {i}", "198.51.100.66") for i in range(50)]
        assert answers[:5] == ["401"] * 5
        assert all(a.startswith("429 after ") for a in answers[5:])
        assert 14 * 60 < int(answers[-1].split()[2].rstrip("s")) <= 15 * 60
        assert attempt(db, settings, victim, af.PASSWORD, "203.0.113.7") == "ok"
        # Even the right password waits at the attacker's source: a refused attempt checks no password.
        assert attempt(db, settings, victim, af.PASSWORD, "198.51.100.66").startswith("429")

    def test_refused_attempts_are_not_recorded(self, db, settings, world):
        victim = world.users["dpo"].email
        db.commit()
        for i in range(40):
            attempt(db, settings, victim, f"guess {i}", "198.51.100.66")
        assert failures(db, victim) == settings.login_max_failures

    def test_one_password_sprayed_over_30_accounts_from_one_source_is_capped(self, db, settings, world):
        db.commit()
        answers = [attempt(db, settings, f"person{i}@example.org", "Summer2026!", "198.51.100.9") for i in range(30)]
        assert answers[:settings.login_source_max_failures] == ["401"] * settings.login_source_max_failures
        assert all(a.startswith("429") for a in answers[settings.login_source_max_failures:])
        assert failures(db, ip="198.51.100.9") == settings.login_source_max_failures
        assert attempt(db, settings, world.users["dpo"].email, af.PASSWORD, "203.0.113.7") == "ok"

    def test_failures_from_many_sources_make_a_source_that_failed_wait_longer_and_longer(self, db, settings,
                                                                                        world):
        victim = world.users["dpo"].email
        db.commit()
        sources = [f"198.51.100.{i}" for i in range(1, 17)]
        # Each source fails once; none has failed before, so none waits.
        assert [attempt(db, settings, victim, "guess", ip) for ip in sources] == ["401"] * 16
        # 16 failures: 6 past the 10 free ones, so 2**6 seconds after the latest, whichever source tries.
        waited = int(attempt(db, settings, victim, "guess", sources[0]).split()[2].rstrip("s"))
        assert 60 < waited <= 64
        assert attempt(db, settings, victim, "guess", "198.51.100.200") == "401"
        waited = int(attempt(db, settings, victim, af.PASSWORD, sources[5]).split()[2].rstrip("s"))
        assert 124 < waited <= 128

    def test_the_delay_is_capped(self, db, settings, world):
        victim = world.users["dpo"].email
        now = utcnow()
        db.add_all([LoginAttempt(email=victim, ip=f"198.51.100.{i}", attempted_at=now - timedelta(seconds=i - 1))
                    for i in range(1, 200)])
        db.commit()
        waited = int(attempt(db, settings, victim, "guess", "198.51.100.1").split()[2].rstrip("s"))
        assert settings.login_account_max_delay_seconds - 5 < waited <= settings.login_account_max_delay_seconds

    def test_once_the_delay_has_passed_a_source_may_try_again(self, db, settings, world):
        victim = world.users["dpo"].email
        then = utcnow() - timedelta(seconds=settings.login_account_max_delay_seconds + 1)
        db.add_all([LoginAttempt(email=victim, ip=f"198.51.100.{i}", attempted_at=then) for i in range(1, 200)])
        db.commit()
        assert attempt(db, settings, victim, af.PASSWORD, "198.51.100.1") == "ok"

    def test_the_owner_is_never_made_to_wait_from_a_source_without_failures(self, db, settings, world):
        victim = world.users["dpo"].email
        now = utcnow()
        db.add_all([LoginAttempt(email=victim, ip=f"198.51.100.{i % 250}", attempted_at=now) for i in range(1000)])
        db.commit()
        assert attempt(db, settings, victim, af.PASSWORD, "203.0.113.7") == "ok"

    def test_logging_in_clears_the_sources_own_failures_for_the_account(self, db, settings, world):
        owner = world.users["dpo"].email
        db.commit()
        assert [attempt(db, settings, owner, "typo", "203.0.113.7") for _ in range(3)] == ["401"] * 3
        assert attempt(db, settings, owner, af.PASSWORD, "203.0.113.7") == "ok"
        assert failures(db, owner, "203.0.113.7") == 0

    def test_addresses_of_one_ipv6_64_share_their_limits(self, db, settings, world):
        victim = world.users["dpo"].email
        db.commit()
        answers = [attempt(db, settings, victim, "guess", f"2001:db8:5:6::{i:x}") for i in range(1, 7)]
        assert answers[:5] == ["401"] * 5 and answers[5].startswith("429")
        assert attempt(db, settings, victim, af.PASSWORD, "2001:db8:5:7::1") == "ok"


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
