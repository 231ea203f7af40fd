"""Webhook secrets at rest: encrypted under the secret key, bound to their subscription."""

from __future__ import annotations

import uuid

import pytest

from crossroads.notify import secretbox, signing

KEY = secretbox.box_key("a-long-secret-key-for-the-tests-of-the-outbox-0123456789")


class TestSecretBox:
    def test_round_trip_without_the_secret_in_clear(self):
        sub, secret = uuid.uuid4(), signing.new_secret()
        stored = secretbox.seal_secret(KEY, sub, secret)
        assert secret not in stored and secret.removeprefix("whsec_") not in stored
        assert secretbox.open_secret(KEY, sub, stored) == secret

    def test_another_subscription_or_key_cannot_open_it(self):
        sub, secret = uuid.uuid4(), signing.new_secret()
        stored = secretbox.seal_secret(KEY, sub, secret)
        with pytest.raises(secretbox.SecretUnreadable):
            secretbox.open_secret(KEY, uuid.uuid4(), stored)
        with pytest.raises(secretbox.SecretUnreadable):
            secretbox.open_secret(secretbox.box_key("another-secret-key-" + "y" * 40), sub, stored)
        with pytest.raises(secretbox.SecretUnreadable):
            secretbox.open_secret(KEY, sub, "not base64!")

    def test_needs_a_secret_key(self):
        with pytest.raises(ValueError, match="CROSSROADS_SECRET_KEY"):
            secretbox.box_key("")
