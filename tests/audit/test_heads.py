from __future__ import annotations

import json
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from crossroads.audit import merkle
from crossroads.audit.heads import HeadFormatError, head_from_json, head_to_json, key_id, sign_head, signature_problem

KEY = ed25519.Ed25519PrivateKey.generate()
TRUSTED = {key_id(KEY.public_key()): KEY.public_key()}
HEAD = sign_head(KEY, 5, merkle.root([merkle.leaf_hash(b"x")] * 5), 1_796_000_000_000)


class TestSignedHead:
    def test_verifies_under_the_key_that_signed_it(self):
        assert signature_problem(HEAD, TRUSTED) is None

    @pytest.mark.parametrize("change", [
        {"tree_size": 6}, {"root_hash": merkle.EMPTY_ROOT}, {"timestamp": 1_796_000_000_001},
        {"signature": bytes(64)},
    ], ids=["size", "root", "time", "signature"])
    def test_any_change_breaks_the_signature(self, change):
        assert "does not match" in signature_problem(replace(HEAD, **change), TRUSTED)

    def test_a_head_of_another_key_is_not_trusted(self):
        other = sign_head(ed25519.Ed25519PrivateKey.generate(), HEAD.tree_size, HEAD.root_hash, HEAD.timestamp)
        assert "not a trusted audit key" in signature_problem(other, TRUSTED)


class TestHeadJson:
    def test_round_trips(self):
        data = json.loads(json.dumps(head_to_json(HEAD)))
        assert head_from_json(data) == HEAD
        assert data["signed_at"].startswith("2026-")

    @pytest.mark.parametrize(("change", "field"), [
        ({"tree_size": "5"}, "tree_size"), ({"tree_size": -1}, "tree_size"), ({"timestamp": True}, "timestamp"),
        ({"root_hash": "zz"}, "root_hash"), ({"root_hash": "ab"}, "root_hash"),
        ({"signature": "%%%"}, "signature"), ({"key_id": None}, "key_id"),
    ])
    def test_a_damaged_head_names_the_field(self, change, field):
        with pytest.raises(HeadFormatError, match=field):
            head_from_json({**head_to_json(HEAD), **change})

    def test_is_an_object(self):
        with pytest.raises(HeadFormatError, match="JSON object"):
            head_from_json([1, 2])
