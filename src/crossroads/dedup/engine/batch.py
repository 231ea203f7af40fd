"""The batch engine: people in, scored duplicate pairs and clusters out, on Splink (DuckDB or Spark).

Steps: validate the CSV; compute each record's features and blocking keys (keys.py, the same as the online
check); generate candidate pairs by joining records that share a key; train the Fellegi–Sunter model
unsupervised or take a saved one (model.py); calibrate the probabilities on the candidates and choose the
threshold from them (calibration.py); score the candidates with our comparisons (comparisons.py); keep
pairs at or above the threshold; cluster them by connected components.

Splink trains the model; the candidates are scored by scoring.score_pairs, one DuckDB query generated from
the model's Splink settings that gives Splink's probabilities several times faster than Splink's predict
(measured in docs/benchmarks.md, "Duplicates").
"""

from __future__ import annotations

import csv
import dataclasses
import logging
import math
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from crossroads.dedup.engine import calibration as cal
from crossroads.dedup.engine.comparisons import feature_columns
from crossroads.dedup.engine.keys import BROAD_KINDS, PersonRecord, blocking_keys, features, read_date
from crossroads.dedup.engine.model import MatchModel, probability
from crossroads.dedup.engine.scoring import score_pairs, scoring_levels
from crossroads.kit import spreadsheet

if TYPE_CHECKING:
    import pyarrow as pa
    from splink import Linker

__all__ = [
    "BatchResult", "CsvError", "DEFAULT_THRESHOLD", "INPUT_COLUMNS", "MIN_TRAINING_RECORDS", "OPTIONAL_COLUMNS",
    "TrainingError", "candidate_pairs_sql", "dirty_values", "read_labels", "read_people_csv", "run_batch",
    "train_model", "write_outputs",
]

INPUT_COLUMNS = ("id", "given_name", "family_name", "date_of_birth", "sex", "nationality", "place")
# Evidence beyond names, read when the file has them: one document (its type and number) and one phone a row.
OPTIONAL_COLUMNS = ("document_type", "document_number", "phone")
_NATIONALITY = re.compile(r"^[A-Za-z]{3}$")
# Undecodable bytes are read as lone surrogates (errors="surrogateescape") so the row and column can be named.
_UNDECODED = re.compile("[\udc80-\udcff]")
# A broad blocking key (keys.BROAD_KINDS, see keys.blocking_keys) shared by more records than this is a name too
# common to compare on alone: its pairs are left to the other keys.
_BROAD_KEY_LIMIT = 300
Progress = Callable[[str], None]
# The threshold when the probabilities could not be calibrated (too few candidates): the shipped model's.
DEFAULT_THRESHOLD = 0.9
# Below this many records a batch that trains by default keeps its starting model: EM on a few hundred
# people sees too few duplicates to estimate m (it fails, or drives levels to 0). --train still tries.
MIN_TRAINING_RECORDS = 1000
# Calibration fits a two-class mixture on the candidates' comparison vectors: below this many candidates,
# or this few expected matches among them, the fit has too little to go on.
MIN_CALIBRATION_PAIRS = 500
MIN_CALIBRATION_MATCHES = 20.0
# The calibration evaluates every level of every comparison for each pair it reads: beyond this many
# candidates it reads a uniform random sample (its counts scaled up), which estimates the shares per band
# as well at a fraction of the cost.
CALIBRATION_SAMPLE = 1_000_000


class TrainingError(RuntimeError):
    """Unsupervised training could not estimate the model from these records."""


class CsvError(ValueError):
    """A malformed input CSV: names the row (1 = header) and the column at fault."""

    def __init__(self, row: int, column: str, message: str) -> None:
        super().__init__(message if row == 0 else f"row {row}, column {column}: {message}")
        self.row, self.column, self.message = row, column, message


