"""Argon2id password hashes: verified, salted, and never an exception for a bad stored hash."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from crossroads.auth import passwords


class TestHashPassword:
    def test_a_hash_verifies_its_password_and_no_other(self):
        stored = passwords.hash_password("correct horse battery staple")
        assert stored.startswith("$argon2id$")
        assert passwords.verify_password(stored, "correct horse battery staple")
        assert not passwords.verify_password(stored, "correct horse battery stapl")

    def test_the_same_password_hashes_differently_each_time(self):
        assert passwords.hash_password("a long enough password") != passwords.hash_password("a long enough password")

    @pytest.mark.parametrize("stored", ["", "plain text", "$argon2id$v=19$m=64,t=1,p=1$broken"])
    def test_a_malformed_stored_hash_fails_instead_of_raising(self, stored):
        assert passwords.verify_password(stored, "a long enough password") is False


class TestProfiles:
    def test_production_keeps_the_libraries_profile(self):
        production, library = passwords._build(False), PasswordHasher()
        assert (production.time_cost, production.memory_cost, production.parallelism) == (
            library.time_cost, library.memory_cost, library.parallelism)

    def test_the_fast_profile_is_argon2id_too(self):
        assert passwords._build(True).hash("a long enough password").startswith("$argon2id$")
