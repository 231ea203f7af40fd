"""Standard Webhooks signatures, checked against the specification's reference library."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from crossroads.notify import signing


class TestSignature:
    def test_reference_library_verifies_what_we_sign(self):
        secret = signing.new_secret()
        body = b'{"data":{"reference":"REF-2026-000001","url":"https://x.example/referrals/1"},"type":"t"}'
        now = int(time.time())
        headers = signing.signed_headers(secret, message_id="msg_1", timestamp=now, body=body)
        assert Webhook(secret).verify(body, headers) == {
            "data": {"reference": "REF-2026-000001", "url": "https://x.example/referrals/1"}, "type": "t"}

    def test_matches_the_reference_signature(self):
        secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        at = datetime(2023, 1, 19, 0, 13, 51, tzinfo=UTC)
        expected = Webhook(secret).sign("msg_p5jXN8AQM9LWM0D4loKWxJek", at, b'{"test": 2432232314}')
        assert signing.signature(secret, message_id="msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp=int(at.timestamp()),
                                 body=b'{"test": 2432232314}') == expected

    def test_a_changed_body_or_another_secret_does_not_verify(self):
        secret = signing.new_secret()
        now = int(time.time())
        headers = signing.signed_headers(secret, message_id="msg_1", timestamp=now, body=b"{}")
        with pytest.raises(WebhookVerificationError):
            Webhook(secret).verify(b'{"a":1}', headers)
        with pytest.raises(WebhookVerificationError):
            Webhook(signing.new_secret()).verify(b"{}", headers)

    def test_the_timestamp_is_signed(self):
        secret = signing.new_secret()
        now = int(time.time())
        headers = signing.signed_headers(secret, message_id="msg_1", timestamp=now, body=b"{}")
        headers["webhook-timestamp"] = str(now - 1)
        with pytest.raises(WebhookVerificationError):
            Webhook(secret).verify(b"{}", headers)


class TestSecret:
    def test_new_secrets_are_standard_and_distinct(self):
        a, b = signing.new_secret(), signing.new_secret()
        assert a.startswith("whsec_") and a != b
        assert len(signing.secret_key_bytes(a)) == signing.SECRET_BYTES

    @pytest.mark.parametrize("secret", ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_c2hvcnQ=", "whsec_not base64!"])
    def test_malformed_secrets_are_refused(self, secret):
        with pytest.raises(ValueError):
            signing.secret_key_bytes(secret)
