"""The `python -m bench` command: one sub-command per benchmark, each printing JSON with --json."""

from __future__ import annotations

import typer

from bench import (
                  cases,
                  dedup,
                  dedup_ceiling,
                  dedup_febrl,
                  dedup_heldout,
                  dedup_learning,
                  disclosure,
                  eligibility,
                  people_search,
                  profile_registration,
                  referrals,
)

# As the `crossroads` command: tracebacks never show local variables.
app = typer.Typer(help="Benchmarks of Crossroads (docs/benchmarks.md).", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_show_locals=False)
app.command("cases")(cases.command)
app.command("dedup")(dedup.command)
app.command("dedup-ceiling")(dedup_ceiling.command)
app.command("dedup-febrl")(dedup_febrl.command)
app.command("dedup-heldout")(dedup_heldout.command)
app.command("dedup-learning")(dedup_learning.command)
app.command("disclosure")(disclosure.command)
app.command("eligibility")(eligibility.command)
app.command("people-search")(people_search.command)
app.command("profile-registration")(profile_registration.command)
app.command("referrals")(referrals.command)
