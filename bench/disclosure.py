"""The disclosure benchmark: k-anonymity over synthetic CTDC-like records, and a DP table beside bare OpenDP.

`python -m bench disclosure --rows N --json` generates N synthetic case records
(crossroads/disclosure/engine/synthetic.py), anonymises them in memory with k = 11, distinct l = 2 on the type
of exploitation, at most 5% suppression, over seven quasi-identifiers (gender, age, citizenship, country of
exploitation, year of registration, data source, recruiter relationship), and then releases one DP histogram
— counts by citizenship (ISO keys) × gender × 10-year age band at ε = 1 — twice: through
`crossroads.disclosure.engine.dp.dp_count_table`, and written directly against OpenDP (the same encoding and
measurement without our checks, calibration search, accuracy and result table). Each DP figure is the best
of `--repeat` runs. No database; nothing is written.

Heavy imports happen inside functions: `python -m bench --help` must not pay for them.
"""

from __future__ import annotations

import os
import platform
import time
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from bench.harness.report import print_result

GOAL_SECONDS_AT_1M = 10.0
GOAL_DP_VS_BARE = 1.5
EPSILON = 1.0
GENDERS = ("Female", "Male", "Trans/Transgender/NonConforming")


def _dp_dimensions() -> list:
    from crossroads.disclosure.engine.dp import Dimension, country_keys

    return [Dimension("citizenship", keys=country_keys()), Dimension("gender", keys=GENDERS),
            Dimension("age", width=10, start=0, stop=90)]


def bare_opendp(frame: Any, epsilon: float) -> Any:
    """The benchmark's DP query written directly against OpenDP: the baseline dp_count_table is compared to."""
    import numpy as np
    import opendp.prelude as dp
    import pandas as pd

    from crossroads.disclosure.engine.dp import band_keys, band_label, country_keys

    dp.enable_features("contrib")
    key_sets = [country_keys(), GENDERS, band_keys(10, 0, 90)]
    cell = np.zeros(len(frame), dtype=np.int64)
    outside = np.zeros(len(frame), dtype=bool)
    for column, keys in zip(["citizenship", "gender", "age"], key_sets, strict=True):
        codes, uniques = pd.factorize(frame[column], sort=False)
        labels = [band_label(u, 10) for u in uniques] if column == "age" else list(uniques)
        idx = np.append(pd.Index(keys).get_indexer(labels), -1)[codes]
        outside |= idx < 0
        cell = cell * len(keys) + np.maximum(idx, 0)
    n_cells = int(np.prod([len(k) for k in key_sets]))
    cell[outside] = n_cells
    measurement = (dp.t.make_count_by_categories(dp.vector_domain(dp.atom_domain(T=dp.i64)), dp.symmetric_distance(),
                                                 categories=list(range(n_cells)))
                   >> dp.m.then_laplace(scale=1.0 / epsilon))
    return measurement(cell)


