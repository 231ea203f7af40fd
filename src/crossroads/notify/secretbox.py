"""Webhook secrets at rest: encrypted, since signing needs them back (a hash would not do).

AES-256-GCM under a key derived (HKDF-SHA256) from CROSSROADS_SECRET_KEY, with the subscription's id as
associated data, so that a secret copied onto another subscription's row does not open. A copy of the
database alone yields no secret; changing CROSSROADS_SECRET_KEY makes the stored secrets unreadable, and each
subscription then needs a new secret (`crossroads webhooks rotate-secret`).
"""

from __future__ import annotations

import base64
import os
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"crossroads webhook secrets v1"
_NONCE = 12


class SecretUnreadable(ValueError):
    """A stored secret does not open with this key: the secret key changed, or the row was tampered with."""


def box_key(secret_key: str) -> bytes:
    if not secret_key:
        raise ValueError("CROSSROADS_SECRET_KEY is not set; webhook secrets are encrypted with it")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret_key.encode())


def seal_secret(key: bytes, subscription_id: uuid.UUID, secret: str) -> str:
    nonce = os.urandom(_NONCE)
    sealed = AESGCM(key).encrypt(nonce, secret.encode(), subscription_id.bytes)
    return base64.b64encode(nonce + sealed).decode("ascii")


def open_secret(key: bytes, subscription_id: uuid.UUID, stored: str) -> str:
    try:
        raw = base64.b64decode(stored, validate=True)
        return AESGCM(key).decrypt(raw[:_NONCE], raw[_NONCE:], subscription_id.bytes).decode()
    except (InvalidTag, ValueError):
        raise SecretUnreadable("the webhook secret cannot be decrypted with this CROSSROADS_SECRET_KEY") from None
