"""`crossroads referrals sweep-overdue`: the worker's overdue sweep, once, for cron or by hand."""

from __future__ import annotations

import typer
from rich.console import Console

app = typer.Typer(help="Referrals: the overdue notices.", no_args_is_help=True)
err = Console(stderr=True)


@app.command("sweep-overdue")
def sweep_overdue_command() -> None:
    """Queue the overdue notice of every referral not acknowledged in time and not yet announced."""
    from crossroads.config import Settings
    from crossroads.db.session import make_engine
    from crossroads.referrals.overdue import sweep

    engine = make_engine(Settings().database_url)
    try:
        announced = sweep(engine)
    finally:
        engine.dispose()
    err.print(f"{announced} overdue referrals announced; `crossroads worker` delivers the notices")
