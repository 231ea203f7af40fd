"""`crossroads disclosure`: anonymise a CSV by a spec, DP count tables, small-cell rules.

Outputs are written to temporary files beside their targets and moved into place only when everything
succeeded, so a failure leaves no file behind (and never half a file).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal, cast

import typer
from rich.console import Console

app = typer.Typer(help="De-identified releases: k-anonymity, differential privacy, small cells.",
                  no_args_is_help=True)
err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    return typer.Exit(code)


def _read_csv(path: Path) -> Any:
    import pandas as pd

    try:
        # Every value as text, nothing guessed as missing: "NA" may be a country code, "0012" an identifier.
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise _fail(f"INPUT: no file {path}") from None
    except UnicodeDecodeError as exc:
        raise _fail(f"INPUT: {path} is not UTF-8 text (byte {exc.start})") from None
    except pd.errors.EmptyDataError:
        raise _fail(f"INPUT: {path} is empty") from None
    except pd.errors.ParserError as exc:
        raise _fail(f"INPUT: {path} is not a well-formed CSV: {str(exc).strip()}") from None
    duplicated = frame.columns[frame.columns.str.contains(r"\.\d+$") & frame.columns.str.replace(
        r"\.\d+$", "", regex=True).isin(frame.columns)]
    if len(duplicated):
        raise _fail(f"INPUT: column {duplicated[0].rsplit('.', 1)[0]!r} appears more than once")
    return frame


@contextmanager
def _staged(*targets: Path) -> Iterator[list[Path]]:
    """Temporary paths beside each target, moved onto the targets only if the block succeeds."""
    staged = []
    try:
        for target in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            os.close(fd)
            staged.append(Path(name))
        yield staged
        for tmp, target in zip(staged, targets, strict=True):
            os.replace(tmp, target)
    finally:
        for tmp in staged:
            tmp.unlink(missing_ok=True)


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=_json_default) + "\n", encoding="utf-8")


def _json_default(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    raise TypeError(type(value))


@contextmanager
def _domain_errors() -> Iterator[None]:
    from crossroads.disclosure.engine.anonymize import Unmeetable
    from crossroads.kit.errors import DomainError

    try:
        yield
    except Unmeetable as exc:
        raise _fail(exc.message, 1) from None
    except DomainError as exc:
        field = exc.field or "input"
        message = exc.message if exc.message.startswith(("row ", field)) else f"{field}: {exc.message}"
        raise _fail(message) from None


@app.command()
def anonymize(
    input: Annotated[Path, typer.Argument(metavar="INPUT",
                                          help="CSV with a header row; every column must be named in the spec.")],
    spec: Annotated[Path, typer.Option("--spec", help="YAML release spec (roles, hierarchies, k, l, ...).")],
    output: Annotated[Path, typer.Option("--output", help="Where the de-identified CSV goes.")],
    report: Annotated[Path, typer.Option("--report", help="Where the risk report (JSON) goes.")],
    seed: Annotated[int | None, typer.Option(help="Seed of the row shuffle (tests; random by default).")] = None,
) -> None:
    """De-identify INPUT by the spec: generalise, suppress, pseudonymise; write the release and its report."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from crossroads.disclosure.engine.anonymize import anonymize as run
    from crossroads.disclosure.engine.spec import load_spec
    from crossroads.kit import spreadsheet

    with _domain_errors():
        release_spec = load_spec(spec)
    with err.status(f"reading {input.name}"):
        frame = _read_csv(input)
    with Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: int, total: int | None) -> None:
            label = {"encode": "encoding columns", "search": "searching the lattice (nodes)",
                     "release": "building the release"}[stage]
            if stage not in tasks:
                tasks[stage] = bar.add_task(label, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        with _domain_errors():
            result = run(frame, release_spec, progress=progress, seed=seed)
    with err.status(f"writing {output.name}"), _staged(output, report) as (out_tmp, report_tmp):
        spreadsheet.write_frame_csv(result.frame, out_tmp)
        _write_json(report_tmp, {"input": input.name, **result.report})
    r = result.report
    err.print(f"released {r['rows_out']:,} of {r['rows_in']:,} rows: k={r['k_achieved']}"
              + (f", l={r['l_achieved']}" if r["l_achieved"] is not None else "")
              + f", {r['suppression_rate']:.2%} suppressed, max risk {r['max_risk']:.3f}, "
              f"{r['share_at_risk']:.2%} of records at risk"
              + ("" if r["publishable"] else " — [bold yellow]above the publication limit[/]"), soft_wrap=True)


def _parse_pairs(values: list[str] | None, option: str) -> dict[str, str]:
    pairs = {}
    for raw in values or []:
        column, sep, value = raw.partition("=")
        if not sep or not column or not value:
            raise _fail(f"{option}: expected COLUMN=VALUE, got {raw!r}")
        pairs[column] = value
    return pairs


def _dimensions(by: list[str], keys: dict[str, str], bands: dict[str, str]) -> list:
    from crossroads.disclosure.engine.dp import Dimension, country_keys

    unknown = [c for c in [*keys, *bands] if c not in by]
    if unknown:
        raise _fail(f"--keys/--bands: {unknown[0]!r} is not one of the --by columns")
    dims = []
    for column in by:
        public = None
        if column in keys:
            public = country_keys() if keys[column] == "iso3" else tuple(v for v in keys[column].split(",") if v)
        width = start = stop = None
        if column in bands:
            try:
                width, start, stop = (int(p) for p in bands[column].split(":"))
            except ValueError:
                raise _fail(f"--bands: expected COLUMN=WIDTH:START:STOP, got {column}={bands[column]}") from None
        dims.append(Dimension(column=column, keys=public, width=width, start=start, stop=stop))
    return dims


@app.command("dp-table")
def dp_table(
    input: Annotated[Path, typer.Argument(metavar="INPUT", help="CSV with a header row.")],
    by: Annotated[list[str], typer.Option("--by", help="Column to count by; repeat for several.")],
    epsilon: Annotated[float, typer.Option(help="Privacy loss of this table.")],
    output: Annotated[Path, typer.Option("--output", help="Where the noisy table (CSV) goes.")],
    delta: Annotated[float, typer.Option(help="Needed (> 0) when a dimension has no public key set.")] = 0.0,
    keys: Annotated[list[str] | None, typer.Option(
        "--keys", help="Public key set: COLUMN=iso3 (ISO 3166 alpha-3) or COLUMN=a,b,c.")] = None,
    bands: Annotated[list[str] | None, typer.Option(
        "--bands", help="Band a numeric column: COLUMN=WIDTH:START:STOP (the bands are then public keys).")] = None,
    unit: Annotated[str | None, typer.Option(help="Column naming the person, when one may have several rows.")]
    = None,
    max_contributions: Annotated[int, typer.Option(help="Rows counted per person at most.")] = 1,
    alpha: Annotated[float, typer.Option(help="1 - confidence of the accuracy reported.")] = 0.05,
    report: Annotated[Path | None, typer.Option("--report", help="Where the budget and accuracy (JSON) go.")]
    = None,
) -> None:
    """A differentially private count of INPUT's rows by the --by columns (OpenDP)."""
    from crossroads.disclosure.engine.dp import dp_count_table
    from crossroads.kit import spreadsheet

    frame = _read_csv(input)
    dims = _dimensions(by, _parse_pairs(keys, "--keys"), _parse_pairs(bands, "--bands"))
    with _domain_errors(), err.status("counting"):
        table = dp_count_table(frame, dims, epsilon=epsilon, delta=delta, alpha=alpha,
                               max_contributions=max_contributions, privacy_unit=unit)
    targets = [output, report] if report else [output]
    with _staged(*targets) as staged:
        spreadsheet.write_frame_csv(table.frame, staged[0])
        if report:
            _write_json(staged[1], {"input": input.name, **table.summary()})
    s = table.summary()
    err.print(f"{s['cells']:,} cells, ε={s['epsilon']:g}, δ={s['delta']:.3g}; {s['accuracy_statement']}",
              soft_wrap=True)


@app.command("small-cells")
def small_cells(
    input: Annotated[Path, typer.Argument(metavar="INPUT", help="CSV table of counts with a header row.")],
    output: Annotated[Path, typer.Option("--output")],
    count: Annotated[str, typer.Option(help="The column holding the counts.")] = "count",
    method: Annotated[str, typer.Option(help="suppress (withhold cells under the threshold) or round.")]
    = "suppress",
    threshold: Annotated[int, typer.Option(help="Counts from 1 to this minus 1 are withheld.")] = 5,
    base: Annotated[int, typer.Option(help="Rounding base for --method round.")] = 5,
) -> None:
    """Apply a small-cell rule to a non-DP table of counts (primary and secondary suppression, or rounding)."""
    from crossroads.disclosure.engine.small_cells import protect_small_cells
    from crossroads.kit import spreadsheet

    frame = _read_csv(input)
    if method not in {"suppress", "round"}:
        raise _fail("--method: expected suppress or round")
    with _domain_errors():
        protected = protect_small_cells(frame, count=count, method=cast(Literal["suppress", "round"], method),
                                        threshold=threshold, base=base)
    with _staged(output) as (tmp,):
        spreadsheet.write_frame_csv(protected.frame, tmp)
    s = protected.summary()
    err.print(f"{s['cells']:,} cells; {s['primary_suppressed']} withheld under {threshold}, "
              f"{s['secondary_suppressed']} more to protect them" if method == "suppress"
              else f"{s['cells']:,} cells rounded to multiples of {base}")
