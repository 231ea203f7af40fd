"""Learning from reviewers: how much the engine gains from supervisors' decisions, asked actively or at random.

`python -m bench dedup-learning --json` builds, for each seed, the labelled synthetic set
(crossroads/dedup/engine/synthetic.py, with contacts), its candidate pairs by the engine's blocking keys (each
key capped as the online check caps it) and their comparison vectors. One pair in HELD_OUT (by a hash of the
pair, so the split does not depend on the order) is kept for evaluation only; the rest is the pool reviewers
are asked about. A simulated reviewer answers from the planted truth:

- ``active``: each round asks the pairs engine/learning.select_pairs puts first (uncertain, varied patterns) under
  the model learnt so far;
- ``random``: the same number of pairs drawn at random from the pool (the baseline).

After each round the model is learnt again from all answers so far with engine/learning.update_model, the shipped
model as prior — as `crossroads dedup learn` does. Reported after 0, 100, 300 and 1,000 decisions: precision,
recall and F1 at the default threshold, and the mean log-loss, on the held-out pairs.
"""

from __future__ import annotations

import hashlib
import os
import platform
import random
import time
from collections import Counter
from typing import Annotated, Any

import typer

from bench.harness.report import print_result

DEFAULT_THRESHOLD = 0.9
CHECKPOINTS = (0, 100, 300, 1000)
ROUND = 20
HELD_OUT = 4  # one pair in four
PER_KEY_LIMIT = 200


def candidate_pairs(records) -> list[tuple[str, str]]:
    """Pairs sharing a blocking key, each key's people capped as the online check caps them."""
    from crossroads.dedup.engine.keys import blocking_keys

    index: dict[str, list[str]] = {}
    for r in records:
        for key in blocking_keys(r):
            index.setdefault(key, []).append(r.id)
    pairs: set[tuple[str, str]] = set()
    for ids in index.values():
        ids = ids[:PER_KEY_LIMIT]
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                pairs.add((a, b) if a < b else (b, a))
    return sorted(pairs)


def _held_out(pair: tuple[str, str]) -> bool:
    return hashlib.sha256(f"{pair[0]}|{pair[1]}".encode()).digest()[0] % HELD_OUT == 0


def _figures(model, held_out, threshold: float) -> dict[str, Any]:
    from crossroads.dedup.engine.learning import evaluate

    m = evaluate(model, held_out, threshold=threshold)
    return {"precision": _round(m.precision), "recall": _round(m.recall), "f1": _round(m.f1),
            "log_loss": _round(m.log_loss)}


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def simulate(people: int, seed: int, *, threshold: float, strength: float, console) -> dict[str, Any]:
    from crossroads.dedup.engine.comparisons import compare
    from crossroads.dedup.engine.keys import features
    from crossroads.dedup.engine.learning import Label, select_pairs, update_model
    from crossroads.dedup.engine.model import default_model
    from crossroads.dedup.engine.synthetic import generate_labelled

    started = time.perf_counter()
    labelled = generate_labelled(people, seed=seed, contacts=True)
    feats = {r.id: features(r) for r in labelled.records}
    pairs = candidate_pairs(labelled.records)
    gammas = {p: tuple(compare(feats[p[0]], feats[p[1]])) for p in pairs}
    truth = labelled.true_pairs
    held_out = [Label(gammas[p], p in truth) for p in pairs if _held_out(p)]
    pool = [p for p in pairs if not _held_out(p)]
    base = default_model()
    console.print(f"seed {seed}: {len(labelled.records)} records, {len(pairs)} candidate pairs, "
                  f"{len(held_out)} held out ({sum(lb.match for lb in held_out)} true)")
    out: dict[str, Any] = {"records": len(labelled.records), "candidate_pairs": len(pairs),
                           "held_out_pairs": len(held_out), "held_out_matches": sum(lb.match for lb in held_out),
                           "pool_matches": sum(p in truth for p in pool)}
    for strategy in ("active", "random"):
        model, asked, labels = base, set(), []
        rng = random.Random(seed)
        order = pool[:]
        rng.shuffle(order)
        results = {}
        for checkpoint in CHECKPOINTS:
            while len(labels) < checkpoint:
                want = min(ROUND, checkpoint - len(labels))
                if strategy == "active":
                    patterns = Counter(lb.gamma for lb in labels)
                    chosen = select_pairs(model, ((p, gammas[p]) for p in pool if p not in asked), limit=want,
                                          asked=patterns)
                else:
                    chosen = order[len(labels):len(labels) + want]
                for p in chosen:
                    asked.add(p)
                    labels.append(Label(gammas[p], p in truth))
                model = update_model(base, labels, version="bench", trained_at="", strength=strength)
            results[str(checkpoint)] = _figures(model, held_out, threshold) | {
                "matches_asked": sum(lb.match for lb in labels)}
        out[strategy] = results
        console.print(f"seed {seed} {strategy}: " + ", ".join(f"{k}: F1 {v['f1']}" for k, v in results.items()))
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out


def _loadavg() -> list[float] | None:
    try:
        with open("/proc/loadavg") as handle:
            return [float(x) for x in handle.read().split()[:3]]
    except OSError:
        return None


def _table(figures: dict[str, Any]):
    from rich.table import Table

    table = Table("seed", "strategy", *(f"F1 @{c}" for c in CHECKPOINTS), *(f"log-loss @{c}" for c in CHECKPOINTS))
    for seed, result in figures["seeds"].items():
        for strategy in ("active", "random"):
            r = result[strategy]
            table.add_row(seed, strategy, *(str(r[str(c)]["f1"]) for c in CHECKPOINTS),
                          *(str(r[str(c)]["log_loss"]) for c in CHECKPOINTS))
    return table


def command(
    people: Annotated[int, typer.Option("--people", min=100, help="Synthetic people per seed (before duplicates).")]
    = 3_000,
    seed: Annotated[list[int] | None, typer.Option("--seed", help="Repeat for several sets (default 2, 3, 4).")]
    = None,
    threshold: Annotated[float, typer.Option("--threshold", min=0.0, max=1.0)] = DEFAULT_THRESHOLD,
    strength: Annotated[float | None, typer.Option("--strength", min=0.001, help="Pseudo-pairs the shipped model "
                                                                                  "is worth (default: the engine's).")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")] = False,
) -> None:
    """Benchmark learning from reviewers: F1 and log-loss after 0, 100, 300, 1,000 decisions, active vs random."""
    from rich.console import Console

    from crossroads.dedup.engine.learning import DEFAULT_STRENGTH

    err = Console(stderr=True)
    chosen = strength or DEFAULT_STRENGTH
    figures: dict[str, Any] = {
        "benchmark": "dedup-learning", "people": people, "threshold": threshold, "strength": chosen,
        "round": ROUND, "held_out_share": 1 / HELD_OUT, "machine": platform.machine(), "cpus": os.cpu_count(),
        "python": platform.python_version(), "load_before": _loadavg(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "seeds": {str(s): simulate(people, s, threshold=threshold, strength=chosen, console=err)
                  for s in (seed or [2, 3, 4])},
    }
    figures["load_after"] = _loadavg()
    print_result(figures, as_json=as_json, table=_table)
