"""The batch engine on Spark: the same keys, comparisons and model as batch.py, Splink's Spark backend.

For files too large for one machine's DuckDB. Needs pyspark (and Java 17) installed; the smoke test in
docs/dedup.md runs it in local mode. Records are prepared in Python as in the DuckDB path (a cluster run
would compute features in a UDF; the comparison SQL is the same, rendered for Spark by comparisons.py).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from crossroads.dedup.engine.batch import (
    BatchResult,
    Progress,
    _connected_components,
    _quiet_splink,
    _train,
    candidate_pairs_sql,
)
from crossroads.dedup.engine.comparisons import feature_columns
from crossroads.dedup.engine.keys import PersonRecord, blocking_keys, features
from crossroads.dedup.engine.model import MatchModel

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from pyspark.sql.types import StructType
    from splink import Linker

__all__ = ["run_batch_spark", "spark_session"]


def spark_session(master: str = "local[2]") -> SparkSession:
    """A local Spark session sized for this machine; Splink registers its similarity UDFs on it."""
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    # Splink's Jaro-Winkler and friends are Scala UDFs in a jar it ships; Spark loads it at start.
    spark = (SparkSession.builder.master(master).appName("crossroads-dedup")
             .config("spark.jars", similarity_jar_location())
             .config("spark.driver.memory", "4g").config("spark.sql.shuffle.partitions", "8")
             .config("spark.ui.enabled", "false").getOrCreate())
    # Splink checkpoints intermediate tables to cut Spark's query plans short.
    spark.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="crossroads-spark-"))
    return spark


def _schema() -> StructType:
    from pyspark.sql import types as t

    text, words = t.StringType(), t.ArrayType(t.StringType())
    fields = [("id", text), ("given", text), ("family", text), ("given_skel", text), ("family_skel", text),
              ("given_phon", text), ("family_phon", text), ("name_skels", words), ("dob", text),
              ("dob_year", t.IntegerType()), ("dob_month", t.IntegerType()), ("dob_day", t.IntegerType()),
              ("place", text), ("place_words", words), ("sex", text), ("nationality", text), ("documents", words),
              ("phones", words), ("dob_text", text), ("document_ids", words), ("document_fixes", words),
              ("document_near", words), ("phone_tails", words)]
    return t.StructType([t.StructField(name, kind) for name, kind in fields])


class _SparkSession:
    def __init__(self, spark: SparkSession, records: Sequence[PersonRecord]) -> None:
        from pyspark.sql import types as t
        from splink import SparkAPI

        self.spark = spark
        schema = _schema()
        feats = [features(r) for r in records]
        rows = [tuple(feature_columns(f)[field.name] for field in schema.fields) for f in feats]
        self.people = spark.createDataFrame(rows, schema)
        self.people.createOrReplaceTempView("people")
        key_rows = [(r.id, k) for r, f in zip(records, feats, strict=True) for k in blocking_keys(r, f)]
        keys = spark.createDataFrame(key_rows, t.StructType([t.StructField("id", t.StringType()),
                                                            t.StructField("key", t.StringType())]))
        keys.createOrReplaceTempView("person_keys")
        self.db_api = SparkAPI(spark_session=spark)
        self.n = len(records)

    def has(self, column: str) -> bool:
        return bool(self.people.where(f"`{column}` IS NOT NULL").limit(1).count() > 0)

    def linker(self, settings: dict[str, Any]) -> Linker:
        from splink import Linker

        return Linker(self.db_api.register(self.people), settings, log_level=None)


def run_batch_spark(records: Sequence[PersonRecord], *, model: MatchModel | None = None, train: bool = False,
                    threshold: float = 0.9, progress: Progress | None = None, seed: int = 1,
                    spark: SparkSession | None = None) -> BatchResult:
    """run_batch on Spark (local mode unless a session is given)."""
    if model is None and not train:
        raise ValueError("give a model or train one")
    _quiet_splink()
    started = time.perf_counter()
    session = _SparkSession(spark or spark_session(), records)
    stats: dict[str, Any] = {"records": len(records), "backend": "spark"}
    if train:
        if progress:
            progress("training")
        model = _train(session, version=f"batch-{datetime.now(UTC):%Y%m%d%H%M%S}",
                       trained_on=f"{len(records)} records of the batch", seed=seed, dialect="spark")
    assert model is not None
    linker = session.linker(model.splink_settings("spark"))
    if progress:
        progress("candidate pairs")
    candidates = session.spark.sql(candidate_pairs_sql("person_keys")).cache()
    stats["candidate_pairs"] = candidates.count()
    linker.table_management.register_blocked_pairs_for_predict(session.db_api.register(candidates))
    t = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    rows = predictions.as_spark_dataframe().select("id_l", "id_r", "match_probability").collect()
    stats["predict_seconds"] = time.perf_counter() - t
    pairs = sorted((r["id_l"], r["id_r"], float(r["match_probability"])) for r in rows
                   if r["match_probability"] >= threshold)
    clusters = _connected_components((r.id for r in records), ((a, b) for a, b, _ in pairs))
    stats["pairs"] = len(pairs)
    stats["batch_seconds"] = time.perf_counter() - started
    return BatchResult(pairs=pairs, clusters=clusters, model=model, stats=stats)
