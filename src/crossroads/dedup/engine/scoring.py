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
  is computed for the pairs kept;
- only pairs at or above the threshold are returned, so a pair that cannot reach it is dropped before its
  costly levels are evaluated. The pairs are scored in stages — the comparisons without memos, then each
  memoised one, its memo built for the pairs still left — and a stage adds a comparison's exact weight
  where its levels are cheap to test (or memoised), else an upper bound: the weight of the first level
  known to hold, or of a costly level before it whose cheap conjuncts hold. A pair is kept while that sum
  plus the most the later comparisons can give reaches the threshold; the costly levels (Jaro–Winkler of
  swapped names, shared words, Levenshtein of dates) are evaluated, in Splink's CASE chains, for the pairs
  left — 7% of the candidates at a threshold of 0.9 on 100,000 synthetic people.

Measured side by side on 11.3 million candidates, the staged scoring took about a third of the time of the
single memoised query it replaced (docs/benchmarks.md, "Batch scoring speed"), which took two thirds of
predict's.

The levels' SQL and weights are read from Splink's own settings object built from the model, so this
follows changes to the comparisons and the model; tests/dedup/test_scoring.py holds its probabilities equal
to Splink's predict.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from crossroads.dedup.engine.model import MatchModel

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection
    from sqlglot import exp

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


def _costly(node: exp.Expr) -> bool:
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

    def side(node: exp.Expr) -> str | None:
        sides = {c.name[-1] for c in node.find_all(exp.Column)}
        return sides.pop() if len(sides) == 1 else None

    def rewrite(node: exp.Expr) -> exp.Expr:
        s = side(node)
        calls = [f for f in node.find_all(exp.Func) if not isinstance(f, exp.Connector)]
        if s is None or not calls or isinstance(node, exp.Column):
            return node
        record = node.copy()
        for column in record.find_all(exp.Column):
            column.replace(exp.column(column.name[:-2], quoted=True))
        name = hoisted.setdefault(record.sql(dialect=dialect), f"_h{len(hoisted)}")
        return exp.column(f"{name}_{s}", quoted=True)

    def walk(node: exp.Expr) -> exp.Expr:
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


class _Distinct:
    """How many distinct values the people's columns take: counted once, for the memo plan and the constants."""

    def __init__(self, con: DuckDBPyConnection, people: str, columns: frozenset[str]) -> None:
        self.con, self.people = con, people
        self.counts: dict[frozenset[str], int] = {}
        self.read = columns
        self.columns: dict[str, tuple[int, bool, int]] = {}  # column: (records, at most one value, values present)

    def __call__(self, columns: frozenset[str]) -> int:
        """Distinct combinations of these columns' values, NULL included; only sizes the memos.

        Counted on a hash of the values, which is twice as fast on several string and list columns; a
        collision could only make a memo look smaller than it is.
        """
        if columns not in self.counts:
            self.counts[columns] = self.con.execute(
                f"SELECT count(DISTINCT hash({_quoted(sorted(columns))})) FROM {self.people}"  # noqa: S608
            ).fetchall()[0][0]
        return self.counts[columns]

    def constant(self, columns: frozenset[str]) -> bool:
        """Whether every record has the same value (or none) in each of these columns, counted exactly."""
        if not self.columns:  # all the columns the levels read, in one scan
            missing = sorted(self.read | columns)
            # One value at most: its least and greatest are the same (a min and a max are cheaper than a
            # count of distinct values).
            stats = ", ".join(f'min("{c}") IS NOT DISTINCT FROM max("{c}"), count("{c}")' for c in missing)
            row = self.con.execute(f"SELECT count(*), {stats} FROM {self.people}").fetchall()[0]  # noqa: S608
            self.columns = {c: (row[0], row[1 + 2 * k], row[2 + 2 * k]) for k, c in enumerate(missing)}
        return all(single and present in (0, records) for records, single, present in
                   (self.columns[c] for c in columns))


