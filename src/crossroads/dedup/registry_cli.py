"""`crossroads dedup run | activate | reindex`: the registry's commands on the engine's `dedup` app."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from crossroads.dedup.cli import app

err = Console(stderr=True)


def _engine():
    from crossroads.config import Settings
    from crossroads.db.session import make_engine

    return make_engine(Settings().database_url)


def _model(path: Path | None):
    from crossroads.dedup.engine.model import MatchModel, ModelError

    if path is None:
        return None
    try:
        return MatchModel.load(path)
    except ModelError as exc:
        err.print(f"[bold red]error:[/] --model: {exc}", soft_wrap=True)
        raise typer.Exit(2) from None


@contextmanager
def _refusal_as_error() -> Iterator[None]:
    """A job refused (another run of it started at the same moment) is one line and exit 1, not a traceback."""
    from crossroads.kit.errors import DomainError

    try:
        yield
    except DomainError as exc:
        err.print(f"[bold red]error:[/] {exc.message}", soft_wrap=True)
        raise typer.Exit(1) from None


@app.command("run")
def run(
    model_path: Annotated[Path | None, typer.Option("--model", help="Score with this saved model instead of the "
                                                                   "active one (it is not activated).")] = None,
    chunk: Annotated[int, typer.Option("--chunk", min=10, max=10_000, help="People per step.")] = 500,
) -> None:
    """Find likely duplicates across the registry (CROSSROADS_DATABASE_URL) and fill the review queue."""
    from crossroads.db.session import unit_of_work
    from crossroads.dedup.registry_run import run_registry
    from crossroads.dedup.reindex import index_status

    model = _model(model_path)
    with Progress(TextColumn("Scoring the registry"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=err) as bar:
        task = bar.add_task("run", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        engine = _engine()
        # Read-only: on SQLite a writing transaction would hold the write lock while the sample is checked.
        with unit_of_work(engine, read_only=True) as session:
            status = index_status(session, sample=50)
        if status.stale:
            # The run finds pairs through the stored keys: out-of-date keys miss pairs without any error.
            err.print(f"[bold yellow]warning:[/] {status.stale} of {status.sampled} sampled people have "
                      "outdated blocking keys; run `crossroads dedup reindex` first or this run will miss "
                      "pairs", soft_wrap=True)
        with _refusal_as_error(), unit_of_work(engine) as session:
            result = run_registry(session, model=model, chunk=chunk, progress=progress)
    if result.resumed:
        err.print("taken up after a stopped run: the totals include its committed chunks")
    err.print(f"{result.people} people, {result.pairs_scored} pairs scored, {result.pairs_kept} likely duplicates: "
              f"{result.added} new on the review queue, {result.updated} updated (model {result.model_version})")


@app.command("activate")
def activate(
    version: Annotated[str | None, typer.Argument(help="A recorded version (`crossroads dedup models`).")] = None,
    model_path: Annotated[Path | None, typer.Option("--model", help="Or a model saved by `crossroads dedup train`.")]
    = None,
) -> None:
    """Make a recorded version, or a trained model file, the one online checks and runs score with."""
    from crossroads.db.session import unit_of_work
    from crossroads.dedup.learning import activate_version
    from crossroads.dedup.service import activate_model
    from crossroads.kit.errors import DomainError

    if (version is None) == (model_path is None):
        err.print("[bold red]error:[/] VERSION: give a recorded version or --model FILE, one of the two")
        raise typer.Exit(2)
    model = _model(model_path)
    with unit_of_work(_engine()) as session:
        if model is not None:
            activate_model(session, actor=None, model=model)
            version = model.version
        else:
            try:
                activate_version(session, principal=None, version=version or "")
            except DomainError as exc:
                err.print(f"[bold red]error:[/] VERSION {version}: {exc.message}", soft_wrap=True)
                raise typer.Exit(1) from None
    err.print(f"model {version} is active")


@app.command("reindex")
def reindex_command(
    check: Annotated[bool, typer.Option("--check", help="Only compare a sample of people's stored keys with "
                                                        "today's; exit 1 if any differ.")] = False,
    sample: Annotated[int, typer.Option("--sample", min=1, max=100_000, help="People compared by --check.")] = 200,
    chunk: Annotated[int, typer.Option("--chunk", min=10, max=50_000, help="People per step.")] = 2_000,
) -> None:
    """Recompute the blocking keys of everyone in the registry after an upgrade that changed their definition."""
    from crossroads.db.session import unit_of_work
    from crossroads.dedup.reindex import index_status, reindex

    engine = _engine()
    if check:
        with unit_of_work(engine, read_only=True) as session:
            status = index_status(session, sample=sample)
        err.print(f"{status.people} people; {status.stale} of {status.sampled} sampled have outdated keys; "
                  f"{status.merged_with_keys} merged records still have keys")
        if not status.up_to_date:
            err.print("run `crossroads dedup reindex` to bring the blocking index up to date")
            raise typer.Exit(1)
        return
    with Progress(TextColumn("Reindexing blocking keys"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=err) as bar:
        task = bar.add_task("reindex", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        with _refusal_as_error(), unit_of_work(engine) as session:
            result = reindex(session, chunk=chunk, progress=progress)
    if result.resumed:
        err.print("taken up after a stopped reindex: the totals include its committed chunks")
    err.print(f"{result.people} people, {result.changed} with new keys: {result.keys_removed} keys removed, "
              f"{result.keys_added} added")
