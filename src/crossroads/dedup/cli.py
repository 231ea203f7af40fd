"""`crossroads dedup`: batch duplicate detection over a CSV and model training."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(help="Duplicate detection: batch scoring of people and the trained model.", no_args_is_help=True)
err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    return typer.Exit(code)


def _load_model(path: Path | None):
    from crossroads.dedup.engine.model import MatchModel, ModelError, default_model

    try:
        return MatchModel.load(path) if path else default_model()
    except ModelError as exc:
        raise _fail(f"--model: {exc}") from None


def _read(input_path: Path):
    from crossroads.dedup.engine.batch import CsvError, read_people_csv

    try:
        return read_people_csv(input_path)
    except CsvError as exc:
        raise _fail(f"--input {input_path}: {exc}") from None


@app.command("batch")
def batch(
    input_path: Annotated[Path, typer.Option("--input", help="People CSV: id, and any of given_name, family_name, "
                                                            "date_of_birth, sex, nationality, place, document_type, "
                                                            "document_number, phone.")],
    output: Annotated[Path, typer.Option("--output", help="Pairs CSV to write: id_l, id_r, match_probability.")],
    clusters: Annotated[Path | None, typer.Option("--clusters", help="Clusters CSV to write: id, cluster_id.")]
    = None,
    threshold: Annotated[float | None, typer.Option(
        "--threshold", min=0.0, max=1.0,
        help="Keep pairs at or above this match probability (default: the F1-optimal threshold the calibrated "
             "probabilities expect, or 0.9 when they could not be calibrated).")] = None,
    precision: Annotated[float | None, typer.Option(
        "--precision", min=0.0, max=1.0,
        help="Instead of the F1-optimal threshold, the lowest whose expected precision reaches this.")] = None,
    model_path: Annotated[Path | None, typer.Option("--model", help="Saved model: score with it as it is (with "
                                                                    "--train: start training from it).")]
    = None,
    train: Annotated[bool | None, typer.Option(
        "--train/--no-train",
        help="Train on this CSV (unsupervised), starting from the shipped model and keeping it when the file is "
             "too small or training fails. The default, unless --model is given.")] = None,
    labels: Annotated[Path | None, typer.Option(
        "--labels", help="For evaluation only: a CSV of id and cluster (or true_id), the true person of each "
                         "record; fills the reliability table's observed share. An input column cluster or "
                         "true_id does the same.")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Also write the run's report as JSON here.")]
    = None,
    backend: Annotated[str, typer.Option("--backend", help="duckdb, or spark (pyspark must be installed).")]
    = "duckdb",
    save_model: Annotated[Path | None, typer.Option("--save-model", help="Also save the model used (with its "
                                                                         "calibration).")]
    = None,
) -> None:
    """Find likely duplicate people in a CSV; write scored pairs and, optionally, clusters."""
    import duckdb

    from crossroads.dedup.engine.batch import (
        MIN_TRAINING_RECORDS,
        CsvError,
        TrainingError,
        read_labels,
        run_batch,
        write_outputs,
    )

    if backend not in ("duckdb", "spark"):
        raise _fail(f"--backend: expected duckdb or spark, got {backend!r}")
    if threshold is not None and precision is not None:
        raise _fail("--precision: give a threshold or a precision, not both")
    for option, path in (("--output", output), ("--clusters", clusters), ("--report", report)):
        if path is not None and not path.parent.is_dir():
            raise _fail(f"{option}: folder {path.parent} does not exist")
    records = _read(input_path)
    try:
        truth = read_labels(labels) if labels is not None else read_labels(input_path, optional=True)
    except CsvError as exc:
        raise _fail(f"--labels {labels or input_path}: {exc}") from None
    trains = train if train is not None else model_path is None
    model = _load_model(model_path)
    step = ["starting"]
    with err.status("Starting") as status:
        def progress(message: str) -> None:
            step[0] = message
            status.update(message)

        try:
            if backend == "spark":
                from crossroads.dedup.engine.spark import run_batch_spark

                result = run_batch_spark(records, model=None if trains else model, train=trains,
                                         threshold=0.9 if threshold is None else threshold, progress=progress)
                result.training = "trained on this file (unsupervised)" if trains else f"model {model.version}"
                result.calibration_note = "probabilities not calibrated: the Spark backend does not calibrate"
            else:
                result = run_batch(records, model=model, train=trains, threshold=threshold, precision=precision,
                                   calibrate=True, labels=truth,
                                   # Asked for in so many words, training is tried on any file and its
                                   # failure is an error, as before training became the default.
                                   min_training_records=MIN_TRAINING_RECORDS if train is None else 0,
                                   fallback=train is None,
                                   progress=progress)
        except TrainingError as exc:
            raise _fail(str(exc), 1) from None
        except duckdb.OutOfMemoryException:
            raise _fail(f"out of memory at step '{step[0]}' with {len(records):,} records: the candidate pairs grow "
                        "with the square of the records sharing a name. Run the file in parts that cannot hold the "
                        "same person twice (by office or region), or give the batch more memory "
                        "(CROSSROADS_DEDUP_MEMORY, for example 16GB).", 1) from None
    write_outputs(result, pairs_path=output, clusters_path=clusters)
    if save_model:
        result.model.save(save_model)
    summary = _summary(result, truth, precision=precision, chosen=threshold is None)
    if report is not None:
        import json

        report.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    _print_summary(summary)
    s = result.stats
    err.print(f"{s['records']} people, {s['candidate_pairs']} candidate pairs scored, {len(result.pairs)} pairs at or "
              f"above {result.threshold:.3f} written to {output}" + (f", clusters to {clusters}" if clusters else "")
              + f" (model {result.model.version}, {s['batch_seconds']:.1f} s)")
    _report_dirty(s)


def _report_dirty(stats: dict) -> None:
    for key, singular, plural in (("dates_unparsed", "date", "dates"),
                                  ("nationalities_unparsed", "nationality", "nationalities")):
        n = stats.get(key, 0)
        if n:
            err.print(f"{n} {singular if n == 1 else plural} did not parse; kept as text")


def _summary(result, truth: dict[str, str] | None, *, precision: float | None, chosen: bool) -> dict:
    from collections import Counter

    choice = result.choice
    if not chosen:
        how = "given"
    elif result.model.calibration is None:
        how = "default (uncalibrated)" if precision is None else "the precision asked for (uncalibrated)"
    elif precision is None:
        how = "F1-optimal"
    else:
        how = f"lowest reaching an expected precision of {precision}" + ("" if choice.reached else
                                                                         " (not reached: the highest threshold)")
    out = {
        "records": result.stats["records"], "candidate_pairs": result.stats["candidate_pairs"],
        "model": result.model.version, "training": result.training,
        "calibration": (result.model.calibration.to_json() if result.model.calibration is not None
                        else {"note": result.calibration_note}),
        "threshold": result.threshold, "threshold_chosen": how, "pairs": len(result.pairs),
        "expected": None if choice is None else {"precision": choice.precision, "recall": choice.recall,
                                                 "f1": choice.f1},
        "reliability": [{"low": r.low, "high": r.high, "pairs": r.pairs, "mean_predicted": r.mean_predicted,
                         "observed": r.observed} for r in result.reliability],
        "seconds": result.stats["batch_seconds"],
        "steps_seconds": {k.removesuffix("_seconds"): round(v, 3) for k, v in result.stats.items()
                          if k.endswith("_seconds") and k != "batch_seconds"},
    }
    if truth is not None:
        sizes = Counter(truth.values())
        true_pairs = sum(n * (n - 1) // 2 for n in sizes.values())
        hits = sum(1 for a, b, _ in result.pairs if a in truth and truth[a] == truth.get(b))
        out["observed"] = {"precision": hits / len(result.pairs) if result.pairs else 1.0,
                           "recall": hits / true_pairs if true_pairs else 1.0, "true_pairs": true_pairs}
    return out


def _print_summary(summary: dict) -> None:
    err.print(f"Model: {summary['training']}.", soft_wrap=True)
    if "note" in summary["calibration"]:
        err.print(f"Calibration: {summary['calibration']['note']}.", soft_wrap=True)
    else:
        err.print(f"Calibration: on this file's candidate pairs, about {summary['calibration']['match_share']:.2%} "
                  "of them estimated to be matches.", soft_wrap=True)
    line = f"Threshold {summary['threshold']:.3f} ({summary['threshold_chosen']})"
    if summary["expected"] is not None:
        e = summary["expected"]
        line += f": expected precision {e['precision']:.3f}, recall {e['recall']:.3f} (of the candidates' matches)"
    err.print(line, soft_wrap=True)
    if "observed" in summary:
        o = summary["observed"]
        err.print(f"Against the labels: precision {o['precision']:.3f}, recall {o['recall']:.3f} "
                  f"of {o['true_pairs']} true pairs.", soft_wrap=True)
    if summary["reliability"]:
        err.print("Reliability (candidate pairs by calibrated probability):")
        err.print(f"  {'probability':<13}{'pairs':>10}{'mean predicted':>16}{'observed':>10}")
        for r in summary["reliability"]:
            observed = "" if r["observed"] is None else f"{r['observed']:.3f}"
            err.print(f"  {r['low']:.2f}–{r['high']:.2f}    {r['pairs']:>10.0f}{r['mean_predicted']:>16.3f}"
                      f"{observed:>10}")


@app.command("train")
def train_command(
    output: Annotated[Path, typer.Option("--output", help="Where to write the model JSON.")],
    version: Annotated[str, typer.Option("--version", help="Version recorded in the model, e.g. v2.")],
    input_path: Annotated[Path | None, typer.Option("--input", help="People CSV to train on (unlabelled).")] = None,
    synthetic: Annotated[int, typer.Option("--synthetic", min=0, help="Or train on this many synthetic people "
                                                                      "with planted duplicates.")] = 0,
    seed: Annotated[int, typer.Option("--seed")] = 1,
) -> None:
    """Train a model unsupervised (Splink: u by random sampling, m by EM) and save it, versioned."""
    from crossroads.dedup.engine.batch import TrainingError, train_model

    if (input_path is None) == (synthetic == 0):
        raise _fail("--input: give a CSV with --input or a size with --synthetic, one of the two")
    if input_path is not None:
        records, trained_on = _read(input_path), f"{input_path.name}"
    else:
        from crossroads.dedup.engine.synthetic import generate_labelled

        records = generate_labelled(synthetic, seed=seed, contacts=True, dirty=True).records
        trained_on = f"synthetic: {synthetic} people with planted duplicates, seed {seed}"
    with err.status("Training") as status:
        try:
            model = train_model(records, version=version, trained_on=trained_on, seed=seed,
                                progress=lambda m: status.update(m))
        except TrainingError as exc:
            raise _fail(str(exc), 1) from None
    model.save(output)
    err.print(f"model {version} trained on {len(records)} records written to {output}")


# `crossroads dedup run` — the same engine over the registry itself, filling the review queue — is the
# registry half of duplicate detection and goes here, as `@app.command("run")`, next to batch and train.
