"""Signed tree heads: the tree's size and root at a moment, signed with the agency's Ed25519 key. Pure.

A head is the trail's tamper evidence. Whoever can write to the database can rewrite events, leaf hashes and
stored nodes consistently, but cannot sign a head for the result without the key; a head kept outside the
database (`crossroads audit export-head`) also shows a trail cut back to an earlier, validly signed size.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from crossroads.audit.merkle import HASH_SIZE

# Domain separation: a signature over a head can never be taken for one over anything else the key signs.
_CONTEXT = b"crossroads audit tree head v1\x00"


class HeadFormatError(ValueError):
    pass


def key_id(public: ed25519.Ed25519PublicKey) -> str:
    """SHA-256 of the raw public key, in hex: names the key that signed a head without revealing anything."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


@dataclass(frozen=True)
class TreeHead:
    tree_size: int
    root_hash: bytes
    # Milliseconds since the epoch, as Certificate Transparency signs them.
    timestamp: int
    key_id: str
    signature: bytes

    @property
    def signed_at(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp / 1000, UTC)

    def describe(self) -> str:
        return f"size {self.tree_size}, signed {self.signed_at.isoformat(timespec='seconds')}"


def head_message(tree_size: int, root_hash: bytes, timestamp: int) -> bytes:
    """The bytes a head's signature covers: context, then size and time as unsigned 64-bit integers, then root."""
    if len(root_hash) != HASH_SIZE:
        raise HeadFormatError(f"a root hash has {HASH_SIZE} bytes, not {len(root_hash)}")
    return _CONTEXT + struct.pack(">QQ", tree_size, timestamp) + root_hash


def sign_head(key: ed25519.Ed25519PrivateKey, tree_size: int, root_hash: bytes, timestamp: int) -> TreeHead:
    return TreeHead(tree_size, root_hash, timestamp, key_id(key.public_key()),
                    key.sign(head_message(tree_size, root_hash, timestamp)))


def signature_problem(head: TreeHead, keys: Mapping[str, ed25519.Ed25519PublicKey]) -> str | None:
    """Why the head's signature does not hold under the trusted keys, or None when it does."""
    public = keys.get(head.key_id)
    if public is None:
        return f"it is signed by key {head.key_id[:16]}…, which is not a trusted audit key"
    try:
        public.verify(head.signature, head_message(head.tree_size, head.root_hash, head.timestamp))
    except (InvalidSignature, HeadFormatError):
        return "its signature does not match its size, root and time (the head was altered or forged)"
    return None


def head_to_json(head: TreeHead) -> dict[str, Any]:
    return {
        "tree_size": head.tree_size,
        "root_hash": head.root_hash.hex(),
        "timestamp": head.timestamp,
        "signed_at": head.signed_at.isoformat(timespec="milliseconds"),
        "key_id": head.key_id,
        "signature": base64.b64encode(head.signature).decode("ascii"),
    }


def head_from_json(data: Any) -> TreeHead:
    """A head as `head_to_json` wrote it; HeadFormatError names the field at fault."""
    if not isinstance(data, dict):
        raise HeadFormatError("a tree head is a JSON object")

    def field(name: str, kind: type) -> Any:
        value = data.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise HeadFormatError(f"{name}: missing or not a {kind.__name__}")
        return value

    size, timestamp = field("tree_size", int), field("timestamp", int)
    if size < 0 or timestamp < 0:
        raise HeadFormatError("tree_size and timestamp cannot be negative")
    try:
        root_hash = bytes.fromhex(field("root_hash", str))
    except ValueError:
        raise HeadFormatError("root_hash: not hexadecimal") from None
    if len(root_hash) != HASH_SIZE:
        raise HeadFormatError(f"root_hash: {HASH_SIZE} bytes expected, not {len(root_hash)}")
    try:
        signature = base64.b64decode(field("signature", str), validate=True)
    except binascii.Error:
        raise HeadFormatError("signature: not base64") from None
    return TreeHead(size, root_hash, timestamp, field("key_id", str), signature)