def read_people_csv(path: Path) -> list[PersonRecord]:
    """Read a people CSV; raises CsvError, naming the row and column, when it is not a CSV of people.

    Only the id column is required; a person column the header lacks counts as empty on every row. Values are
    data, not errors: a date or a nationality that does not parse is kept as written (see dirty_values).
    """
    try:
        handle = open(path, newline="", encoding="utf-8-sig", errors="surrogateescape")  # noqa: SIM115
    except OSError as exc:
        raise CsvError(0, "-", f"cannot read {path}: {exc.strerror}") from None
    with handle:
        reader = csv.reader(handle)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise CsvError(1, "-", "the file is empty; expected a header row") from None
        except csv.Error as exc:
            raise CsvError(1, "-", f"unreadable: {exc}") from None
        for i, name in enumerate(header):
            if _UNDECODED.search(name):
                raise CsvError(1, f"#{i + 1}", "not UTF-8 text")
        if "id" not in header:
            raise CsvError(1, "id", f"missing column; the header needs id, and reads {', '.join(INPUT_COLUMNS[1:])}")
        known = INPUT_COLUMNS + OPTIONAL_COLUMNS
        dupes = {h for h in header if header.count(h) > 1 and h in known}
        if dupes:
            raise CsvError(1, sorted(dupes)[0], "column appears twice in the header")
        index = {c: header.index(c) for c in known if c in header}
        records: list[PersonRecord] = []
        seen: dict[str, int] = {}
        row_no = 1
        try:
            for row_no, row in enumerate(reader, start=2):
                if not row:
                    continue
                if len(row) != len(header):
                    raise CsvError(row_no, "-", f"has {len(row)} fields, the header has {len(header)}")
                for i, value in enumerate(row):
                    if _UNDECODED.search(value):
                        raise CsvError(row_no, header[i] or f"#{i + 1}", "not UTF-8 text")
                values = {c: row[i].strip() for c, i in index.items()}
                records.append(_record(row_no, values, seen))
        except csv.Error as exc:
            raise CsvError(row_no + 1, "-", f"unreadable: {exc}") from None
    return records


LABEL_COLUMNS = ("cluster", "true_id")


