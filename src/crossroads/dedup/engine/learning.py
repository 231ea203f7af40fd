"""Learning from reviewers: which pairs to ask about, and a model updated from their answers.

Pure: comparison vectors (gamma, one level per comparison of comparisons.COMPARISONS) and the reviewers' answers
in, an ordering of pairs or a new MatchModel out. The service (dedup/learning.py) reads the decisions and writes
the versions.

Asking (``select_pairs``), as dedupe.io does: the answer that teaches the model most is the one it is least sure
of, a pair scored near p = 0.5 (uncertainty sampling). Uncertainty alone asks about the same kind of pair again and
again — twenty pairs that agree on the family name and the year and nothing else, all near 0.5 for the same
reason — and the second answer about one comparison pattern teaches little the first did not. So pairs are
grouped by their comparison vector and each pattern's uncertainty is divided by one plus the number of times that
pattern was already asked (labelled before, or earlier in this list): a pattern asked k times comes back only
when it is k + 1 times as uncertain as a fresh one.

Updating (``update_model``): each comparison's m (share of true matches at each level) and u (share of
non-matches) is re-estimated as the mean of a Dirichlet posterior whose prior is the current model's m and u,
worth a number of pseudo-pairs. For m that is ``strength``: ten matches then move an m by at most about
10/(strength + 10), a thousand mostly replace it — few decisions nudge the model, many decide it. A comparison
missing on a labelled pair (gamma -1) says nothing about that comparison and is skipped for it.

u is different. It is the chance of agreeing among pairs of different people taken at random, and the model's u
was estimated from a very large random sample; the non-matches reviewers answer about are the opposite of random,
pairs alike enough to be queued. Counted like the matches, they made every agreement look common and cut recall
from 0.99 to 0.63 after 100 answers on a synthetic set (docs/benchmarks.md). So u's prior is worth
``U_STRENGTH`` pseudo-pairs: a chance agreement reviewers keep rejecting by the thousand still moves it, a few
hundred hard pairs do not.

The prior probability of a match is not the share of matches among the labels either (that share is whatever the
queue's selection made it): it moves by the intercept shift that best fits the labels under the updated m/u (the
maximum-likelihood correction of the log-odds), shrunk by k / (k + strength) where k counts the rarer of the two
answers (with n in place of k, a random sample of 300 pairs holding 4 matches moved it enough to cost a seventh
of the recall).
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from crossroads.dedup.engine.comparisons import COMPARISONS, compare
from crossroads.dedup.engine.keys import PersonRecord, features
from crossroads.dedup.engine.model import MatchModel, probability

__all__ = ["DEFAULT_STRENGTH", "U_STRENGTH", "Label", "Metrics", "evaluate", "gamma_of", "match_weight",
           "pair_probability", "select_pairs", "uncertainty", "update_model"]

# Pseudo-pairs the current model's m/u are worth (chosen on the synthetic sets: docs/benchmarks.md).
DEFAULT_STRENGTH = 50.0
U_STRENGTH = 10_000.0
# As engine/model.py floors what Splink estimates: a level never seen among the labels keeps a finite weight.
_MIN_M = 1e-3
_MIN_U = 1e-4

Gamma = tuple[int, ...]
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Label:
    """A reviewer's answer about one pair: its comparison vector and whether the two are one person."""

    gamma: Gamma
    match: bool


def gamma_of(a: PersonRecord, b: PersonRecord) -> Gamma:
    """The comparison vector of two records, as the engine compares them."""
    return tuple(compare(features(a), features(b)))


def _check(gamma: Sequence[int]) -> None:
    if len(gamma) != len(COMPARISONS):
        raise ValueError(f"a comparison vector has {len(COMPARISONS)} values, got {len(gamma)}")


def match_weight(model: MatchModel, gamma: Sequence[int]) -> float:
    """The match weight (log2 odds) the model gives a pair with this comparison vector."""
    _check(gamma)
    total = math.log2(model.prior / (1 - model.prior))
    for g, weights in zip(gamma, model.level_weights, strict=True):
        if 0 <= g < len(weights):
            total += weights[g]
    return total


def pair_probability(model: MatchModel, gamma: Sequence[int]) -> float:
    return probability(match_weight(model, gamma))


def uncertainty(p: float) -> float:
    """1 at p = 0.5, 0 at certainty either way."""
    return 1.0 - abs(2.0 * p - 1.0)


def select_pairs(model: MatchModel, pool: Iterable[tuple[K, Sequence[int]]], *, limit: int,
                 asked: Counter[Gamma] | None = None) -> list[K]:
    """The pool's pairs in the order whose answers teach the model most: uncertain first, patterns varied."""
    counts: Counter[Gamma] = Counter(asked or {})
    by_pattern: dict[Gamma, list[tuple[float, int, K]]] = {}
    scored: dict[Gamma, float] = {}
    for order, (key, gamma) in enumerate(pool):
        pattern = tuple(gamma)
        u = scored.get(pattern)
        if u is None:
            # A pool holds far fewer patterns than pairs: each is scored once.
            u = scored[pattern] = uncertainty(pair_probability(model, pattern))
        # The order in the pool breaks ties, so the same pool always gives the same questions.
        by_pattern.setdefault(pattern, []).append((-u, order, key))
    heap: list[tuple[float, int, Gamma]] = []
    for pattern, members in by_pattern.items():
        members.sort()
        heapq.heappush(heap, (members[0][0] / (1 + counts[pattern]), members[0][1], pattern))
    chosen: list[K] = []
    taken: Counter[Gamma] = Counter()
    while heap and len(chosen) < limit:
        _, _, pattern = heapq.heappop(heap)
        members = by_pattern[pattern]
        chosen.append(members[taken[pattern]][2])
        taken[pattern] += 1
        counts[pattern] += 1
        if taken[pattern] < len(members):
            u, order, _ = members[taken[pattern]]
            heapq.heappush(heap, (u / (1 + counts[pattern]), order, pattern))
    return chosen


