"""Keys as configuration text: a scheme prefix and the base64 of 32 raw bytes ("ed25519:…", "x25519:…").

Settings check the agency's signing key at start-up and the exchange engine builds keys from the same text,
so the format is here, below both.
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

PUBLIC_PREFIX = "x25519:"
SIGNER_PREFIX = "ed25519:"


class KeyFormatError(ValueError):
    pass


def key_text(prefix: str, raw: bytes) -> str:
    return prefix + base64.b64encode(raw).decode("ascii")


def decode_key_text(text: str, prefix: str, what: str) -> bytes:
    """The 32 raw bytes of a key written as `prefix` + base64; `what` names the key in the error."""
    text = text.strip()
    if not text.startswith(prefix):
        raise KeyFormatError(f"{what} must start with {prefix!r}")
    try:
        raw = base64.b64decode(text.removeprefix(prefix), validate=True)
    except ValueError:
        raise KeyFormatError(f"{what} is not valid base64") from None
    if len(raw) != 32:
        raise KeyFormatError(f"{what} must encode 32 bytes, not {len(raw)}")
    return raw


def load_signing_key(text: str, what: str) -> ed25519.Ed25519PrivateKey:
    """An Ed25519 private key written as "ed25519:" + base64 of its 32-byte seed, or as an unencrypted PEM."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
        except (ValueError, TypeError, UnicodeEncodeError):
            raise KeyFormatError(f"{what} is not a readable unencrypted PEM private key") from None
        if not isinstance(key, ed25519.Ed25519PrivateKey):
            raise KeyFormatError(f"{what} is not an Ed25519 key")
        return key
    return ed25519.Ed25519PrivateKey.from_private_bytes(decode_key_text(text, SIGNER_PREFIX, what))


def load_public_key(text: str, what: str) -> ed25519.Ed25519PublicKey:
    """An Ed25519 public key written as "ed25519:" + base64 of its 32 bytes."""
    return ed25519.Ed25519PublicKey.from_public_bytes(decode_key_text(text, SIGNER_PREFIX, what))
