"""Standard Webhooks signatures (standardwebhooks.com): HMAC-SHA256 over `id.timestamp.body`, keyed by the
subscription's secret (`whsec_` + base64 of random bytes), sent as `webhook-signature: v1,<base64>`.

Written here rather than taken from the `standardwebhooks` package: that package is mostly a generated API
client with its own HTTP and date dependencies, while signing is the few lines below. The tests verify what
this module signs with that package, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's marker, not a secret
# The specification asks for 24 to 64 bytes of key.
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_key_bytes(secret: str) -> bytes:
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a webhook secret starts with whsec_")
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    if not 24 <= len(key) <= 64:
        raise ValueError("a webhook secret holds 24 to 64 bytes")
    return key


def signature(secret: str, *, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value of one delivery."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signed_headers(secret: str, *, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id=message_id, timestamp=timestamp, body=body),
        "content-type": "application/json",
    }