def _distribution(values: Sequence[float | None]) -> list[float]:
    # A level the model could not estimate (None) starts from an even share.
    known = [v if v is not None else 1.0 / len(values) for v in values]
    total = sum(known)
    return [v / total for v in known]


def update_model(model: MatchModel, labels: Sequence[Label], *, version: str, trained_at: str,
                 strength: float = DEFAULT_STRENGTH) -> MatchModel:
    """A new version of the model with m, u and the prior re-estimated from the labels, the model as prior."""
    if strength <= 0:
        raise ValueError("strength must be positive")
    for label in labels:
        _check(label.gamma)
    levels: list[list[tuple[str, float | None, float | None]]] = []
    for c, current in enumerate(model.levels):
        n = len(current)
        # current is strongest first; gamma g is level n - 1 - g.
        m_counts, u_counts = [0] * n, [0] * n
        for label in labels:
            g = label.gamma[c]
            if 0 <= g < n:
                (m_counts if label.match else u_counts)[n - 1 - g] += 1
        m_prior = _distribution([m for _, m, _ in current])
        u_prior = _distribution([u for _, _, u in current])
        m_total, u_total = sum(m_counts), sum(u_counts)
        new: list[tuple[str, float | None, float | None]] = []
        for i, (label_text, _, _) in enumerate(current):
            m = (strength * m_prior[i] + m_counts[i]) / (strength + m_total)
            u = (U_STRENGTH * u_prior[i] + u_counts[i]) / (U_STRENGTH + u_total)
            new.append((label_text, max(m, _MIN_M), max(u, _MIN_U)))
        levels.append(new)
    draft = MatchModel(version=version, prior=model.prior, levels=levels, trained_at=trained_at,
                       trained_on=model.trained_on, splink=model.splink)
    # The intercept is learnt from the contrast between matches and non-matches: four matches among three
    # hundred answers say little about it however many the non-matches, so the rarer answer's count shrinks it.
    rarer = min(sum(label.match for label in labels), sum(not label.match for label in labels))
    shift = _intercept_shift(draft, labels) * rarer / (rarer + strength)
    logit = math.log(model.prior / (1 - model.prior)) + shift
    prior = min(max(1.0 / (1.0 + math.exp(-logit)), 1e-9), 1 - 1e-9)
    return MatchModel(version=version, prior=prior, levels=levels, trained_at=trained_at,
                      trained_on=f"{len(labels)} reviewers' decisions on top of {model.version}", splink=model.splink)


def _intercept_shift(model: MatchModel, labels: Sequence[Label]) -> float:
    """The log-odds shift that minimises the labels' log-loss (Newton's method; 0 without both answers)."""
    if not labels or all(label.match for label in labels) or not any(label.match for label in labels):
        return 0.0
    z = [match_weight(model, label.gamma) * math.log(2) for label in labels]
    y = [1.0 if label.match else 0.0 for label in labels]
    shift = 0.0
    for _ in range(50):
        p = [_sigmoid(zi + shift) for zi in z]
        gradient = sum(pi - yi for pi, yi in zip(p, y, strict=True))
        curvature = sum(pi * (1 - pi) for pi in p)
        if curvature < 1e-12:
            break
        step = max(min(gradient / curvature, 5.0), -5.0)
        shift -= step
        if abs(step) < 1e-9:
            break
    return shift


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@dataclass(frozen=True, slots=True)
class Metrics:
    """How a model's answers at a threshold compare with the reviewers' on a set of labelled pairs."""

    pairs: int
    matches: int
    true_positives: int
    false_positives: int
    false_negatives: int
    log_loss: float | None

    @property
    def precision(self) -> float | None:
        called = self.true_positives + self.false_positives
        return self.true_positives / called if called else None

    @property
    def recall(self) -> float | None:
        return self.true_positives / self.matches if self.matches else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 0.0 if p + r == 0 else 2 * p * r / (p + r)


_EPS = 1e-15


def evaluate(model: MatchModel, labels: Sequence[Label], *, threshold: float) -> Metrics:
    """Precision, recall, F1 at the threshold and mean log-loss (natural log) of the model on the labels."""
    tp = fp = fn = 0
    loss = 0.0
    for label in labels:
        p = pair_probability(model, label.gamma)
        called = p >= threshold
        tp += called and label.match
        fp += called and not label.match
        fn += (not called) and label.match
        q = min(max(p, _EPS), 1 - _EPS)
        loss -= math.log(q if label.match else 1 - q)
    return Metrics(pairs=len(labels), matches=sum(label.match for label in labels), true_positives=tp,
                   false_positives=fp, false_negatives=fn, log_loss=loss / len(labels) if labels else None)
