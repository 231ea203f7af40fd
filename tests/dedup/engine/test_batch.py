"""Candidate pairs of the batch engine: records that share a blocking key, unless too many share it."""

from __future__ import annotations

import duckdb
import pytest

from crossroads.dedup.engine.batch import _BROAD_KEY_LIMIT, candidate_pairs_sql
from crossroads.dedup.engine.keys import BROAD_KINDS


class TestCandidatePairs:
    @pytest.mark.parametrize("kind", [*BROAD_KINDS, "n"])
    def test_a_broad_key_shared_by_too_many_records_makes_no_pairs(self, kind):
        con = duckdb.connect()
        crowd = [(f"c{i:03d}", f"{kind}:crowd") for i in range(_BROAD_KEY_LIMIT + 1)]
        con.execute("CREATE TABLE person_keys (id VARCHAR, key VARCHAR)")
        con.executemany("INSERT INTO person_keys VALUES (?, ?)", [*crowd, ("a", f"{kind}:pair"), ("b", f"{kind}:pair")])
        pairs = {(left, right) for _, left, right in con.execute(candidate_pairs_sql("person_keys")).fetchall()}
        assert ("a", "b") in pairs
        assert (("c000", "c001") in pairs) == (kind not in BROAD_KINDS)
