"""Exchange packages: sealed for one recipient, signed by the agency, refused when anything is off."""

from __future__ import annotations

import json
import struct

import pytest

from crossroads.disclosure.engine import exchange as x

FILES = {"release.csv": b"age_band,sex\n18-29,female\n", "datapackage.json": b'{"name": "r"}'}


@pytest.fixture
def keys():
    return {"recipient": x.generate_recipient_key(), "signer": x.generate_signing_key()}


def seal(keys, files=FILES) -> bytes:
    return x.seal_package(files, metadata={"agreement": "a-1"}, recipient=keys["recipient"].public_key(),
                          signer=keys["signer"])


def open_(package: bytes, keys, **over):
    return x.open_package(package, private_key=over.get("private_key", keys["recipient"]),
                          signer=over.get("signer", keys["signer"].public_key()))


def _flip(data: bytes, at: int) -> bytes:
    b = bytearray(data)
    b[at] ^= 0x01
    return bytes(b)


def _header_end(package: bytes) -> int:
    (length,) = struct.unpack(">I", package[len(x.MAGIC):len(x.MAGIC) + 4])
    return len(x.MAGIC) + 4 + length


class TestSealAndOpen:
    def test_round_trip_returns_the_files_and_the_manifest(self, keys):
        opened = open_(seal(keys), keys)
        assert opened.files == FILES
        assert opened.manifest["metadata"] == {"agreement": "a-1"}
        assert {f["name"] for f in opened.manifest["files"]} == set(FILES)

    def test_header_names_suite_recipient_and_signer(self, keys):
        header = x.read_header(seal(keys))[0]
        assert header["suite"] == x.SUITE_NAME
        assert header["recipient"] == x.public_fingerprint(x.public_key_text(keys["recipient"]))
        assert header["signer"] == x.signer_fingerprint(x.signer_public_text(keys["signer"]))

    def test_the_files_are_not_readable_in_the_package(self, keys):
        assert b"female" not in seal(keys)

    def test_two_seals_of_the_same_files_differ(self, keys):
        assert seal(keys) != seal(keys)

    def test_unsafe_file_names_are_refused_when_sealing(self, keys):
        with pytest.raises(ValueError, match="cannot travel"):
            seal(keys, {"../etc/passwd": b"x"})


class TestRefusals:
    def test_tampered_ciphertext_is_refused(self, keys):
        package = seal(keys)
        with pytest.raises(x.BadSignature, match="altered"):
            open_(_flip(package, _header_end(package) + 5), keys)

    def test_tampered_signature_is_refused(self, keys):
        package = seal(keys)
        with pytest.raises(x.BadSignature):
            open_(_flip(package, len(package) - 3), keys)

    def test_tampered_header_is_refused(self, keys):
        package = seal(keys)
        header, header_bytes, *_ = x.read_header(package)
        forged = json.dumps({**header, "created_at": "2020-01-01T00:00:00+00:00"}, sort_keys=True,
                            separators=(",", ":")).encode()
        start = len(x.MAGIC) + 4
        tampered = (x.MAGIC + struct.pack(">I", len(forged)) + forged
                    + package[start + len(header_bytes):])
        with pytest.raises(x.BadSignature):
            open_(tampered, keys)

    def test_truncated_package_is_refused(self, keys):
        with pytest.raises(x.MalformedPackage, match="truncated|too short"):
            open_(seal(keys)[:40], keys)

    def test_other_file_is_refused(self, keys):
        with pytest.raises(x.MalformedPackage, match="not a Crossroads exchange package"):
            open_(b"PK\x03\x04" + bytes(200), keys)

    def test_wrong_recipient_key_is_refused(self, keys):
        with pytest.raises(x.WrongRecipient, match="encrypted for key"):
            open_(seal(keys), keys, private_key=x.generate_recipient_key())

    def test_wrong_signer_is_refused(self, keys):
        with pytest.raises(x.WrongSigner, match="not by the agency key given"):
            open_(seal(keys), keys, signer=x.generate_signing_key().public_key())

    def test_package_re_signed_by_another_key_is_refused(self, keys):
        forger = {"recipient": keys["recipient"], "signer": x.generate_signing_key()}
        with pytest.raises(x.WrongSigner):
            open_(seal(forger), keys)


class TestKeys:
    def test_public_key_text_round_trips(self, keys):
        text = x.public_key_text(keys["recipient"])
        assert x.public_key_text(x.parse_public_key(text)) == text

    def test_private_key_pem_round_trips_with_passphrase(self, keys):
        pem = x.private_key_pem(keys["recipient"], b"pass phrase")
        loaded = x.load_private_key(pem, b"pass phrase")
        assert x.public_key_text(loaded) == x.public_key_text(keys["recipient"])

    @pytest.mark.parametrize(("text", "problem"), [
        ("ed25519:" + "A" * 43 + "=", "must start with 'x25519:'"),
        ("x25519:not base64!", "not valid base64"),
        ("x25519:AAAA", "32 bytes"),
    ])
    def test_malformed_public_keys_are_refused(self, text, problem):
        with pytest.raises(x.KeyFormatError, match=problem):
            x.parse_public_key(text)

    def test_signing_key_text_round_trips(self, keys):
        text = x.signing_key_text(keys["signer"])
        assert x.signer_public_text(x.parse_signing_key(text)) == x.signer_public_text(keys["signer"])
