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
    threshold: Annotated[float, typer.Option("--threshold", min=0.0, max=1.0,
                                             help="Keep pairs at or above this match probability.")] = 0.9,
    model_path: Annotated[Path | None, typer.Option("--model", help="Saved model (default: the shipped one).")]
    = None,
    train: Annotated[bool, typer.Option("--train/--no-train", help="Train a model on this CSV (unsupervised) "
                                                                   "instead of using a saved one.")] = False,
    backend: Annotated[str, typer.Option("--backend", help="duckdb, or spark (pyspark must be installed).")]
    = "duckdb",
    save_model: Annotated[Path | None, typer.Option("--save-model", help="With --train: also save the model.")]
    = None,
) -> None:
    """Find likely duplicate people in a CSV; write scored pairs and, optionally, clusters."""
    from crossroads.dedup.engine.batch import TrainingError, run_batch, write_outputs

    if backend not in ("duckdb", "spark"):
        raise _fail(f"--backend: expected duckdb or spark, got {backend!r}")
    if train and model_path:
        raise _fail("--model: give a saved model or --train, not both")
    for option, path in (("--output", output), ("--clusters", clusters)):
        if path is not None and not path.parent.is_dir():
            raise _fail(f"{option}: folder {path.parent} does not exist")
    records = _read(input_path)
    model = None if train else _load_model(model_path)
    with err.status("Starting") as status:
        def progress(message: str) -> None:
            status.update(message)

        try:
            if backend == "spark":
                from crossroads.dedup.engine.spark import run_batch_spark

                result = run_batch_spark(records, model=model, train=train, threshold=threshold, progress=progress)
            else:
                result = run_batch(records, model=model, train=train, threshold=threshold, progress=progress)
        except TrainingError as exc:
            raise _fail(str(exc), 1) from None
    write_outputs(result, pairs_path=output, clusters_path=clusters)
    if train and save_model:
        result.model.save(save_model)
    s = result.stats
    err.print(f"{s['records']} people, {s['candidate_pairs']} candidate pairs scored, {len(result.pairs)} pairs at or "
              f"above {threshold} written to {output}" + (f", clusters to {clusters}" if clusters else "")
              + f" (model {result.model.version}, {s['batch_seconds']:.1f} s)")
    _report_dirty(s)


def _report_dirty(stats: dict) -> None:
    for key, singular, plural in (("dates_unparsed", "date", "dates"),
                                  ("nationalities_unparsed", "nationality", "nationalities")):
        n = stats.get(key, 0)
        if n:
            err.print(f"{n} {singular if n == 1 else plural} did not parse; kept as text")


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
