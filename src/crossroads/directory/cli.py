"""`crossroads directory import | export`: the service directory to and from Open Referral HSDS files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from crossroads.config import Settings
from crossroads.db.session import make_engine, unit_of_work
from crossroads.directory import hsds, transfer

app = typer.Typer(help="The service directory: import and export Open Referral HSDS 3.0.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)
# A refused file lists this many problems, then how many more there are.
SHOWN = 50


def _bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, transient=False)


def _list(problems: list[hsds.Problem]) -> None:
    for p in problems[:SHOWN]:
        err.print(f"  {p}", markup=False, highlight=False, soft_wrap=True)
    if len(problems) > SHOWN:
        err.print(f"  … and {len(problems) - SHOWN} more")


@app.command("import")
def import_directory(
    path: Annotated[Path, typer.Argument(help="An HSDS JSON file, or a CSV data package: a directory or a zip "
                                              "with datapackage.json.")],
    skip_invalid: Annotated[bool, typer.Option("--skip-invalid", help="Import the valid records and report what "
                                                "was left out, instead of refusing the whole file.")] = False,
) -> None:
    """Import (or update, by HSDS id) the directory from an HSDS file; a file with problems is refused whole."""
    if not path.exists():
        err.print(f"[bold red]error:[/] PATH: no such file or directory: {path}", soft_wrap=True)
        raise typer.Exit(2)
    engine = make_engine(Settings().database_url)
    try:
        with _bar() as bar:
            reading = bar.add_task(f"Reading {path.name}", total=None)
            try:
                bundle, problems = hsds.read_path(path)
            except hsds.Unreadable as exc:
                err.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False, soft_wrap=True)
                raise typer.Exit(1) from None
            bar.update(reading, total=1, completed=1)
            with unit_of_work(engine) as session:
                checking = bar.add_task("Checking", total=1)
                try:
                    skipped = transfer.check_bundle(session, bundle, problems, skip_invalid=skip_invalid)
                except transfer.ImportRefused as exc:
                    bar.stop()
                    err.print(f"[bold red]error:[/] {path} refused, nothing imported: "
                              f"{len(exc.problems)} problem(s)", soft_wrap=True)
                    _list(exc.problems)
                    err.print("Fix the file, or import the rest with --skip-invalid.")
                    raise typer.Exit(1) from None
                bar.update(checking, completed=1)
                writing = bar.add_task("Importing", total=bundle.count())
                result = transfer.import_bundle(session, bundle=bundle, actor=None, source=str(path),
                                                skipped=skipped,
                                                progress=lambda _kind, n: bar.advance(writing, n))
    finally:
        engine.dispose()
    counts = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in result.counts.items())
    console.print(f"Imported {counts or 'nothing'} from {path}.", markup=False, highlight=False)
    if result.skipped:
        err.print(f"[yellow]Left out[/] {len(result.skipped)} problem(s) and what depends on them:", soft_wrap=True)
        _list(result.skipped)


@app.command("export")
def export_directory(
    path: Annotated[Path, typer.Argument(help="FILE.json for HSDS JSON, FILE.zip for a zipped CSV data package, "
                                              "anything else for a data package directory.")],
) -> None:
    """Export the whole directory as HSDS, every field as it was imported."""
    engine = make_engine(Settings().database_url)
    try:
        with _bar() as bar, unit_of_work(engine) as session:
            reading = bar.add_task("Reading the directory", total=len(hsds.KINDS))
            bundle = transfer.export_bundle(session, actor=None, target=str(path),
                                            progress=lambda _kind, _n: bar.advance(reading, 1))
            bar.add_task(f"Writing {path.name}", total=1, completed=1)
            hsds.write_path(bundle, path)
    finally:
        engine.dispose()
    console.print(f"Exported {bundle.count()} records to {path}.", markup=False, highlight=False)