def _memo_plan(distinct: _Distinct, levels: Sequence[ScoringLevel], records: int, share: float) -> tuple[str, ...]:
    """The memo key of a comparison: the columns of its leading levels that take few distinct values."""
    key: frozenset[str] = frozenset()
    for level in levels:
        if level.condition is None or level.columns is None:
            continue
        wider = key | level.columns
        if wider != key and distinct(wider) <= share * records:
            key = wider
    memoised = [lv for lv in levels if lv.condition is not None and lv.columns is not None and lv.columns <= key]
    return tuple(sorted(key)) if any(lv.costly for lv in memoised) else ()


def _constant(con: DuckDBPyConnection, distinct: _Distinct, people: str,
              levels: Sequence[ScoringLevel]) -> float | None:
    """The weight every pair gets when all records agree on every column the comparison reads, else None.

    A column no record has (documents, phones in most files) makes the comparison the same for every pair:
    its weight is found once instead of 9 million times, and its list columns stay out of the join.
    """
    if any(lv.columns is None for lv in levels):
        return None
    columns = frozenset().union(*(lv.columns for lv in levels if lv.columns))
    if not columns or not distinct.constant(columns):
        return None
    whens = " ".join(f"WHEN {lv.condition} THEN {_sql_float(lv.weight)}" for lv in levels if lv.condition is not None)
    otherwise = next((lv.weight for lv in levels if lv.condition is None), 0.0)
    row = con.execute(f"""
        SELECT CASE {whens} ELSE {_sql_float(otherwise)} END
        FROM {_sides(sorted(columns), 'rid', 'l', people)} AS l, {_sides(sorted(columns), 'rid', 'r', people)} AS r
        LIMIT 1
    """).fetchall()  # noqa: S608
    return float(row[0][0]) if row else None


def _threshold_weight(threshold: float) -> float:
    # Splink keeps a pair when its weight reaches the threshold's log2 odds; so does this query.
    if threshold <= 0:
        return -math.inf
    if threshold >= 1:
        return math.inf
    return math.log2(threshold / (1 - threshold))