def _best_of(repeat: int, fn: Any) -> tuple[float, list[float], Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(round(time.perf_counter() - started, 4))
    return min(times), times, result


def run_benchmark(rows: int, *, seed: int = 0, k: int = 11, repeat: int = 3, console: Any = None) -> dict[str, Any]:
    """Generate, anonymise, release the DP table both ways; returns the figures as a JSON-ready dict."""
    from importlib.metadata import version

    import numpy as np
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from crossroads.disclosure.engine.anonymize import anonymize
    from crossroads.disclosure.engine.dp import dp_count_table
    from crossroads.disclosure.engine.synthetic import ctdc_like, ctdc_spec

    console = console or Console(stderr=True)
    load_before = os.getloadavg()
    with console.status(f"generating {rows:,} synthetic records"):
        started = time.perf_counter()
        frame = ctdc_like(rows, seed=seed)
        generation = time.perf_counter() - started
    spec = ctdc_spec(k=k)
    with Progress(TextColumn("{task.description:<30}"), BarColumn(), TextColumn("{task.completed} nodes"),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("searching the lattice", total=None)

        def progress(stage: str, done: int, total: int | None) -> None:
            if stage == "search":
                bar.update(task, completed=done)

        result = anonymize(frame, spec, progress=progress, seed=seed)
    report = result.report
    dims = _dp_dimensions()
    with console.status("DP table through crossroads"):
        dp_seconds, dp_runs, table = _best_of(repeat, lambda: dp_count_table(frame, dims, epsilon=EPSILON))
    with console.status("DP table through bare OpenDP"):
        bare_seconds, bare_runs, bare = _best_of(repeat, lambda: bare_opendp(frame, EPSILON))
    ratio = dp_seconds / bare_seconds if bare_seconds else None
    out = {
        "benchmark": "disclosure",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "rows": rows,
        "k": spec["k"],
        "l": spec.get("l"),
        "max_suppression": spec["max_suppression"],
        "quasi_identifiers": report["quasi_identifiers"],
        "seconds": report["seconds"],
        "seconds_by_stage": report["seconds_by_stage"],
        "lattice_nodes": report["lattice_nodes"],
        "lattice_nodes_checked": report["lattice_nodes_checked"],
        "suppression_rate": report["suppression_rate"],
        "k_achieved": report["k_achieved"],
        "l_achieved": report["l_achieved"],
        "generalisation": report["generalisation_names"],
        "information_loss": report["information_loss"],
        "equivalence_classes": report["equivalence_classes"],
        "max_risk": report["max_risk"],
        "avg_risk": report["avg_risk"],
        "share_at_risk": report["share_at_risk"],
        "sample_uniques_before": report["sample_uniques_before"],
        "generation_seconds": round(generation, 4),
        "dp_query": "count by citizenship (ISO 3166 keys) x gender x 10-year age band, epsilon 1",
        "dp_cells": len(table.frame),
        "dp_cells_bare": int(np.asarray(bare).size) - 1,
        "dp_accuracy": table.accuracy,
        "dp_seconds": dp_seconds,
        "opendp_bare_seconds": bare_seconds,
        "dp_runs": dp_runs,
        "opendp_bare_runs": bare_runs,
        "dp_vs_bare": round(ratio, 3) if ratio is not None else None,
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(), "numpy": np.__version__, "opendp": version("opendp"),
                    "loadavg_before": [round(x, 2) for x in load_before],
                    "loadavg_after": [round(x, 2) for x in os.getloadavg()]},
    }
    goals: dict[str, bool] = {f"dp<={GOAL_DP_VS_BARE}x_bare_opendp": ratio is not None and ratio <= GOAL_DP_VS_BARE}
    if rows >= 1_000_000:
        goals[f"seconds<={GOAL_SECONDS_AT_1M:g}_at_1M"] = report["seconds"] <= GOAL_SECONDS_AT_1M
    out["goals_met"] = goals
    return out


def _table(result: dict[str, Any]) -> Any:
    from rich.table import Table

    table = Table(title=f"Disclosure benchmark — {result['rows']:,} rows, {result['date']}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for label, value in (
            ("anonymise (k=11, l=2, 7 QIs)", f"{result['seconds']:.2f} s"),
            ("lattice nodes checked / total", f"{result['lattice_nodes_checked']} / {result['lattice_nodes']}"),
            ("suppression rate", f"{result['suppression_rate']:.2%}"),
            ("k / l achieved", f"{result['k_achieved']} / {result['l_achieved']}"),
            ("DP table (crossroads)", f"{result['dp_seconds']:.3f} s"),
            ("DP table (bare OpenDP)", f"{result['opendp_bare_seconds']:.3f} s"),
            ("crossroads / bare", f"{result['dp_vs_bare']:.2f}x")):
        table.add_row(label, value)
    return table


def command(
    rows: Annotated[int, typer.Option("--rows", min=1, help="Synthetic records to anonymise.")] = 1_000_000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic data.")] = 0,
    k: Annotated[int, typer.Option("--k", min=2, help="k of k-anonymity.")] = 11,
    repeat: Annotated[int, typer.Option("--repeat", min=1, help="Runs of each DP table; the best counts.")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")] = False,
) -> None:
    """Benchmark anonymisation (k-anonymity over 7 quasi-identifiers) and DP tables against bare OpenDP."""
    from rich.console import Console

    result = run_benchmark(rows, seed=seed, k=k, repeat=repeat, console=Console(stderr=True))
    print_result(result, as_json=as_json, table=_table)
