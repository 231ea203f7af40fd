"""`crossroads rules diff | activate`: the registry's commands on the engine's `rules` app."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from crossroads.eligibility.cli import app

err = Console(stderr=True)


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", soft_wrap=True, highlight=False)
    return typer.Exit(code)


@app.command("diff")
def diff(
    programme: Annotated[str, typer.Argument(help="The programme's code, e.g. avrr.")],
    file: Annotated[Path, typer.Argument(help="The new rule file.", exists=True, dir_okay=False, readable=True)],
    workers: Annotated[int, typer.Option("--workers", min=0, max=64,
                                         help="Processes reading the registry; 0 is one per core.")] = 0,
    approve_every_override: Annotated[bool, typer.Option(
        "--approve-every-override", help="Under this version every override waits for a supervisor.")] = False,
) -> None:
    """Store FILE as a draft of PROGRAMME's rules and show whose determination it would change.

    The registry is only read, by worker processes outside any write transaction; the draft and its report are
    each written in a short transaction of their own. `crossroads rules activate` then makes the draft active.
    """
    from sqlalchemy import select

    from crossroads.config import Settings
    from crossroads.db.session import make_engine, unit_of_work
    from crossroads.eligibility import rule_admin, service
    from crossroads.eligibility.models import RuleSetStatus, RuleSetVersion
    from crossroads.eligibility.reevaluation_run import diff_over_registry
    from crossroads.eligibility.schemas import RuleSetCreate
    from crossroads.kit.errors import DomainError

    text = file.read_text(encoding="utf-8")
    settings = Settings()
    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(engine) as session:
            parsed = rule_admin.parse_rule_file(text, source=str(file), programme=programme)
            row = session.scalar(select(RuleSetVersion).where(RuleSetVersion.programme == programme,
                                                              RuleSetVersion.version == parsed.version))
            if row is None:
                row = rule_admin.draft_rule_set(session, principal=None, programme=programme, data=RuleSetCreate(
                    version=parsed.version, source=text, approve_every_override=approve_every_override))
            elif row.status is not RuleSetStatus.DRAFT or row.source != text:
                raise _fail(f"{programme} already has a rule set {parsed.version} with other rules; "
                            "give the new file a version of its own")
            active = service.active_rule_set(session, programme)
            draft_id, active_id = row.id, active.id if active else None
            old_source = active.source if active else None
    except DomainError as exc:
        raise _fail(f"{exc.field}: {exc.message}" if exc.field else exc.message, 2) from None

    with Progress(TextColumn(f"Re-evaluating {programme}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=err) as bar:
        task = bar.add_task("diff", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = diff_over_registry(settings.database_url, programme, old_source, text, workers=workers,
                                    progress=progress)

    with unit_of_work(engine) as session:
        row = session.get(RuleSetVersion, draft_id)
        against = session.get(RuleSetVersion, active_id) if active_id is not None else None
        assert row is not None
        rule_admin.keep_diff_report(session, principal=None, row=row, against=against, report=report)
    table = Table("From", "To", "Cases")
    for move, n in sorted(report["transitions"].items()):
        before, after = move.split(">")
        table.add_row(before, after, str(n))
    err.print(table)
    err.print(f"{report['cases']} cases, {report['changed']} would change ({report['seconds']} s). "
              f"Activate with: crossroads rules activate {programme} {parsed.version}", soft_wrap=True)


@app.command("activate")
def activate(
    programme: Annotated[str, typer.Argument(help="The programme's code.")],
    version: Annotated[str, typer.Argument(help="The draft's version, as its rule file gives it.")],
) -> None:
    """Make a draft the programme's active rule set; refused until its diff report against the active one exists."""
    from sqlalchemy import select

    from crossroads.config import Settings
    from crossroads.db.session import make_engine, unit_of_work
    from crossroads.eligibility import rule_admin
    from crossroads.eligibility.models import RuleSetVersion
    from crossroads.kit.errors import DomainError

    try:
        with unit_of_work(make_engine(Settings().database_url)) as session:
            row_id = session.scalar(select(RuleSetVersion.id).where(RuleSetVersion.programme == programme,
                                                                    RuleSetVersion.version == version))
            if row_id is None:
                raise _fail(f"{programme} has no rule set {version}; store it with `crossroads rules diff` first")
            rule_admin.activate_rule_set(session, principal=None, rule_set_id=row_id)
    except DomainError as exc:
        raise _fail(exc.message) from None
    err.print(f"{programme} {version} is active")