def score_pairs(con: DuckDBPyConnection, model: MatchModel, *, pairs: str, people: str, columns: Sequence[str],
                threshold: float, out: str = "scored_pairs", memo_profiles: float = MEMO_PROFILE_SHARE,
                memo_pairs: float = MEMO_PAIR_SHARE, prune: bool = True) -> str:
    """Score pairs (rid_l, rid_r) of table `pairs` against `people` (rid, columns...) on a DuckDB connection.

    Creates table `out` (rid_l, rid_r, match_weight, match_probability) with the pairs at or above threshold
    and returns its name. With `prune=False` every comparison of every pair is evaluated (no bounds, one
    query). Table and column names are ours, never input.
    """
    prior, comparisons = scoring_levels(model)
    records = con.execute(f"SELECT count(*) FROM {people}").fetchall()[0][0]  # noqa: S608
    candidates = con.execute(f"SELECT count(*) FROM {pairs}").fetchall()[0][0]  # noqa: S608
    distinct = _Distinct(con, people, frozenset().union(*(lv.columns or () for levels in comparisons for lv in levels)))
    constants = {i: w for i, levels in enumerate(comparisons)
                 if (w := _constant(con, distinct, people, levels)) is not None}
    keys = {i: key for i, levels in enumerate(comparisons)
            if i not in constants and (key := _memo_plan(distinct, levels, records, memo_profiles))}
    threshold_weight = _threshold_weight(threshold)
    settings = {name: con.execute(f"SELECT current_setting('{name}')").fetchall()[0][0]
                for name in ("disabled_optimizers", "preserve_insertion_order")}
    plan = _Plan(comparisons, keys, candidates, memo_pairs)
    try:
        # Joined in the order written: the pairs probe each side's records, then each memo. Left to the
        # optimiser, a memo can be joined to one side's records before the pairs, a blow-up (tens of GB
        # spilled, measured). The order of the rows of the tables made here does not matter, and keeping
        # it costs a sink that writes in order.
        con.execute("SET disabled_optimizers = 'join_order'")
        con.execute("SET preserve_insertion_order = false")
        plan.prepare(con, people, columns)
        terms = [_sql_float(prior)]
        if prune and threshold_weight > -math.inf:
            source, exact = _prune(con, plan, pairs=pairs, prior=prior, constants=constants,
                                   threshold_weight=threshold_weight)
            joins = ""
        else:
            source, exact, joins = pairs, {}, ""
            for i in plan.scored(constants):
                if i in keys and plan.memo(con, i, pairs):
                    joins += f" {plan.memo_join(i)}"
                exact[i] = _case(plan.chain(i), plan.otherwise(i))
        # Summed in the comparisons' order, as Splink sums them.
        terms += [_sql_float(constants[i]) if i in constants else exact[i] for i in range(len(comparisons))]
        con.execute(f"""
        CREATE OR REPLACE TABLE {out} AS
        SELECT rid_l, rid_r, match_weight,
               CASE WHEN match_weight >= 0 THEN 1.0 / (1.0 + pow(2.0, -match_weight))
                    ELSE pow(2.0, match_weight) / (1.0 + pow(2.0, match_weight)) END AS match_probability
        FROM (SELECT s.rid_l, s.rid_r, {' + '.join(terms)} AS match_weight
              FROM {source} AS s JOIN {plan.left} AS l USING (rid_l) JOIN {plan.right} AS r USING (rid_r){joins})
        WHERE match_weight >= {_sql_float(threshold_weight)}
        """)  # noqa: S608
    finally:
        for name, value in settings.items():
            con.execute(f"SET {name} = '{value}'")
        for name in reversed(plan.temporary):
            con.execute(f"DROP TABLE IF EXISTS {name}")
    return out


