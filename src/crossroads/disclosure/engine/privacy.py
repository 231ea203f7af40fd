"""Privacy models of a spec, and keyed pseudonyms for identifiers.

A pseudonym is HMAC-SHA256 of the value under a key made for one release and then forgotten: the same
person gets the same pseudonym throughout a release (so their cases can be linked inside it) and a
different one in the next, so releases cannot be joined on it. The key is never written beside the output.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets

import numpy as np

from crossroads.disclosure.engine.lattice import Models
from crossroads.disclosure.engine.spec import ReleaseSpec

KEY_BYTES = 32
# 20 hex digits (80 bits): no collision is to be expected below a trillion distinct values.
PSEUDONYM_HEX = 20


def models_for(spec: ReleaseSpec, n_rows: int) -> Models:
    """The lattice's privacy models for a spec over n_rows records (suppression budget rounded down)."""
    return Models(k=spec.k, l=spec.l, l_kind=spec.l_kind,
                  max_suppressed_rows=math.floor(spec.max_suppression * n_rows + 1e-9))


def new_release_key() -> bytes:
    """A fresh random pseudonym key for one release."""
    return secrets.token_bytes(KEY_BYTES)


def pseudonymise(values: np.ndarray, key: bytes) -> np.ndarray:
    """Keyed pseudonyms of distinct values (text); missing (empty) values stay empty."""
    if len(key) < 16:
        raise ValueError("a pseudonym key needs at least 16 bytes")
    return np.array([hmac.new(key, v.encode("utf-8"), hashlib.sha256).hexdigest()[:PSEUDONYM_HEX] if v else ""
                     for v in values], dtype=object)
