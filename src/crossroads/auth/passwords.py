"""Argon2id password hashing (argon2-cffi)."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from crossroads.config import get_settings

MIN_PASSWORD_LENGTH = 12


@lru_cache
def _build(fast: bool) -> PasswordHasher:
    # The test suite hashes and checks thousands of passwords; production keeps the library's RFC 9106 profile.
    # 64 KiB runs the same Argon2id code at 0.05 ms a hash, against 4 ms at 8 MiB.
    return PasswordHasher(time_cost=1, memory_cost=64, parallelism=1) if fast else PasswordHasher()


def _hasher() -> PasswordHasher:
    return _build(get_settings().argon2_fast)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache
def _dummy_hash(fast: bool) -> str:
    return _build(fast).hash("crossroads-timing-equaliser")


def burn_time(password: str) -> None:
    """Spend a verification's time when the e-mail is unknown, so a miss is not faster than a wrong password."""
    verify_password(_dummy_hash(get_settings().argon2_fast), password)