@dataclass
class _Plan:
    """What the scoring queries read: the levels' per-pair SQL, the memos, the two sides of a pair."""

    comparisons: list[list[ScoringLevel]]
    keys: dict[int, tuple[str, ...]]  # memo keys by comparison
    candidates: int
    memo_pairs: float
    table: str = ""
    left: str = ""
    right: str = ""
    per_pair: dict[tuple[int, int], str] = field(default_factory=dict)
    profiles: dict[int, int] = field(default_factory=dict)
    memoised: dict[int, set[int]] = field(default_factory=dict)
    temporary: list[str] = field(default_factory=list)

    def scored(self, constants: dict[int, float]) -> list[int]:
        return [i for i in range(len(self.comparisons)) if i not in constants]

    def prepare(self, con: DuckDBPyConnection, people: str, columns: Sequence[str]) -> None:
        """Profile numbers for the memo keys and per-record columns, in one table of the people."""
        table = people
        if self.keys:
            # Numbered by grouping and joining back (null-safe: a missing name is a profile too), several
            # times faster than a dense_rank per key, which sorts the people on strings.
            joins = []
            for i, key in self.keys.items():
                numbered = (f"(SELECT *, row_number() OVER () AS _p{i} FROM "  # noqa: S608
                            f"(SELECT DISTINCT {_quoted(key)} FROM {people})) AS _k{i}")
                on = " AND ".join(f'p."{c}" IS NOT DISTINCT FROM _k{i}."{c}"' for c in key)
                joins.append(f"JOIN {numbered} ON {on}")
            ranks = ", ".join(f"_p{i}" for i in self.keys)
            self.temporary.append("_scoring_people")
            con.execute(f"CREATE OR REPLACE TEMP TABLE _scoring_people AS SELECT p.*, {ranks} "  # noqa: S608
                        f"FROM {people} AS p {' '.join(joins)}")
            table = "_scoring_people"
            row = con.execute(f"SELECT {', '.join(f'max(_p{i})' for i in self.keys)} FROM {table}").fetchall()[0]  # noqa: S608
            self.profiles = dict(zip(self.keys, row, strict=True))
        hoisted: dict[str, str] = {}
        self.per_pair = {(i, j): _hoist(lv.condition, hoisted) for i, levels in enumerate(self.comparisons)
                         for j, lv in enumerate(levels) if lv.condition is not None}
        if hoisted:
            exprs = ", ".join(f'{expr} AS "{name}"' for expr, name in hoisted.items())
            self.temporary.append("_scoring_hoisted")
            con.execute(f"CREATE OR REPLACE TEMP TABLE _scoring_hoisted AS SELECT *, {exprs} FROM {table}")  # noqa: S608
            table = "_scoring_hoisted"
        self.table = table
        side_columns = [*columns, *(f"_p{i}" for i in self.keys), *hoisted.values()]
        self.left, self.right = _sides(side_columns, "rid", "l", table), _sides(side_columns, "rid", "r", table)

    def memo(self, con: DuckDBPyConnection, i: int, pairs: str) -> bool:
        """Build comparison i's memo over these pairs; False if they hold too many distinct pairs of profiles.

        The limit is a share of all the candidates, also when the memo is built for the pairs an earlier
        stage left (see _prune): those hold fewer distinct pairs of values, in a larger share of their number.
        """
        levels, key = self.comparisons[i], self.keys[i]
        chosen = {j for j, lv in enumerate(levels)
                  if lv.condition is not None and lv.columns is not None and lv.columns <= set(key)}
        self.temporary.append(f"_memo{i}")
        if not _build_memo(con, i, levels, chosen, key, pairs=pairs, table=self.table,
                           most=self.memo_pairs * self.candidates, width=self.profiles[i] + 1):
            return False
        self.memoised[i] = chosen
        return True

    def memo_join(self, i: int) -> str:
        # One integer key per pair of profiles: a hash join on one column probes faster than on two.
        return (f"JOIN (SELECT k AS _k{i}, g AS _g{i} FROM _memo{i}) "  # noqa: S608
                f"ON _k{i} = l._p{i}_l * {self.profiles[i] + 1} + r._p{i}_r")

    def chain(self, i: int) -> list[tuple[float, str]]:
        memoised = self.memoised.get(i, set())
        return [(lv.weight, f"_g{i} = {j}" if j in memoised else self.per_pair[(i, j)])
                for j, lv in enumerate(self.comparisons[i]) if lv.condition is not None]

    def otherwise(self, i: int) -> float:
        return next((lv.weight for lv in self.comparisons[i] if lv.condition is None), 0.0)

    def costly(self, i: int) -> dict[int, str | None]:
        """The levels of comparison i evaluated per pair at some cost, each with a cheap condition it needs."""
        memoised = self.memoised.get(i, set())
        return {j: _necessary(self.per_pair[(i, j)]) for j, lv in enumerate(self.comparisons[i])
                if lv.condition is not None and j not in memoised and not _cheap(self.per_pair[(i, j)])}


