"""Batch scoring of candidate pairs in DuckDB, generated from the model's Splink settings.

Splink's predict scores a pair with the sum this module computes — the prior's log2 odds plus the log2
Bayes factor of the level each comparison reaches — and its query is already one CASE chain per comparison.
Measured on 9.2 million candidate pairs (docs/benchmarks.md, "Batch scoring speed"), nearly all of predict's time is
those CASE chains: joining the pairs to both records costs a fraction of a second, the name comparisons'
Jaro–Winkler, split_part and list functions most of the rest. The same few names, places and spellings meet
again and again across pairs, so a comparison's expensive levels are evaluated once per distinct pair of
values instead of once per pair of records:

- for each comparison, the leading levels whose columns together take few distinct values over the file
  (given name, its skeleton and phonetic key; place and its words) form a memo key; each record gets a
  profile number for that key, and the levels are evaluated once per distinct (profile, profile) pair
  among the candidates, recording the first level that holds;
- the pair's CASE chain then reads "memo says level i" for those levels and evaluates the others (the
  swapped names, the shared word, which involve other columns) directly, in Splink's order. A level in the
  chain is reached only when every earlier level failed, so "the first memoised level that holds is i"
  is, there, the same test as "level i holds": each pair gets the level Splink gives it;
- expressions of one record's columns (split_part of a skeleton, length(...) >= 3) become per-record
  columns, computed once per record; a comparison on columns no record has is one constant weight;
- pairs are joined to records on integer row numbers, and only the weight leaves the join; the probability
  is computed for the pairs kept.

Measured on the same session, this takes about two thirds of predict's time and CPU (docs/benchmarks.md).

The levels' SQL and weights are read from Splink's own settings object built from the model, so this
follows changes to the comparisons and the model; tests/dedup/test_scoring.py holds its probabilities equal
to Splink's predict.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from crossroads.dedup.model import MatchModel

__all__ = ["ScoringLevel", "score_pairs", "scoring_levels"]

# A memo pays when values repeat across pairs. A key is widened level by level while it has at most 0.15
# profiles per record (given names: 4,448 for 123,103 records; family names 15,029; places 1,624; full
# dates of birth, 22,875, and whole names with the other field, 72,513, do not qualify); the memo is then
# kept only if the candidates hold at most 0.4 distinct pairs of profiles per pair (given names 0.07,
# family names 0.28, places 0.01, against 0.55 for dates of birth, measured on 9.2 million pairs).
MEMO_PROFILE_SHARE = 0.15
MEMO_PAIR_SHARE = 0.4


@dataclass(frozen=True, slots=True)
class ScoringLevel:
    """A level as Splink evaluates it: its condition (None: the else level), log2 Bayes factor, columns."""

    condition: str | None
    weight: float
    columns: frozenset[str] | None  # the record columns it reads (without _l/_r); None if not known
    costly: bool  # calls a function (similarity, list, string), so it is worth evaluating once per value pair


def scoring_levels(model: MatchModel, dialect: str = "duckdb") -> tuple[float, list[list[ScoringLevel]]]:
    """The prior's log2 odds and, per comparison, its levels in Splink's order (null level first)."""
    # Splink fills parameters the model leaves out (a level never observed) with its defaults, so the weights
    # come from Splink's settings object rather than from the model's m and u: the numbers predict uses.
    from splink.internals.settings_creator import SettingsCreator

    settings = SettingsCreator.from_path_or_dict(model.splink_settings(dialect)).get_settings(dialect)
    comparisons = []
    for comparison in settings.comparisons:
        levels = []
        for level in comparison.comparison_levels:
            if level._has_tf_adjustments:
                raise ValueError("term-frequency adjustments are not supported by the batch scoring query")
            if level._is_else_level:
                levels.append(ScoringLevel(None, float(level._log2_bayes_factor), frozenset(), False))
                continue
            columns, costly = _reads(level.sql_condition, dialect)
            levels.append(ScoringLevel(level.sql_condition, float(level._log2_bayes_factor), columns, costly))
        comparisons.append(levels)
    prior = settings._probability_two_random_records_match
    return math.log2(prior / (1 - prior)), comparisons


def _reads(condition: str, dialect: str) -> tuple[frozenset[str] | None, bool]:
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(condition, read=dialect)
    except sqlglot.errors.ParseError:
        return None, False
    names = [c.name for c in tree.find_all(exp.Column)]
    if not all(n.endswith(("_l", "_r")) for n in names):
        return None, False
    return frozenset(n[:-2] for n in names), any(_costly(f) for f in tree.find_all(exp.Func))


def _costly(node) -> bool:  # noqa: ANN001
    from sqlglot import exp

    # AND/OR, abs() and length() cost next to nothing per pair; similarity, string and list functions do not.
    return isinstance(node, exp.Func) and not isinstance(node, (exp.Connector, exp.Abs, exp.Length))


def _hoist(condition: str, hoisted: dict[str, str], dialect: str = "duckdb") -> str:
    """The condition with each costly expression of one record's columns read from a per-record column.

    split_part("given_skel_l", ' ', 1) is the same for every pair record l is in: computed once per record
    (as column _h0 of the people table, read as "_h0_l") rather than once per pair. `hoisted` maps each
    per-record expression's SQL to its column name and grows as conditions are rewritten.
    """
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(condition, read=dialect)

    def side(node) -> str | None:  # noqa: ANN001
        sides = {c.name[-1] for c in node.find_all(exp.Column)}
        return sides.pop() if len(sides) == 1 else None

    def rewrite(node):  # noqa: ANN001, ANN202
        s = side(node)
        calls = [f for f in node.find_all(exp.Func) if not isinstance(f, exp.Connector)]
        if s is None or not calls or isinstance(node, exp.Column):
            return node
        record = node.copy()
        for column in record.find_all(exp.Column):
            column.replace(exp.column(column.name[:-2], quoted=True))
        name = hoisted.setdefault(record.sql(dialect=dialect), f"_h{len(hoisted)}")
        return exp.column(f"{name}_{s}", quoted=True)

    def walk(node):  # noqa: ANN001, ANN202
        replaced = rewrite(node)
        if replaced is not node:
            return replaced
        for key, value in list(node.args.items()):
            if isinstance(value, exp.Expression):
                node.set(key, walk(value))
            elif isinstance(value, list):
                node.set(key, [walk(v) if isinstance(v, exp.Expression) else v for v in value])
        return node

    return walk(tree).sql(dialect=dialect)


def _sql_float(value: float) -> str:
    if math.isinf(value):
        return "'infinity'::DOUBLE" if value > 0 else "'-infinity'::DOUBLE"
    return f"CAST({value!r} AS DOUBLE)"


def _sides(columns: Sequence[str], key: str, side: str, table: str) -> str:
    cols = ", ".join(f'"{c}" AS "{c}_{side}"' for c in columns)
    return f"(SELECT {key} AS {key}_{side}, {cols} FROM {table})"  # noqa: S608


def _memo_plan(con, people: str, levels: Sequence[ScoringLevel], records: int, share: float) -> tuple[str, ...]:  # noqa: ANN001
    """The memo key of a comparison: the columns of its leading levels that take few distinct values."""
    key: frozenset[str] = frozenset()
    for level in levels:
        if level.condition is None or level.columns is None:
            continue
        wider = key | level.columns
        if wider == key:
            continue
        profiles = con.execute(f"SELECT count(*) FROM (SELECT DISTINCT {_quoted(sorted(wider))} FROM {people})"  # noqa: S608
                               ).fetchall()[0][0]
        if profiles <= share * records:
            key = wider
    memoised = [lv for lv in levels if lv.condition is not None and lv.columns is not None and lv.columns <= key]
    return tuple(sorted(key)) if any(lv.costly for lv in memoised) else ()


def _constant(con, people: str, levels: Sequence[ScoringLevel]) -> float | None:  # noqa: ANN001
    """The weight every pair gets when all records agree on every column the comparison reads, else None.

    A column no record has (documents, phones in most files) makes the comparison the same for every pair:
    its weight is found once instead of 9 million times, and its list columns stay out of the join.
    """
    if any(lv.columns is None for lv in levels):
        return None
    columns = sorted(set().union(*(lv.columns for lv in levels if lv.columns)))
    if not columns:
        return None
    if con.execute(f"SELECT count(*) FROM (SELECT DISTINCT {_quoted(columns)} FROM {people})").fetchall()[0][0] > 1:  # noqa: S608
        return None
    whens = " ".join(f"WHEN {lv.condition} THEN {_sql_float(lv.weight)}" for lv in levels if lv.condition is not None)
    otherwise = next((lv.weight for lv in levels if lv.condition is None), 0.0)
    row = con.execute(f"""
        SELECT CASE {whens} ELSE {_sql_float(otherwise)} END
        FROM {_sides(columns, 'rid', 'l', people)} AS l, {_sides(columns, 'rid', 'r', people)} AS r LIMIT 1
    """).fetchall()  # noqa: S608
    return float(row[0][0]) if row else None


def score_pairs(con, model: MatchModel, *, pairs: str, people: str, columns: Sequence[str], threshold: float,  # noqa: ANN001
                out: str = "scored_pairs", memo_profiles: float = MEMO_PROFILE_SHARE,
                memo_pairs: float = MEMO_PAIR_SHARE) -> str:
    """Score pairs (rid_l, rid_r) of table `pairs` against `people` (rid, columns...) on a DuckDB connection.

    Creates table `out` (rid_l, rid_r, match_weight, match_probability) with the pairs at or above threshold
    and returns its name. Table and column names are ours, never input.
    """
    prior, comparisons = scoring_levels(model)
    records = con.execute(f"SELECT count(*) FROM {people}").fetchall()[0][0]  # noqa: S608
    candidates = con.execute(f"SELECT count(*) FROM {pairs}").fetchall()[0][0]  # noqa: S608
    constants = {i: w for i, levels in enumerate(comparisons) if (w := _constant(con, people, levels)) is not None}
    plans = {i: key for i, levels in enumerate(comparisons)
             if i not in constants and (key := _memo_plan(con, people, levels, records, memo_profiles))}
    memoised: dict[int, set[int]] = {}
    table = people
    temporary = []
    if plans:
        ranks = ", ".join(f"dense_rank() OVER (ORDER BY {_quoted(key)}) AS _p{i}" for i, key in plans.items())
        table = "_scoring_people"
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT *, {ranks} FROM {people}")  # noqa: S608
        temporary.append(table)
    joins = []
    for i, key in list(plans.items()):
        levels = comparisons[i]
        chosen = {j for j, lv in enumerate(levels)
                  if lv.condition is not None and lv.columns is not None and lv.columns <= set(key)}
        if _build_memo(con, i, levels, chosen, key, pairs=pairs, table=table, most=memo_pairs * candidates):
            memoised[i] = chosen
            temporary.append(f"_memo{i}")
            joins.append(f"JOIN _memo{i} ON _memo{i}.pl = l._p{i}_l AND _memo{i}.pr = r._p{i}_r")
        else:
            del plans[i]
    hoisted: dict[str, str] = {}
    per_pair = {(i, j): _hoist(lv.condition, hoisted) for i, levels in enumerate(comparisons) if i not in constants
                for j, lv in enumerate(levels) if lv.condition is not None and j not in memoised.get(i, ())}
    if hoisted:
        exprs = ", ".join(f'{expr} AS "{name}"' for expr, name in hoisted.items())
        con.execute(f"CREATE OR REPLACE TEMP TABLE _scoring_hoisted AS SELECT *, {exprs} FROM {table}")  # noqa: S608
        table = "_scoring_hoisted"
        temporary.append(table)
    cases = []
    for i, levels in enumerate(comparisons):
        if i in constants:
            cases.append(_sql_float(constants[i]))
            continue
        whens = []
        for j, lv in enumerate(levels):
            if lv.condition is None:
                continue
            if j in memoised.get(i, ()):
                whens.append(f"WHEN _memo{i}.g = {j} THEN {_sql_float(lv.weight)}")
            else:
                whens.append(f"WHEN {per_pair[(i, j)]} THEN {_sql_float(lv.weight)}")
        otherwise = next((lv.weight for lv in levels if lv.condition is None), 0.0)
        cases.append(f"(CASE {' '.join(whens)} ELSE {_sql_float(otherwise)} END)")
    weight = " + ".join([_sql_float(prior), *cases])
    # Splink keeps a pair when its weight reaches the threshold's log2 odds; so does this query.
    if threshold <= 0:
        threshold_weight = -math.inf
    elif threshold >= 1:
        threshold_weight = math.inf
    else:
        threshold_weight = math.log2(threshold / (1 - threshold))
    side_columns = [*columns, *(f"_p{i}" for i in plans), *hoisted.values()]
    # Joined in the order written: the pairs probe each side's records, then each memo. Left to the optimiser,
    # a memo can be joined to one side's records before the pairs, a blow-up (tens of GB spilled, measured).
    con.execute("SET disabled_optimizers = 'join_order'")
    try:
        con.execute(f"""
        CREATE OR REPLACE TABLE {out} AS
        SELECT rid_l, rid_r, match_weight,
               CASE WHEN match_weight >= 0 THEN 1.0 / (1.0 + pow(2.0, -match_weight))
                    ELSE pow(2.0, match_weight) / (1.0 + pow(2.0, match_weight)) END AS match_probability
        FROM (
            SELECT p.rid_l, p.rid_r, {weight} AS match_weight
            FROM {pairs} AS p
            JOIN {_sides(side_columns, 'rid', 'l', table)} AS l USING (rid_l)
            JOIN {_sides(side_columns, 'rid', 'r', table)} AS r USING (rid_r)
            {' '.join(joins)}
        )
        WHERE match_weight >= {_sql_float(threshold_weight)}
        """)  # noqa: S608
    finally:
        con.execute("RESET disabled_optimizers")
    for name in reversed(temporary):
        con.execute(f"DROP TABLE IF EXISTS {name}")
    return out


def _quoted(columns: Sequence[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


def _build_memo(con, i: int, levels: Sequence[ScoringLevel], memoised: set[int], key: Sequence[str], *,  # noqa: ANN001
                pairs: str, table: str, most: float) -> bool:
    """_memo{i}(pl, pr, g): per distinct pair of profiles among the candidates, the first memoised level that holds.

    Returns False, building nothing, when the candidates hold more than `most` distinct pairs of profiles.
    """
    p = f"_p{i}"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _memo_pairs AS
        SELECT DISTINCT l.{p} AS pl, r.{p} AS pr
        FROM {pairs} AS c JOIN {table} AS l ON l.rid = c.rid_l JOIN {table} AS r ON r.rid = c.rid_r
    """)  # noqa: S608
    try:
        if con.execute("SELECT count(*) FROM _memo_pairs").fetchall()[0][0] > most:
            return False
        whens = " ".join(f"WHEN {levels[j].condition} THEN {j}" for j in sorted(memoised))
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _memo{i} AS
            WITH reps AS (SELECT {p} AS pid, min(rid) AS rid FROM {table} GROUP BY {p}),
            profiles AS (SELECT reps.pid, {_quoted(key)} FROM reps JOIN {table} USING (rid))
            SELECT pl, pr, CASE {whens} ELSE NULL END AS g
            FROM _memo_pairs
            JOIN {_sides(key, 'pid', 'l', 'profiles')} AS l ON l.pid_l = pl
            JOIN {_sides(key, 'pid', 'r', 'profiles')} AS r ON r.pid_r = pr
        """)  # noqa: S608
        return True
    finally:
        con.execute("DROP TABLE _memo_pairs")