def read_labels(path: Path, *, optional: bool = False) -> dict[str, str] | None:
    """The true person of each record (id -> cluster or true_id), for evaluation; None if optional and absent."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [h.strip() for h in next(reader, [])]
            column = next((c for c in LABEL_COLUMNS if c in header), None)
            if column is None or "id" not in header:
                if optional:
                    return None
                raise CsvError(1, "id" if "id" not in header else LABEL_COLUMNS[0],
                               f"missing column; labels need id and {' or '.join(LABEL_COLUMNS)}")
            at, label_at = header.index("id"), header.index(column)
            labels: dict[str, str] = {}
            for row_no, row in enumerate(reader, start=2):
                if not row:
                    continue
                if len(row) != len(header):
                    raise CsvError(row_no, "-", f"has {len(row)} fields, the header has {len(header)}")
                if not row[label_at].strip():
                    raise CsvError(row_no, column, "empty; every labelled row needs its true person")
                labels[row[at].strip()] = row[label_at].strip()
    except OSError as exc:
        raise CsvError(0, "-", f"cannot read {path}: {exc.strerror}") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise CsvError(0, "-", f"unreadable: {exc}") from None
    return labels


def _record(row_no: int, v: dict[str, str], seen: dict[str, int]) -> PersonRecord:
    if not v["id"]:
        raise CsvError(row_no, "id", "empty; every row needs an id")
    if v["id"] in seen:
        raise CsvError(row_no, "id", f"already used on row {seen[v['id']]}")
    seen[v["id"]] = row_no
    number = v.get("document_number", "")
    return PersonRecord(
        id=v["id"], given_name=v.get("given_name") or None, family_name=v.get("family_name") or None,
        date_of_birth=v.get("date_of_birth") or None, sex=v.get("sex") or None,
        nationality=v.get("nationality") or None, place=v.get("place") or None,
        documents=(number,) if number else (), document_types=(v.get("document_type", ""),) if number else (),
        phones=(v["phone"],) if v.get("phone") else (),
    )


def dirty_values(records: Iterable[PersonRecord]) -> dict[str, int]:
    """How many dates of birth and nationalities are not in the documented form, and so are kept as written.

    A date is compared by its digits as text and by the parts that can be read (keys.read_date); a nationality
    that is not an ISO 3166 alpha-3 code is compared as written, upper-case, so the same misspelling agrees.
    """
    dates = nationalities = 0
    for rec in records:
        if rec.date_of_birth and not read_date(rec.date_of_birth).strict:
            dates += 1
        if rec.nationality and not _NATIONALITY.match(rec.nationality):
            nationalities += 1
    return {"dates_unparsed": dates, "nationalities_unparsed": nationalities}


@dataclass
class BatchResult:
    pairs: list[tuple[str, str, float]]
    clusters: list[tuple[str, str]]
    model: MatchModel
    stats: dict[str, Any] = field(default_factory=dict)
    candidates: set[tuple[str, str]] | None = None  # every pair scored, when asked for (benchmarks)
    threshold: float = DEFAULT_THRESHOLD
    choice: cal.ThresholdChoice | None = None  # what the calibrated probabilities expect at the threshold
    reliability: list[cal.ReliabilityRow] = field(default_factory=list)
    training: str = ""  # what trained the model, or why the starting model was kept
    calibration_note: str = ""  # why the probabilities are the model's own, when they are


def _arrow_tables(records: Sequence[PersonRecord], progress: Progress | None) -> tuple[pa.Table, pa.Table]:
    import pyarrow as pa

    rows = []
    key_ids: list[str] = []
    key_values: list[str] = []
    for i, rec in enumerate(records):
        feats = features(rec)
        rows.append(feature_columns(feats))
        for key in blocking_keys(rec, feats):
            key_ids.append(rec.id)
            key_values.append(key)
        if progress and i % 50_000 == 49_999:
            progress(f"keys: {i + 1} records")
    people = pa.Table.from_pylist(rows, schema=_SCHEMA())
    keys = pa.table({"id": pa.array(key_ids, pa.string()), "key": pa.array(key_values, pa.string())})
    return people, keys


def _SCHEMA() -> pa.Schema:
    import pyarrow as pa

    text, words = pa.string(), pa.list_(pa.string())
    return pa.schema([
        ("id", text), ("given", text), ("family", text), ("given_skel", text), ("family_skel", text),
        ("given_phon", text), ("family_phon", text), ("name_skels", words), ("dob", text),
        ("dob_year", pa.int32()), ("dob_month", pa.int32()), ("dob_day", pa.int32()), ("place", text),
        ("place_words", words), ("sex", text), ("nationality", text), ("documents", words), ("phones", words),
        ("dob_text", text), ("document_ids", words), ("document_fixes", words), ("document_near", words),
        ("phone_tails", words),
    ])


def candidate_pairs_sql(keys: str) -> str:
    """Pairs of records sharing a blocking key, each pair once, smaller id on the left (DuckDB and Spark SQL)."""
    # Table names are ours, never input.
    broad = ", ".join(f"'{kind}:'" for kind in BROAD_KINDS)
    return f"""
        WITH k AS (
            SELECT id, key FROM {keys}
            WHERE substr(key, 1, 2) NOT IN ({broad})
               OR key IN (SELECT key FROM {keys} WHERE substr(key, 1, 2) IN ({broad})
                          GROUP BY key HAVING count(*) <= {_BROAD_KEY_LIMIT})
        )
        SELECT DISTINCT '0' AS match_key, a.id AS join_key_l, b.id AS join_key_r
        FROM k a JOIN k b ON a.key = b.key AND a.id < b.id
    """  # noqa: S608


def _untrained_settings(dialect: str) -> dict[str, Any]:
    from crossroads.dedup.engine.comparisons import splink_comparisons

    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "id",
        "probability_two_random_records_match": 1e-4,
        "comparisons": splink_comparisons(dialect),
        "blocking_rules_to_generate_predictions": [],
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
    }


class _Session:
    """A DuckDB connection holding the people, their keys and a Splink linker over them."""

    def __init__(self, records: Sequence[PersonRecord], progress: Progress | None) -> None:
        import duckdb
        from splink import DuckDBAPI

        self.con = duckdb.connect()
        threads = os.environ.get("CROSSROADS_DEDUP_THREADS")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        # DuckDB takes 80% of the machine's memory unless told otherwise; a batch beside other work may be given
        # less (a size DuckDB reads, such as "4GB").
        memory = os.environ.get("CROSSROADS_DEDUP_MEMORY")
        if memory:
            self.con.execute("SET memory_limit = ?", [memory])
        people, keys = _arrow_tables(records, progress)
        self.con.register("people_arrow", people)
        self.con.register("keys_arrow", keys)
        self.con.execute("CREATE TABLE people AS SELECT * FROM people_arrow")
        self.con.execute("CREATE TABLE person_keys AS SELECT * FROM keys_arrow")
        self.con.unregister("people_arrow")
        self.con.unregister("keys_arrow")
        self.db_api = DuckDBAPI(self.con)
        self.n = len(records)

    def linker(self, settings: dict[str, Any]) -> Linker:
        from splink import Linker

        return Linker(self.db_api.register("people"), settings, log_level=None)

    def has(self, column: str) -> bool:
        """Whether any record has a value in this column."""
        return bool(self.con.execute(f'SELECT count("{column}") FROM people').fetchall()[0][0])  # noqa: S608

    def register_candidates(self, linker: Linker) -> int:
        """The candidate pairs by text id, handed to Splink's predict (scoring.py's tests compare against it)."""
        self.con.execute(f"CREATE OR REPLACE TABLE candidates AS {candidate_pairs_sql('person_keys')}")
        linker.table_management.register_blocked_pairs_for_predict(self.db_api.register("candidates"))
        return int(self.con.execute("SELECT count(*) FROM candidates").fetchall()[0][0])

    def number_rows(self) -> None:
        """Give each record a row number in id order (table scoring_people), and the keys with them."""
        # Integer row numbers join and deduplicate several times faster than text ids; numbered in id order,
        # "smaller row number on the left" is "smaller id on the left".
        self.con.execute("CREATE OR REPLACE TABLE scoring_people AS "
                         "SELECT row_number() OVER (ORDER BY id) AS rid, * FROM people")
        self.con.execute("CREATE OR REPLACE TABLE row_keys AS "
                         "SELECT p.rid AS id, k.key FROM person_keys AS k JOIN scoring_people AS p USING (id)")

    def candidate_rows(self) -> int:
        """Candidate pairs by row number (table candidate_rows: rid_l < rid_r); returns how many."""
        pairs = candidate_pairs_sql("row_keys")
        self.con.execute(f"CREATE OR REPLACE TABLE candidate_rows AS "  # noqa: S608
                         f"SELECT join_key_l AS rid_l, join_key_r AS rid_r FROM ({pairs})")
        return int(self.con.execute("SELECT count(*) FROM candidate_rows").fetchall()[0][0])


class _TrainingSession(Protocol):
    """What training needs of a session: _Session here, _SparkSession in spark.py."""

    n: int

    def linker(self, settings: dict[str, Any]) -> Linker: ...

    def has(self, column: str) -> bool: ...


def _starting_settings(start: MatchModel, dialect: str) -> dict[str, Any]:
    settings = _untrained_settings(dialect)
    settings["comparisons"] = start.splink_settings(dialect)["comparisons"]
    settings["probability_two_random_records_match"] = start.prior
    return settings


def _train(session: _TrainingSession, *, version: str, trained_on: str, seed: int,
           dialect: str = "duckdb", start: MatchModel | None = None) -> MatchModel:
    """Unsupervised training on a session's people (a _Session here, or the Spark one in spark.py).

    With a starting model, EM starts from its m (u and the prior are estimated afresh either way): the same
    optimum when the file has plenty of duplicates, and a sensible one when a level is rare in it.
    """
    from splink import block_on

    linker = session.linker(_starting_settings(start, dialect) if start is not None else _untrained_settings(dialect))
    training = linker.training
    try:
        training.estimate_probability_two_random_records_match(
            [block_on("given_skel", "family_skel", "dob"), block_on("given_skel", "family_skel", "place")],
            recall=0.6,
        )
        training.estimate_u_using_random_sampling(max_pairs=min(5e6, max(1e5, session.n * 20.0)), seed=seed)
    except (ValueError, ZeroDivisionError) as exc:
        # No pair meets the deterministic rules (a handful of records): there is no prior to estimate.
        raise TrainingError(f"unsupervised training failed on {session.n} records ({exc}); train on more "
                            "records or use a saved model") from None
    # Partial dates ("1990") would put everyone born that year in one block: EM needs blocks rich in matches.
    # Blocking on everything but the date leaves EM one field to explain in the second session: same-named
    # neighbours of the same sex and nationality would otherwise pass for matches that disagree on the date.
    # Only columns the file has: a rule on an empty column (FEBRL has no sex or nationality) blocks nothing.
    present = [c for c in ("place", "sex", "nationality") if session.has(c)]
    for rule in ("l.dob = r.dob AND length(l.dob) = 10", block_on("given_skel", "family_skel", *present)):
        try:
            training.estimate_parameters_using_expectation_maximisation(rule)
        except ValueError as exc:
            # On a small file EM can drive a level to m = 0, which Splink refuses.
            raise TrainingError(f"unsupervised training failed on {session.n} records ({exc}); train on more "
                                "records or use a saved model") from None
    settings = linker.misc.save_model_to_json()
    return MatchModel.from_splink(settings, version=version, trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
                                  trained_on=trained_on)


def train_model(records: Sequence[PersonRecord], *, version: str, trained_on: str = "", seed: int = 1,
                progress: Progress | None = None) -> MatchModel:
    """Train a model unsupervised (u by random sampling, m by expectation-maximisation) on these records."""
    _quiet_splink()
    session = _Session(records, progress)
    if progress:
        progress("training")
    return _train(session, version=version, trained_on=trained_on or f"{len(records)} records", seed=seed)


def run_batch(records: Sequence[PersonRecord], *, model: MatchModel | None = None, train: bool = False,
              threshold: float | None = DEFAULT_THRESHOLD, precision: float | None = None, calibrate: bool = False,
              labels: Mapping[str, str] | None = None, min_training_records: int = 0, fallback: bool = True,
              progress: Progress | None = None, seed: int = 1, keep_candidates: bool = False) -> BatchResult:
    """Score every candidate pair of these records, keep those at or above threshold, and cluster them.

    train with a model: the model is EM's starting point, and is kept when the file has fewer than
    min_training_records records or, with fallback, when training fails (BatchResult.training says which).
    calibrate: the probabilities are calibrated on the candidates (calibration.py); threshold None then chooses the
    F1-optimal threshold, or with precision the lowest one expected to reach it. labels (id -> true
    entity) only fill the reliability table's observed column: they never touch the model, the calibration
    or the threshold.
    """
    if model is None and not train:
        raise ValueError("give a model or train one")
    _quiet_splink()
    started = time.perf_counter()
    session = _Session(records, progress)
    stats: dict[str, Any] = {"records": len(records), "keys_seconds": time.perf_counter() - started,
                             **dirty_values(records)}
    training = f"model {model.version} as given" if model is not None else ""
    if train:
        t = time.perf_counter()
        if model is not None and len(records) < min_training_records:
            training = (f"not trained: {len(records)} records, fewer than the {min_training_records} training "
                        f"needs; model {model.version} used")
        else:
            if progress:
                progress("training")
            try:
                trained = _train(session, version=f"batch-{datetime.now(UTC):%Y%m%d%H%M%S}",
                                 trained_on=f"{len(records)} records of the batch", seed=seed, start=model)
            except TrainingError as exc:
                if model is None or not fallback:
                    raise
                training = f"not trained: {exc}; model {model.version} used"
            else:
                training = (f"trained on this file (unsupervised, starting from model {model.version})"
                            if model is not None else "trained on this file (unsupervised)")
                model = trained
        stats["train_seconds"] = time.perf_counter() - t
    assert model is not None
    if progress:
        progress("candidate pairs")
    t = time.perf_counter()
    session.number_rows()
    stats["candidate_pairs"] = session.candidate_rows()
    stats["blocking_seconds"] = time.perf_counter() - t
    calibration: cal.Calibration | None = None
    note = ""
    sample: _Sample | None = None
    if calibrate:
        if progress:
            progress("calibrating")
        t = time.perf_counter()
        calibration, sample, note = _calibrate(session, model, candidates=stats["candidate_pairs"], seed=seed,
                                               labels=labels)
        stats["calibration_seconds"] = time.perf_counter() - t
    # A copy: the model given may be the shipped one, shared by the whole process.
    model = dataclasses.replace(model, calibration=calibration)
    choice = None
    if calibration is not None and sample is not None:
        probs = calibration.probability(sample.weights)
        if threshold is None:
            choice = cal.choose_threshold(probs, sample.counts, precision=precision)
            threshold = choice.threshold
        else:
            choice = _expected_at(probs, sample.counts, threshold)
        reliability = cal.reliability_table(probs, sample.counts, sample.matches)
    else:
        if threshold is None:
            # Uncalibrated probabilities: the pairs at or above a precision's value are expected to reach it
            # only if the model is right; it is the best guess there is without a fit.
            threshold = precision if precision is not None else DEFAULT_THRESHOLD
        reliability = []
    if progress:
        progress(f"scoring {stats['candidate_pairs']} pairs")
    t = time.perf_counter()
    # score_pairs keeps pairs by the model's weight: the calibrated threshold becomes the weight that reaches it.
    floor = threshold if calibration is None else _model_threshold(calibration, threshold)
    scored = score_pairs(session.con, model, pairs="candidate_rows", people="scoring_people",
                         columns=[c for c in _SCHEMA().names if c != "id"], threshold=floor)
    stats["scoring_seconds"] = time.perf_counter() - t
    rows = session.con.execute(
        f"SELECT l.id, r.id, s.match_probability, s.match_weight FROM {scored} AS s "  # noqa: S608
        "JOIN scoring_people AS l ON l.rid = s.rid_l JOIN scoring_people AS r ON r.rid = s.rid_r "
        "WHERE s.match_probability >= ? ORDER BY l.id, r.id", [floor]).fetchall()
    if calibration is None:
        pairs = [(left, right, float(p)) for left, right, p, _ in rows]
    else:
        calibrated = calibration.probability([w for _, _, _, w in rows]).tolist()
        pairs = [(left, right, float(p)) for (left, right, _, _), p in zip(rows, calibrated, strict=True)
                 if p >= threshold - 1e-12]
    clusters = _connected_components((r.id for r in records), ((a, b) for a, b, _ in pairs))
    stats["pairs"] = len(pairs)
    stats["batch_seconds"] = time.perf_counter() - started
    candidates = None
    if keep_candidates:
        candidates = set(session.con.execute(
            "SELECT l.id, r.id FROM candidate_rows AS c JOIN scoring_people AS l ON l.rid = c.rid_l "
            "JOIN scoring_people AS r ON r.rid = c.rid_r").fetchall())
    return BatchResult(pairs=pairs, clusters=clusters, model=model, stats=stats, candidates=candidates,
                       threshold=threshold, choice=choice, reliability=reliability, training=training,
                       calibration_note=note)


def _model_threshold(calibration: cal.Calibration, threshold: float) -> float:
    weight = calibration.weight_for(threshold)
    if weight == -math.inf:
        return 0.0
    if weight == math.inf:
        return 1.0
    # A hair below, so that a pair whose weight is exactly at the band edge is not lost to rounding.
    return probability(weight - 1e-9)


def _expected_at(probs: Any, counts: Any, threshold: float) -> cal.ThresholdChoice:
    import numpy as np

    kept = probs >= threshold
    pairs = float(counts[kept].sum())
    matches = float((counts * probs)[kept].sum())
    expected = float((counts * probs).sum())
    return cal.ThresholdChoice(
        threshold=threshold, pairs=pairs, precision=matches / pairs if pairs else 1.0,
        recall=matches / expected if expected else 0.0,
        f1=2 * matches / (pairs + expected) if pairs + expected else 0.0, reached=bool(np.any(kept)))


@dataclass
class _Sample:
    """The candidates read for calibration, grouped by comparison vector (and true match, with labels)."""

    weights: Any  # model match weight per group
    counts: Any  # candidates per group, scaled up from the sample
    matches: Any | None  # true matches per group, scaled likewise (labels only)


def _gamma_levels(model: MatchModel) -> list[tuple[str, list[str], list[float], list[float], list[float]]]:
    """Per comparison: its null condition, and per level strongest first its condition, m, u and weight."""
    from splink.internals.settings_creator import SettingsCreator

    settings = SettingsCreator.from_path_or_dict(model.splink_settings("duckdb")).get_settings("duckdb")
    _, weighted = scoring_levels(model)
    out = []
    for comparison, weights in zip(settings.comparisons, weighted, strict=True):
        levels = comparison.comparison_levels
        if not levels[0]._is_null_level or not levels[-1]._is_else_level:
            raise ValueError(f"comparison {comparison.output_column_name}: expected a null level first and else last")
        real = levels[1:]
        out.append((levels[0].sql_condition, [lv.sql_condition for lv in real[:-1]],
                    [_known(lv.m_probability, len(real)) for lv in real],
                    [_known(lv.u_probability, len(real)) for lv in real],
                    [lv.weight for lv in weights[1:]]))
    return out


def _known(p: float | None, levels: int) -> float:
    # A level the model never estimated starts the fit uninformative: the same m and u.
    return float(p) if p is not None else 1.0 / levels


def _calibrate(session: _Session, model: MatchModel, *, candidates: int, seed: int,
               labels: Mapping[str, str] | None) -> tuple[cal.Calibration | None, _Sample | None, str]:
    """Fit calibration.py's latent classes on the candidates' comparison vectors; None and why, if it cannot."""
    import numpy as np

    if candidates < MIN_CALIBRATION_PAIRS:
        return None, None, (f"probabilities not calibrated: {candidates} candidate pairs, fewer than the "
                            f"{MIN_CALIBRATION_PAIRS} calibration needs")
    con = session.con
    levels = _gamma_levels(model)
    if candidates > CALIBRATION_SAMPLE:
        con.execute(f"CREATE OR REPLACE TABLE calibration_pairs AS SELECT * FROM candidate_rows "  # noqa: S608
                    f"USING SAMPLE reservoir({CALIBRATION_SAMPLE} ROWS) REPEATABLE ({int(seed)})")
        scale = candidates / CALIBRATION_SAMPLE
    else:
        con.execute("CREATE OR REPLACE TABLE calibration_pairs AS SELECT * FROM candidate_rows")
        scale = 1.0
    columns = [c for c in _SCHEMA().names if c != "id"]
    left = ", ".join(f'"{c}" AS "{c}_l"' for c in columns)
    right = ", ".join(f'"{c}" AS "{c}_r"' for c in columns)
    gammas = []
    for k, (null, conditions, _, _, _) in enumerate(levels):
        whens = " ".join(f"WHEN {condition} THEN {j}" for j, condition in enumerate(conditions))
        gammas.append(f"CASE WHEN {null} THEN -1 {whens} ELSE {len(conditions)} END AS g{k}")
    truth = "NULL"
    label_join = ""
    if labels is not None:
        import pyarrow as pa

        ids = list(labels)
        con.register("labels_arrow", pa.table({"id": pa.array(ids, pa.string()),
                                               "entity": pa.array([labels[i] for i in ids], pa.string())}))
        con.execute("CREATE OR REPLACE TABLE labels AS SELECT p.rid, a.entity FROM labels_arrow AS a "
                    "JOIN scoring_people AS p USING (id)")
        con.unregister("labels_arrow")
        label_join = ("LEFT JOIN labels AS el ON el.rid = c.rid_l LEFT JOIN labels AS er ON er.rid = c.rid_r")
        truth = "coalesce(el.entity = er.entity, false)"
    names = ", ".join(f"g{k}" for k in range(len(levels)))
    # Ordered, so that the fit's sums run in the same order every time: a run is reproducible to the last digit.
    # Table and column names are ours; the conditions are Splink's SQL for our comparisons, never input.
    rows = con.execute(f"""
        SELECT {names}, truth, count(*) FROM (
            SELECT {', '.join(gammas)}, {truth} AS truth
            FROM calibration_pairs AS c
            JOIN (SELECT rid AS rid_l, {left} FROM scoring_people) AS l USING (rid_l)
            JOIN (SELECT rid AS rid_r, {right} FROM scoring_people) AS r USING (rid_r)
            {label_join}
        ) GROUP BY ALL ORDER BY ALL
    """).fetchall()  # noqa: S608
    patterns = np.array([row[:len(levels)] for row in rows], dtype=np.int64)
    counts = np.array([row[-1] for row in rows], dtype=np.float64) * scale
    prior, _ = scoring_levels(model)
    weights = np.full(len(rows), prior)
    for k, (_, _, _, _, level_weights) in enumerate(levels):
        g = patterns[:, k]
        seen = g >= 0
        weights[seen] += np.asarray(level_weights)[g[seen]]
    model_probs = np.array([probability(w) for w in weights])
    share = float((counts * model_probs).sum() / counts.sum())
    fit = cal.fit_latent_classes(patterns, counts, m=[lv[2] for lv in levels], u=[lv[3] for lv in levels],
                                 share=share, estimate_m=False)
    matches = None
    if labels is not None:
        matches = np.array([row[-1] if row[-2] else 0 for row in rows], dtype=np.float64) * scale
    sample = _Sample(weights=weights, counts=counts, matches=matches)
    expected = float((fit.posterior * counts).sum())
    if expected < MIN_CALIBRATION_MATCHES:
        return None, None, (f"probabilities not calibrated: about {expected:.0f} matches among the candidates, "
                            f"fewer than the {MIN_CALIBRATION_MATCHES:.0f} calibration needs")
    calibration = cal.calibrate(weights, fit.posterior, counts, share=fit.share)
    return calibration, sample, ""


def _connected_components(ids: Iterable[str], edges: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(id, cluster_id) for every record; a cluster is named after its smallest id."""
    # A union-find over the kept pairs: a few lines, and no need to hand Splink's clustering the pairs again.
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return sorted((i, find(i)) for i in ids)


def _quiet_splink() -> None:
    # Splink warns about levels with no data (documents in a CSV without them); the output says what ran.
    logging.getLogger("splink").setLevel(logging.ERROR)


def write_outputs(result: BatchResult, *, pairs_path: Path, clusters_path: Path | None = None) -> None:
    """Write the pairs (and clusters) CSVs atomically: all files appear together, or none."""
    staged: list[tuple[str, Path]] = []
    try:
        staged.append((_stage(pairs_path, ("id_l", "id_r", "match_probability"),
                              ((a, b, f"{p:.6f}") for a, b, p in result.pairs)), pairs_path))
        if clusters_path is not None:
            staged.append((_stage(clusters_path, ("id", "cluster_id"), result.clusters), clusters_path))
    except BaseException:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        raise
    for tmp, final in staged:
        os.replace(tmp, final)


def _stage(path: Path, header: tuple[str, ...], rows: Iterable[Sequence[object]]) -> str:
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as out:
            # Ids come from the input file as they were typed: one beginning like a formula is neutralised.
            spreadsheet.write_csv(out, header, rows)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp
