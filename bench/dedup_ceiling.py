"""How far the batch engine's levels can go: the unsupervised model beside supervised fits on the same pairs.

`python -m bench dedup-ceiling --people N --seed S --json` runs the batch engine on the labelled synthetic
set (crossroads/dedup/engine/synthetic.py), as `python -m bench dedup` does, keeps every candidate pair, and
reports recall at precision 0.98 four ways:

- ``unsupervised``: the engine as it ships — Fellegi–Sunter, trained by Splink without labels, the figure
  `python -m bench dedup` reports;
- ``supervised_levels``: a logistic regression over the same comparison levels (one indicator per level of
  each comparison), fitted with the true labels. It is the best any weighting of these levels reaches, and
  it is not bound by Fellegi–Sunter's assumption that comparisons are independent;
- ``supervised_levels_and_similarities``: the same, with Jaro–Winkler similarities of the names (as
  written, as skeletons, crossed for swaps, all words sorted) and the words two whole names share added.
  These overlap with the levels, which a regression can weigh and Fellegi–Sunter cannot;
- ``supervised_trees``: gradient-boosted trees (scikit-learn's histogram boosting) over the same columns,
  which can also combine them in ways no sum of weights can.

The supervised figures are cross-validated: the pairs are split in two folds by the person on their left,
each fold is scored by a regression fitted on the other, and each fold's recall at precision 0.98 is
computed on its own, then averaged. All three recalls are over every true pair: a pair blocking did not make
a candidate counts against each. They say what the record columns hold, not what the engine does: the
engine has no labels to fit on (docs/dedup.md, "Recall at high precision").

scikit-learn comes with the test extra (recordlinkage needs it); the engine itself does not use it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bench.dedup import recall_at_precision
from bench.harness.report import print_result

if TYPE_CHECKING:
    from crossroads.dedup.engine.keys import PersonFeatures

TARGET_PRECISION = 0.98
# Jaro–Winkler similarities are cut into these bins, each an indicator, as comparison levels cut them.
_BINS = (0.7, 0.8, 0.85, 0.9, 0.92, 0.95, 0.99)


def recall_at(scores: Sequence[float], labels: Sequence[bool], target: float = TARGET_PRECISION) -> float:
    """Recall at precision target, as `bench dedup` computes it, over pairs given as scores and labels.

    Recall is over the true pairs among these; the pairs blocking never made candidates are not here.
    """
    scored = [(str(i), "", float(score)) for i, score in enumerate(scores)]
    truth = {(str(i), "") for i, label in enumerate(labels) if label}
    return recall_at_precision(scored, truth, target)["recall"]


def _jw(a: str, b: str) -> float:
    from rapidfuzz.distance import JaroWinkler

    return JaroWinkler.similarity(a, b)


def similarities(a: PersonFeatures, b: PersonFeatures) -> list[float]:
    """Name features of a pair beyond its levels, as categories: Jaro–Winkler seven ways, binned, and shared words.

    The Jaro–Winkler similarities are of the given names, the family names (as written and as skeletons),
    the crossed skeletons (swaps) and all words of both names sorted; -1 where a side is empty. The last
    value says how the two whole names' sets of skeletons relate: 4 the same three or more, 3 the same, 2 all
    of one among the other's (two or more), 1 two or more shared, 0.5 one shared, 0 none, -1 a side empty.
    """
    words_a = sorted(set(a.given_skel.split()) | set(a.family_skel.split()))
    words_b = sorted(set(b.given_skel.split()) | set(b.family_skel.split()))
    pairs = [(a.given, b.given), (a.family, b.family), (a.given_skel, b.given_skel),
             (a.family_skel, b.family_skel), (a.given_skel, b.family_skel), (a.family_skel, b.given_skel),
             (" ".join(words_a), " ".join(words_b))]
    binned = [float(sum(_jw(x, y) >= t for t in _BINS)) if x and y else -1.0 for x, y in pairs]
    shared = len(set(words_a) & set(words_b))
    if not words_a or not words_b:
        relation = -1.0
    elif shared == len(words_a) == len(words_b):
        relation = 4.0 if shared >= 3 else 3.0
    elif shared >= 2 and shared in (len(words_a), len(words_b)):
        relation = 2.0
    else:
        relation = 1.0 if shared >= 2 else 0.5 * shared
    return binned + [relation]


def _fold(record_id: str) -> int:
    # The synthetic set names a duplicate after its original ("p0001234d0"), so a person and their
    # duplicates fall in one fold.
    return hashlib.blake2b(record_id[:8].encode(), digest_size=2).digest()[0] % 2


def _cross_validated(columns: list[list[float]], labels: list[bool], folds: list[int], *, trees: bool = False
                     ) -> float:
    try:
        import numpy as np
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import OneHotEncoder
    except ImportError:
        raise typer.BadParameter("the supervised fits need scikit-learn: pip install -e '.[test]'") from None

    x = np.array(columns) if trees else OneHotEncoder(handle_unknown="ignore").fit_transform(np.array(columns))
    y, f = np.array(labels), np.array(folds)
    recalls = []
    for k in (0, 1):
        train, test = f != k, f == k
        if trees:
            model = HistGradientBoostingClassifier(max_iter=300, random_state=0).fit(x[train], y[train])
            scores = model.predict_proba(x[test])[:, 1]
        else:
            scores = LogisticRegression(C=10, max_iter=3000).fit(x[train], y[train]).decision_function(x[test])
        recalls.append(recall_at(scores.tolist(), y[test].tolist()))
    return sum(recalls) / 2


def measure_ceiling(*, people: int, seed: int) -> dict[str, Any]:
    """The four recalls at precision 0.98 on N synthetic people (see the module's docstring)."""
    from crossroads.dedup.engine.batch import run_batch
    from crossroads.dedup.engine.comparisons import compare
    from crossroads.dedup.engine.keys import features
    from crossroads.dedup.engine.synthetic import generate_labelled

    labelled = generate_labelled(people, seed=seed)
    result = run_batch(labelled.records, train=True, threshold=0.0, seed=seed)
    feats = {r.id: features(r) for r in labelled.records}
    levels, extended, labels, folds, probabilities = [], [], [], [], []
    for a, b, p in result.pairs:
        gammas = [float(g) for g in compare(feats[a], feats[b])]
        levels.append(gammas)
        extended.append(gammas + similarities(feats[a], feats[b]))
        labels.append((a, b) in labelled.true_pairs)
        folds.append(_fold(a))
        probabilities.append(p)
    found = sum(labels)
    total = len(labelled.true_pairs)
    # Recall over all true pairs, as `bench dedup` reports it: a pair blocking missed counts against all three.
    share = found / total if total else 0.0
    return {
        "people": people, "seed": seed, "records": len(labelled.records), "true_pairs": total,
        "candidate_pairs": len(labels), "blocking_recall": round(share, 4) if total else 1.0,
        "target_precision": TARGET_PRECISION,
        "unsupervised": round(recall_at(probabilities, labels) * share, 4),
        "supervised_levels": round(_cross_validated(levels, labels, folds) * share, 4),
        "supervised_levels_and_similarities": round(_cross_validated(extended, labels, folds) * share, 4),
        "supervised_trees": round(_cross_validated(extended, labels, folds, trees=True) * share, 4),
        "model": result.model.version,
    }


def _table(figures: dict[str, Any]):
    from rich.table import Table

    table = Table("model", f"recall at precision {TARGET_PRECISION}")
    for key in ("unsupervised", "supervised_levels", "supervised_levels_and_similarities", "supervised_trees"):
        table.add_row(key.replace("_", " "), str(figures[key]))
    return table


def command(
    people: Annotated[int, typer.Option("--people", min=200, help="Synthetic people (before planted duplicates).")]
    = 20_000,
    seed: Annotated[int, typer.Option("--seed")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")] = False,
) -> None:
    """Recall at precision 0.98: the unsupervised engine beside supervised fits on the same candidate pairs."""
    from rich.console import Console

    with Console(stderr=True).status(f"{people} synthetic people: scoring and fitting"):
        figures = measure_ceiling(people=people, seed=seed)
    print_result(figures, as_json=as_json, table=_table)
