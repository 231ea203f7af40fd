"""Exchange packages: files signed by the agency and encrypted for one recipient's public key. Pure: no I/O.

Construction. The payload (a zip of the files and a manifest of their SHA-256) is encrypted with HPKE
(RFC 9180) in base mode, DHKEM(X25519, HKDF-SHA256) + HKDF-SHA256 + AES-256-GCM, from `cryptography`'s
`hazmat.primitives.hpke`. HPKE is the standard, reviewed way to encrypt to a public key, so no KEM, KDF or
nonce handling is written here. The plain header is bound to the ciphertext as HPKE `info`, which RFC 9180
§8.1 prescribes for single-shot use. The agency then signs header and ciphertext with Ed25519, and the
recipient checks that signature before decrypting anything: a package that was altered, or that was not
signed by the agency key the recipient pinned, is refused before a byte of it is processed. The header
names the recipient's key, so the signature also covers whom the package was meant for.

Layout: MAGIC | header length (4 bytes, big-endian) | header (UTF-8 JSON) | ciphertext | signature (64).
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite

from crossroads.kit.keytext import PUBLIC_PREFIX, SIGNER_PREFIX, KeyFormatError, decode_key_text, key_text

MAGIC = b"CRXPKG01"
FORMAT = 1
SUITE_NAME = "HPKE-base DHKEM(X25519,HKDF-SHA256) HKDF-SHA256 AES-256-GCM"
_SUITE = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.AES_256_GCM)
_INFO = b"crossroads-exchange-v1\x00"
_SIGNED = b"crossroads-exchange-signature-v1\x00"
_SIGNATURE_SIZE = 64
_MAX_HEADER = 64 * 1024
MANIFEST = "manifest.json"


class PackageError(Exception):
    """A package that must not be opened; the message says why."""


class MalformedPackage(PackageError):
    pass


class BadSignature(PackageError):
    pass


class WrongSigner(PackageError):
    pass


class WrongRecipient(PackageError):
    pass


class DecryptionFailed(PackageError):
    pass


def fingerprint(raw_public: bytes) -> str:
    return hashlib.sha256(raw_public).hexdigest()


def _raw_public(key: x25519.X25519PublicKey | ed25519.Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


# Recipient keys (X25519)

def generate_recipient_key() -> x25519.X25519PrivateKey:
    return x25519.X25519PrivateKey.generate()


def private_key_pem(key: x25519.X25519PrivateKey, passphrase: bytes | None = None) -> bytes:
    algorithm = (serialization.BestAvailableEncryption(passphrase) if passphrase
                 else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, algorithm)


def load_private_key(pem: bytes, passphrase: bytes | None = None) -> x25519.X25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=passphrase)
    except (ValueError, TypeError) as exc:
        raise KeyFormatError(f"not a readable private key file: {exc}") from None
    if not isinstance(key, x25519.X25519PrivateKey):
        raise KeyFormatError("the key file does not hold an X25519 private key")
    return key


def public_key_text(key: x25519.X25519PrivateKey | x25519.X25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, x25519.X25519PrivateKey) else key
    return key_text(PUBLIC_PREFIX, _raw_public(public))


def parse_public_key(text: str) -> x25519.X25519PublicKey:
    return x25519.X25519PublicKey.from_public_bytes(decode_key_text(text, PUBLIC_PREFIX, "the recipient public key"))


def public_fingerprint(text: str) -> str:
    return fingerprint(decode_key_text(text, PUBLIC_PREFIX, "the recipient public key"))


# Agency signing keys (Ed25519)

def generate_signing_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def signing_key_text(key: ed25519.Ed25519PrivateKey) -> str:
    """The private seed as configuration text (CROSSROADS_EXCHANGE_SIGNING_KEY)."""
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                            serialization.NoEncryption())
    return key_text(SIGNER_PREFIX, raw)


def parse_signing_key(text: str) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(decode_key_text(text, SIGNER_PREFIX, "the signing key"))


def signer_public_text(key: ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, ed25519.Ed25519PrivateKey) else key
    return key_text(SIGNER_PREFIX, _raw_public(public))


def signer_fingerprint(text: str) -> str:
    return fingerprint(decode_key_text(text, SIGNER_PREFIX, "the agency public key"))


def parse_signer_public(text: str) -> ed25519.Ed25519PublicKey:
    return ed25519.Ed25519PublicKey.from_public_bytes(decode_key_text(text, SIGNER_PREFIX, "the agency public key"))


# Packages

@dataclass(frozen=True)
class OpenedPackage:
    header: dict[str, Any]
    manifest: dict[str, Any]
    files: dict[str, bytes]


def _safe_name(name: str) -> bool:
    return bool(name) and "/" not in name and "\\" not in name and name not in (".", "..") and "\x00" not in name


def _payload(files: dict[str, bytes], metadata: dict[str, Any]) -> bytes:
    manifest = {"metadata": metadata,
                "files": [{"name": n, "size": len(b), "sha256": hashlib.sha256(b).hexdigest()}
                          for n, b in sorted(files.items())]}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False))
        for name, content in sorted(files.items()):
            zf.writestr(name, content)
    return buffer.getvalue()


def seal_package(files: dict[str, bytes], *, metadata: dict[str, Any], recipient: x25519.X25519PublicKey,
                 signer: ed25519.Ed25519PrivateKey, package_id: uuid.UUID | None = None,
                 created_at: datetime | None = None) -> bytes:
    """Encrypt the files for the recipient and sign the result with the agency key."""
    for name in files:
        if not _safe_name(name) or name == MANIFEST:
            raise ValueError(f"file name {name!r} cannot travel in a package")
    header = {
        "format": FORMAT,
        "suite": SUITE_NAME,
        "package_id": str(package_id or uuid.uuid4()),
        "created_at": (created_at or datetime.now(UTC)).isoformat(),
        "recipient": fingerprint(_raw_public(recipient)),
        "signer": fingerprint(_raw_public(signer.public_key())),
    }
    header_bytes = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    ciphertext = _SUITE.encrypt(_payload(files, metadata), recipient, info=_INFO + header_bytes)
    body = MAGIC + struct.pack(">I", len(header_bytes)) + header_bytes + ciphertext
    return body + signer.sign(_SIGNED + body)


def read_header(package: bytes) -> tuple[dict[str, Any], bytes, bytes, bytes]:
    """The header, its bytes, the ciphertext and the signature; raises MalformedPackage."""
    if len(package) < len(MAGIC) + 4 + _SIGNATURE_SIZE or not package.startswith(MAGIC):
        raise MalformedPackage("not a Crossroads exchange package (wrong magic or too short)")
    (length,) = struct.unpack(">I", package[len(MAGIC):len(MAGIC) + 4])
    start = len(MAGIC) + 4
    if length > _MAX_HEADER or start + length + _SIGNATURE_SIZE > len(package):
        raise MalformedPackage("the package header length is out of range; the file is damaged or truncated")
    header_bytes = package[start:start + length]
    try:
        header = json.loads(header_bytes)
    except (ValueError, UnicodeDecodeError):
        raise MalformedPackage("the package header is not valid JSON") from None
    version = header.get("format") if isinstance(header, dict) else None
    if version != FORMAT:
        raise MalformedPackage(f"unsupported package format {version!r}")
    return header, header_bytes, package[start + length:-_SIGNATURE_SIZE], package[-_SIGNATURE_SIZE:]


def open_package(package: bytes, *, private_key: x25519.X25519PrivateKey,
                 signer: ed25519.Ed25519PublicKey) -> OpenedPackage:
    """Verify the agency's signature, then decrypt and check every file against the manifest."""
    header, header_bytes, ciphertext, signature = read_header(package)
    signer_fp = fingerprint(_raw_public(signer))
    try:
        signer.verify(signature, _SIGNED + package[:-_SIGNATURE_SIZE])
    except InvalidSignature:
        if header.get("signer") != signer_fp:
            raise WrongSigner(f"the package says it was signed by key {str(header.get('signer'))[:16]}…, "
                              f"not by the agency key given ({signer_fp[:16]}…); it is refused") from None
        raise BadSignature("the signature does not verify: the package was altered after the agency "
                           "signed it; it is refused") from None
    own = fingerprint(_raw_public(private_key.public_key()))
    if header.get("recipient") != own:
        raise WrongRecipient(f"the package is encrypted for key {str(header.get('recipient'))[:16]}…, "
                             f"not for this key ({own[:16]}…)")
    try:
        payload = _SUITE.decrypt(ciphertext, private_key, info=_INFO + header_bytes)
    except (InvalidTag, ValueError):
        raise DecryptionFailed("decryption failed: this key cannot open the package") from None
    return OpenedPackage(header=header, **_unpack(payload))


def _unpack(payload: bytes) -> dict[str, Any]:
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as zf:
            manifest = json.loads(zf.read(MANIFEST))
            files = {}
            for entry in manifest["files"]:
                name = entry["name"]
                if not _safe_name(name) or name == MANIFEST:
                    raise MalformedPackage(f"the package holds a file with an unsafe name {name!r}")
                content = zf.read(name)
                if len(content) != entry["size"] or hashlib.sha256(content).hexdigest() != entry["sha256"]:
                    raise MalformedPackage(f"{name} does not match its checksum in the manifest")
                files[name] = content
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        if isinstance(exc, MalformedPackage):
            raise
        raise MalformedPackage(f"the decrypted contents are not a valid package ({exc})") from None
    return {"manifest": manifest, "files": files}
