"""The batch scoring query gives every candidate pair the probability Splink's predict gives it."""

from __future__ import annotations

import dataclasses
import re

import pytest

from crossroads.dedup.engine.batch import _SCHEMA, _quiet_splink, _Session
from crossroads.dedup.engine.model import default_model
from crossroads.dedup.engine.scoring import _necessary, score_pairs
from crossroads.dedup.engine.synthetic import generate_labelled

COLUMNS = [c for c in _SCHEMA().names if c != "id"]


def _with_documents(records):
    # Synthetic people have no documents or phones; give some of them one, shared by some duplicates, so the
    # list comparisons are scored pair by pair too.
    out = []
    for i, rec in enumerate(records):
        if i % 3 == 0:
            rec = dataclasses.replace(rec, documents=(f"P{i // 6:05d}",), phones=(f"+4191{i % 40:07d}",))
        out.append(rec)
    return out


@pytest.fixture(scope="module", params=["synthetic", "with documents"])
def session(request):
    _quiet_splink()
    records = generate_labelled(3000, seed=5).records
    if request.param == "with documents":
        records = _with_documents(records)
    session = _Session(records, None)
    session.number_rows()
    session.candidate_rows()
    return session


@pytest.fixture(scope="module")
def splink_probabilities(session):
    linker = session.linker(default_model().splink_settings("duckdb"))
    session.register_candidates(linker)
    table = linker.inference.predict().physical_name
    rows = session.con.execute(f"SELECT id_l, id_r, match_probability FROM {table}").fetchall()
    return {(a, b): p for a, b, p in rows}


class _Recording:
    """A DuckDB connection that remembers the statements run on it."""

    def __init__(self, con):
        self.con, self.statements, self.stage_rows = con, [], []

    def execute(self, sql, *args):
        self.statements.append(sql)
        result = self.con.execute(sql, *args)
        if stage := re.search(r"CREATE OR REPLACE TEMP TABLE (_scoring_stage\d+)", sql):
            self.stage_rows.append(self.con.execute(f"SELECT count(*) FROM {stage[1]}").fetchall()[0][0])
        return result


def _scored(session, threshold, **memo):
    con = _Recording(session.con)
    table = score_pairs(con, default_model(), pairs="candidate_rows", people="scoring_people", columns=COLUMNS,
                        threshold=threshold, out="test_scored", **memo)
    rows = session.con.execute(
        f"SELECT l.id, r.id, s.match_probability FROM {table} AS s JOIN scoring_people AS l ON l.rid = s.rid_l "
        "JOIN scoring_people AS r ON r.rid = s.rid_r").fetchall()
    return {(a, b): p for a, b, p in rows}, con


MEMO = {
    "as configured": {},
    "every comparison memoised": {"memo_profiles": 1.0, "memo_pairs": 1.0},
    "nothing memoised": {"memo_profiles": 0.0},
}


class TestScorePairs:
    @pytest.mark.parametrize("memo", MEMO.values(), ids=MEMO.keys())
    def test_every_candidate_gets_splinks_probability(self, session, splink_probabilities, memo):
        ours, _ = _scored(session, 0.0, **memo)
        assert len(splink_probabilities) > 1000
        assert ours.keys() == splink_probabilities.keys()
        worst = max(abs(ours[k] - p) for k, p in splink_probabilities.items())
        assert worst < 1e-9
        # Not a set of trivial scores: both likely and unlikely matches are there.
        assert min(ours.values()) < 0.01 and max(ours.values()) > 0.99

    @pytest.mark.parametrize("threshold", [0.5, 0.9, 0.99])
    def test_keeps_the_pairs_splink_keeps(self, session, splink_probabilities, threshold):
        ours, _ = _scored(session, threshold)
        assert ours.keys() == {k for k, p in splink_probabilities.items() if p >= threshold}

    @pytest.mark.parametrize("memo", MEMO.values(), ids=MEMO.keys())
    @pytest.mark.parametrize("threshold", [0.0, 0.01, 0.5, 0.9, 0.99, 0.9999, 0.999999, 1.0])
    def test_pruning_keeps_every_pair_that_reaches_the_threshold(self, session, memo, threshold):
        pruned, _ = _scored(session, threshold, **memo)
        everything, _ = _scored(session, threshold, prune=False, **memo)
        assert pruned.keys() == everything.keys()
        assert all(pruned[k] == everything[k] for k in pruned)

    def test_pruning_drops_pairs_before_their_costly_levels(self, session):
        kept, con = _scored(session, 0.9)
        stages = [s for s in con.statements if "CREATE OR REPLACE TEMP TABLE _scoring_stage" in s]
        assert len(stages) >= 2
        # The first stage reads no Jaro-Winkler similarity: the names' costly levels wait for the pairs left.
        assert "JARO_WINKLER" not in stages[0].upper()
        candidates = session.con.execute("SELECT count(*) FROM candidate_rows").fetchall()[0][0]
        assert con.stage_rows == sorted(con.stage_rows, reverse=True)
        assert len(kept) <= con.stage_rows[-1] < candidates / 2

    def test_no_pruning_at_threshold_zero(self, session):
        _, con = _scored(session, 0.0)
        assert not con.stage_rows

    def test_forced_memo_is_built_and_dropped(self, session):
        _, con = _scored(session, 0.5, memo_profiles=1.0, memo_pairs=1.0)
        assert any("CREATE OR REPLACE TEMP TABLE _memo0" in s for s in con.statements)
        assert not {t for (t,) in session.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
                    if t.startswith(("_memo", "_scoring"))}


class TestNecessary:
    @pytest.mark.parametrize(("condition", "needed"), [
        ('"a_l" = "b_r" AND jaro_winkler_similarity("x_l", "y_r") >= 0.9', '"a_l" = "b_r"'),
        ('("a_l" = "b_r" AND jaro_winkler_similarity("x_l", "y_r") >= 0.9) OR ("c_l" = "d_r" AND "e_l")',
         '"a_l" = "b_r" OR ("c_l" = "d_r" AND "e_l")'),
        ('jaro_winkler_similarity("x_l", "y_r") >= 0.9 OR "a_l" = "b_r"', None),
        ('levenshtein("x_l", "x_r") <= 1', None),
        ('"n_l" AND "n_r" AND levenshtein("x_l", "x_r") <= 1', '"n_l" AND "n_r"'),
    ])
    def test_cheap_conjuncts_a_costly_condition_needs(self, condition, needed):
        assert _necessary(condition) == needed
