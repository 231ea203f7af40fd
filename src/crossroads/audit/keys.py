"""The audit signing key and the public keys whose heads are trusted, from the settings."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from crossroads.audit.heads import key_id
from crossroads.config import Settings
from crossroads.kit.keytext import SIGNER_PREFIX, key_text, load_public_key, load_signing_key


def signing_key(settings: Settings) -> ed25519.Ed25519PrivateKey | None:
    """The key that signs tree heads, or None when none is configured; KeyFormatError if it is unreadable."""
    text = settings.audit_key_text()
    return load_signing_key(text, "the audit signing key") if text else None


def trusted_keys(settings: Settings) -> dict[str, ed25519.Ed25519PublicKey]:
    """The public keys a head may be signed with, by key id: the signing key's own and the configured others."""
    keys = [load_public_key(text, "a key of CROSSROADS_AUDIT_PUBLIC_KEYS")
            for text in settings.audit_public_key_texts()]
    private = signing_key(settings)
    if private is not None:
        keys.append(private.public_key())
    return {key_id(k): k for k in keys}


def private_key_text(key: ed25519.Ed25519PrivateKey) -> str:
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                            serialization.NoEncryption())
    return key_text(SIGNER_PREFIX, raw)


def public_key_text(key: ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, ed25519.Ed25519PrivateKey) else key
    return key_text(SIGNER_PREFIX, public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
