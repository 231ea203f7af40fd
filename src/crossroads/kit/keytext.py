"""Keys as configuration text: a scheme prefix and the base64 of 32 raw bytes ("ed25519:…", "x25519:…").

Settings check the agency's signing key at start-up and the exchange engine builds keys from the same text,
so the format is here, below both.
"""

from __future__ import annotations

import base64

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
