"""`crossroads dedup learn | models | rollback`: model versions learnt from reviewers' decisions.

`crossroads dedup activate VERSION` (registry_cli.py) activates a recorded version.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Column, Table

from crossroads.dedup.cli import app

err = Console(stderr=True)
out = Console()


def _engine():
    from crossroads.config import Settings
    from crossroads.db.session import make_engine

    return make_engine(Settings().database_url)


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    return typer.Exit(code)


def _figure(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def comparison_table(c) -> Table:
    table = Table("held-out decisions", f"{c.row.version} (new)", f"{c.active.version} (active)",
                  title=f"{c.held_out} decisions never learnt from, threshold {c.threshold}")
    for name in ("precision", "recall", "f1", "log_loss"):
        table.add_row(name, _figure(getattr(c.candidate, name)), _figure(getattr(c.current, name)))
    return table


@app.command("learn")
def learn(
    strength: Annotated[float, typer.Option("--strength", min=0.001, max=100_000,
                                            help="Pseudo-pairs the current model's m is worth.")] = 50.0,
) -> None:
    """Learn a candidate model version from supervisors' decisions (not activated) and compare it."""
    from crossroads.db.session import unit_of_work
    from crossroads.dedup.learning import compare_version, train_version
    from crossroads.kit.errors import DomainError

    with unit_of_work(_engine()) as session:
        try:
            row = train_version(session, principal=None, strength=strength)
            comparison = compare_version(session, principal=None, version=row.version)
        except DomainError as exc:
            raise _fail(str(exc.message)) from None
        out.print(comparison_table(comparison))
    err.print(f"version {row.version} recorded as a candidate, learnt from {row.labels} decisions on top of "
              f"{row.parent_version}; `crossroads dedup activate {row.version}` makes it active")


@app.command("models")
def models() -> None:
    """List the recorded model versions, newest first."""
    from crossroads.db.session import unit_of_work
    from crossroads.dedup.learning import list_versions

    with unit_of_work(_engine()) as session:
        rows = list_versions(session, principal=None)
        table = Table("status", "learnt from", "decisions", "recorded")
        # A version is what `activate` takes: never folded, whatever the terminal's width.
        table.columns.insert(0, Column("version", no_wrap=True, min_width=max(len(v.version) for v in rows)))
        for v in rows:
            status = "active" if v.active else "used before" if v.activated_at else "candidate"
            table.add_row(v.version, status, v.parent_version or "—", str(v.labels) if v.labels is not None else "—",
                          v.created_at.strftime("%Y-%m-%d %H:%M"))
        out.print(table)


@app.command("rollback")
def rollback() -> None:
    """Make active again the version the active one replaced."""
    from crossroads.db.session import unit_of_work
    from crossroads.dedup.learning import rollback_version
    from crossroads.kit.errors import DomainError

    with unit_of_work(_engine()) as session:
        try:
            row = rollback_version(session, principal=None)
        except DomainError as exc:
            raise _fail(str(exc.message)) from None
    err.print(f"model {row.version} is active again")
