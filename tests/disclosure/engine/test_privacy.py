"""Keyed pseudonyms and the privacy models of a spec."""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pytest

from crossroads.disclosure.engine.privacy import KEY_BYTES, models_for, new_release_key, pseudonymise
from crossroads.disclosure.engine.spec import parse_spec
from tests.factories.disclosure import people_spec


class TestPseudonymise:
    def test_hmac_sha256_of_each_value_under_the_key(self):
        key = b"x" * 32
        out = pseudonymise(np.array(["alice", "", "bob"], dtype=object), key)
        assert out[0] == hmac.new(key, b"alice", hashlib.sha256).hexdigest()[:20]
        assert out[1] == "" and out[0] != out[2]

    def test_a_short_key_is_refused(self):
        with pytest.raises(ValueError, match="at least 16 bytes"):
            pseudonymise(np.array(["a"], dtype=object), b"short")

    def test_release_keys_are_fresh(self):
        assert len(new_release_key()) == KEY_BYTES and new_release_key() != new_release_key()


class TestModelsFor:
    def test_the_suppression_budget_is_rounded_down(self):
        models = models_for(parse_spec(people_spec(max_suppression=0.05)), 999)
        assert (models.k, models.l, models.max_suppressed_rows) == (5, 2, 49)