def _prune(con: DuckDBPyConnection, plan: _Plan, *, pairs: str, prior: float, constants: dict[int, float],
           threshold_weight: float) -> tuple[str, dict[int, str]]:
    """Drop, stage by stage, the pairs that cannot reach the threshold; returns their table and what is left.

    A stage gives each pair the weight of some comparisons — exact (_w{i}) where their levels are cheap to
    test or memoised, else an upper bound (added to _bound) — and keeps the pair only if those, the weights
    of earlier stages and the most that the comparisons of later stages can give reach the threshold. The
    comparisons without memos come first, then the memoised ones, fewest profiles first, each memo built
    for the pairs still left (so over fewer pairs of values). At a threshold of 0.9 a few percent of the
    candidates are left for the costly levels. Returns the last stage's table (rid_l, rid_r, the _w{i},
    the memo levels the costly levels' chains need) and each comparison's term of the weight.
    """
    scored = plan.scored(constants)
    stages = [[i for i in scored if i not in plan.keys],
              *([i] for i in sorted(plan.keys, key=lambda i: plan.profiles[i]))]
    stages = [stage for stage in stages if stage]
    most = {i: max(lv.weight for lv in plan.comparisons[i]) for i in scored}
    fixed = prior + sum(constants.values())
    carried: list[str] = []  # columns of the stage tables: _w{i}, and _g{i} for the chains still to evaluate
    terms: dict[int, str] = {}
    source = pairs
    for n, stage in enumerate(stages):
        joins, derived, weights, bounds, kept = "", [], [], [], list(carried)
        for i in stage:
            if i in plan.keys and plan.memo(con, i, source):
                joins += f" {plan.memo_join(i)}"
                derived.append(f"_g{i}")
            levels, costly = plan.comparisons[i], plan.costly(i)
            derived.append(f"{_first(i, levels, plan.memoised.get(i, set()), plan.per_pair, costly)} AS _f{i}")
            derived.extend(f"({needed}) AS _n{i}_{j}" for j, needed in costly.items() if needed is not None)
            if costly:
                bounds.append(_bound(i, levels, costly))
                terms[i] = _case(plan.chain(i), plan.otherwise(i))
                if i in plan.memoised:
                    kept.append(f"_g{i}")
            else:
                weights.append(f"({_sql_list([lv.weight for lv in levels])})[_f{i} + 1] AS _w{i}")
                terms[i] = f"_w{i}"
        inner = ["s.rid_l", "s.rid_r", *(f"s.{c}" for c in carried), *(["s._bound AS _bound_s"] if n else []),
                 *derived]
        outer = ["rid_l", "rid_r", *kept, *weights, f"{' + '.join(['_bound_s' if n else '0.0', *bounds])} AS _bound"]
        carried = kept + [f"_w{i}" for i in stage if terms[i] == f"_w{i}"]
        known = " + ".join([_sql_float(fixed), *(c for c in carried if c.startswith("_w"))])
        # The bound is summed in another order than the final weight; a margin far above rounding error keeps
        # a pair whose weight lands on the threshold itself (the final filter is exact).
        later = sum(most[i] for later_stage in stages[n + 1:] for i in later_stage) + 1e-9
        name = f"_scoring_stage{n}"
        plan.temporary.append(name)
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE {name} AS
            SELECT * FROM (
                SELECT {', '.join(outer)}
                FROM (SELECT {', '.join(inner)}
                      FROM {source} AS s JOIN {plan.left} AS l USING (rid_l)
                      JOIN {plan.right} AS r USING (rid_r){joins}))
            WHERE {known} + _bound >= {_sql_float(threshold_weight - later)}
        """)  # noqa: S608
        source = name
    return source, terms


def _case(chain: Sequence[tuple[float, str]], otherwise: float) -> str:
    whens = " ".join(f"WHEN {condition} THEN {_sql_float(weight)}" for weight, condition in chain)
    return f"(CASE {whens} ELSE {_sql_float(otherwise)} END)"


def _first(i: int, levels: Sequence[ScoringLevel], memoised: set[int], per_pair: dict[tuple[int, int], str],
           costly: dict[int, str | None]) -> str:
    """The first level of comparison i known to hold from its memo and cheap conditions (the else level's if none).

    The memo's level is the first memoised level that holds, the CASE's the first cheap one: the first of
    the two is the first level that surely holds. A costly level before it may hold too (see _bound).
    """
    last = len(levels) - 1
    cheap = [f"WHEN {per_pair[(i, j)]} THEN {j}" for j, lv in enumerate(levels)
             if lv.condition is not None and j not in memoised and j not in costly]
    parts = [f"coalesce(_g{i}, {last})"] if memoised else []
    if cheap:
        parts.append(f"CASE {' '.join(cheap)} ELSE {last} END")
    if not parts:
        return str(last)
    return parts[0] if len(parts) == 1 else f"least({', '.join(parts)})"


def _bound(i: int, levels: Sequence[ScoringLevel], costly: dict[int, str | None]) -> str:
    """The most comparison i can give a pair, from the first level known to hold (_f{i}) and cheap conditions.

    Splink gives a pair the weight of the first level that holds: the level _f{i}, unless a costly level
    before it holds. A costly level that needs a cheap condition (one of its conjuncts) cannot hold when that
    condition is not true (false or NULL: a NULL condition does not hold in Splink's CASE either); the
    greatest of the weights still possible bounds the pair's.
    """
    if levels[-1].condition is not None:
        raise ValueError("a comparison's else level comes last")
    weights = [lv.weight for lv in levels]
    terms = [f"({_sql_list(weights)})[_f{i} + 1]"]
    for j in sorted(costly):
        if weights[j] <= min(weights[j + 1:]):  # whichever level comes after gives at least as much
            continue
        needed = f" AND _n{i}_{j}" if costly[j] is not None else ""
        terms.append(f"CASE WHEN _f{i} > {j}{needed} THEN {_sql_float(weights[j])} END")
    return f"greatest({', '.join(terms)})" if len(terms) > 1 else terms[0]


def _sql_list(values: Sequence[float]) -> str:
    return f"[{', '.join(_sql_float(v) for v in values)}]"


@functools.cache
def _cheap(condition: str, dialect: str = "duckdb") -> bool:
    import sqlglot

    return _quick(sqlglot.parse_one(condition, read=dialect))


def _quick(node: exp.Expr) -> bool:
    from sqlglot import exp

    # Tested on every pair a stage reads. A prefix test is not free (starts_with both ways costs about half a
    # CPU second on 11 million pairs), but bounding the date of birth's prefix level by its weight instead
    # left 8.1 million of 11.3 million candidates after the first stage, against 6.2 million, and 1.5
    # million for the costly levels against 0.8 million (threshold 0.9, 100,000 synthetic people).
    return not any(_costly(f) and not isinstance(f, exp.StartsWith) for f in node.find_all(exp.Func))


@functools.cache
def _necessary(condition: str, dialect: str = "duckdb") -> str | None:
    """A cheap condition that is true whenever `condition` is (its cheap conjuncts), or None if none is found."""
    import sqlglot
    from sqlglot import exp

    def walk(node: exp.Expr) -> exp.Expr | None:
        if isinstance(node, exp.Paren):
            return walk(node.this)
        if isinstance(node, exp.And):
            parts = [p for p in (walk(node.this), walk(node.expression)) if p is not None]
            return exp.and_(*parts) if parts else None
        if isinstance(node, exp.Or):
            either = [walk(node.this), walk(node.expression)]
            return None if None in either else exp.or_(*either)
        return node if _quick(node) else None

    found = walk(sqlglot.parse_one(condition, read=dialect))
    return None if found is None else found.sql(dialect=dialect)


def _quoted(columns: Sequence[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


def _build_memo(con: DuckDBPyConnection, i: int, levels: Sequence[ScoringLevel], memoised: set[int],
                key: Sequence[str], *,
                pairs: str, table: str, most: float, width: int) -> bool:
    """_memo{i}(k, g): per distinct pair of profiles (pl, pr) among the pairs, k = pl * width + pr and the
    first memoised level that holds.

    Returns False, building nothing, when the pairs hold more than `most` distinct pairs of profiles.
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
            SELECT pl * {width} + pr AS k, CASE {whens} ELSE NULL END AS g
            FROM _memo_pairs
            JOIN {_sides(key, 'pid', 'l', 'profiles')} AS l ON l.pid_l = pl
            JOIN {_sides(key, 'pid', 'r', 'profiles')} AS r ON r.pid_r = pr
        """)  # noqa: S608
        return True
    finally:
        con.execute("DROP TABLE _memo_pairs")
