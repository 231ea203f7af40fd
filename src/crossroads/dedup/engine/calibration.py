"""Calibrated match probabilities from a run's own candidate pairs, without labels; thresholds; reliability.

A Fellegi–Sunter probability is only as good as its prior and m/u: a model trained on other data (the
shipped one, trained on synthetic people) or one whose comparisons are not independent given the match
status ranks pairs well and still says 0.9 where half of such pairs are matches. Calibration keeps the
model's ranking (its match weight) and replaces the number:

1. **A latent-class fit on the candidates.** The candidate pairs' comparison vectors (the level of every
   comparison: gamma) are a mixture of matches and non-matches. Expectation-maximisation over the distinct
   vectors and their counts estimates the run's own share of matches among the candidates and u among
   *candidates* (training's u comes from random pairs, which agree on a name far less often than pairs
   that blocking brought together), keeping m — what matches look like — from the model, which training
   estimated on this file among pairs blocked to be rich in matches. Letting m float too (the classic
   Fellegi–Sunter EM, Winkler) was measured worse: the "match" class then absorbs relatives and namesakes
   (same family name, place, nationality), and on the independent multi-script set the expected recall
   came out at half the true one (docs/benchmarks.md). Each vector gets its posterior.
2. **Bands of match weight.** Candidates are grouped into bands of the model's match weight; a band's
   calibrated probability is the mean posterior of its pairs: the fit's estimate of the share of true
   matches among such pairs. Averaging over a band, rather than using each vector's posterior, keeps the
   model's order of the pairs, and averages out vectors the latent-class fit gets wrong one by one.
3. **Monotone.** Pool-adjacent-violators makes the band values non-decreasing in the weight (a higher
   weight never means a lower probability). A pair takes its band's value: a step function, not a line
   between band centres, because the weights of a file come in few distinct values (one per comparison
   vector) and a value interpolated between two bands is the share of neither (measured: 0.80 said where
   0.92 were matches, in the test's known world).

So a calibrated probability p means "about p of the candidate pairs with this weight are matches", as far
as the latent-class fit is right; tests/dedup/engine/test_calibration.py checks it against known truth, and
`python -m bench dedup-heldout` against labelled sets the engine was never tuned on.

The threshold is then chosen from the probabilities themselves: among the pairs at or above a threshold the
expected number of true matches is the sum of their probabilities, so expected precision and recall (of
the matches among the candidates) follow without labels; the default threshold maximises the expected F1,
or, given a precision, is the lowest whose expected precision reaches it.

Pure: numpy arrays in, numbers out; no session, no database.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "RELIABILITY_BANDS", "Calibration", "LatentClassFit", "ReliabilityRow", "ThresholdChoice", "calibrate",
    "choose_threshold", "fit_latent_classes", "reliability_table",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Bands of predicted probability in the reliability table: finer near 1, where thresholds are set.
RELIABILITY_BANDS = (0.0, 0.05, 0.2, 0.4, 0.6, 0.8, 0.9, 0.95, 0.99, 1.0)
# m and u never reach 0 or 1 in the fit: one unseen level would otherwise veto or force a match.
_FLOOR = 1e-6
# A band of match weight holds at least this many candidates (weighted) and spans at least this much weight,
# so its share is an average. Chosen on the tuning sets only (synthetic, FEBRL3): bands of 50 pairs and a bit
# gave steps too coarse near the chosen threshold (F1 0.966 against 0.981 on the synthetic set).
_BAND_PAIRS = 20.0
_BAND_BITS = 0.25


@dataclass(frozen=True)
class LatentClassFit:
    """The EM fit on the candidates: share of matches, m and u per comparison level, posterior per vector."""

    share: float
    m: list[FloatArray]
    u: list[FloatArray]
    posterior: FloatArray
    iterations: int


def fit_latent_classes(patterns: IntArray, counts: FloatArray, *, m: Sequence[Sequence[float]],
                       u: Sequence[Sequence[float]], share: float, iterations: int = 500,
                       tolerance: float = 1e-8, estimate_m: bool = True) -> LatentClassFit:
    """EM for a two-class mixture of comparison vectors (levels per column; -1 = missing, which weighs nothing).

    patterns: one row per distinct vector, counts: how many candidates have it; m, u, share: starting values.
    """
    patterns = np.asarray(patterns, dtype=np.int64)
    counts = np.asarray(counts, dtype=np.float64)
    if patterns.ndim != 2 or len(patterns) != len(counts) or len(m) != patterns.shape[1] or len(u) != len(m):
        raise ValueError("patterns, counts, m and u do not fit together")
    if len(patterns) == 0 or counts.sum() <= 0:
        raise ValueError("no candidate pairs to fit")
    m_arr = [np.clip(np.asarray(v, dtype=np.float64), _FLOOR, 1.0) for v in m]
    u_arr = [np.clip(np.asarray(v, dtype=np.float64), _FLOOR, 1.0) for v in u]
    pi = min(max(share, _FLOOR), 1 - _FLOOR)
    total = counts.sum()
    posterior = np.zeros(len(patterns))
    done = 0
    previous = -math.inf
    for done in range(1, iterations + 1):  # noqa: B007 - the count is reported
        log_m = np.full(len(patterns), math.log(pi))
        log_u = np.full(len(patterns), math.log(1 - pi))
        for k, (mk, uk) in enumerate(zip(m_arr, u_arr, strict=True)):
            g = patterns[:, k]
            seen = g >= 0
            log_m[seen] += np.log(mk[g[seen]])
            log_u[seen] += np.log(uk[g[seen]])
        top = np.maximum(log_m, log_u)
        evidence = top + np.log(np.exp(log_m - top) + np.exp(log_u - top))
        posterior = np.exp(log_m - evidence)
        likelihood = float((counts * evidence).sum())
        matches = counts * posterior
        others = counts - matches
        pi = min(max(float(matches.sum() / total), _FLOOR), 1 - _FLOOR)
        for k in range(len(m_arr)):
            g = patterns[:, k]
            seen = g >= 0
            size = len(m_arr[k])
            m_sum = np.bincount(g[seen], weights=matches[seen], minlength=size)
            u_sum = np.bincount(g[seen], weights=others[seen], minlength=size)
            if estimate_m and m_sum.sum() > 0:
                m_arr[k] = np.clip(m_sum / m_sum.sum(), _FLOOR, 1.0)
            if u_sum.sum() > 0:
                u_arr[k] = np.clip(u_sum / u_sum.sum(), _FLOOR, 1.0)
        if abs(likelihood - previous) <= tolerance * abs(likelihood):
            break
        previous = likelihood
    return LatentClassFit(share=pi, m=m_arr, u=u_arr, posterior=posterior, iterations=done)


@dataclass(frozen=True)
class Calibration:
    """A monotone step map from match weight to calibrated probability: a value per band of weight."""

    weights: tuple[float, ...]  # each band's lowest weight; a weight below the first is in the first band
    probabilities: tuple[float, ...]
    match_share: float = 0.0  # estimated share of matches among the candidates
    candidates: int = 0
    method: str = "latent-class EM on the run's candidates (m from the model), by band of match weight"

    def __post_init__(self) -> None:
        if not self.weights or len(self.weights) != len(self.probabilities):
            raise ValueError("a calibration needs as many probabilities as band weights, at least one")
        if any(b <= a for a, b in zip(self.weights, self.weights[1:], strict=False)):
            raise ValueError("band weights must increase")
        if any(b < a for a, b in zip(self.probabilities, self.probabilities[1:], strict=False)):
            raise ValueError("calibrated probabilities must not decrease with the weight")
        if not all(0.0 <= p <= 1.0 for p in self.probabilities):
            raise ValueError("calibrated probabilities must be between 0 and 1")

    def probability(self, weights: npt.ArrayLike) -> FloatArray:
        """Calibrated probabilities of these match weights."""
        bands = np.searchsorted(np.asarray(self.weights), np.asarray(weights, dtype=np.float64), side="right") - 1
        return np.asarray(self.probabilities, dtype=np.float64)[np.clip(bands, 0, None)]

    def weight_for(self, probability: float) -> float:
        """The lowest match weight whose calibrated probability reaches this one (inf if none does)."""
        for i, p in enumerate(self.probabilities):
            if p >= probability:
                return -math.inf if i == 0 else self.weights[i]
        return math.inf

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "match_share": self.match_share, "candidates": self.candidates,
                "weights": list(self.weights), "probabilities": list(self.probabilities)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Calibration:
        return cls(weights=tuple(float(w) for w in data["weights"]),
                   probabilities=tuple(float(p) for p in data["probabilities"]),
                   match_share=float(data.get("match_share", 0.0)), candidates=int(data.get("candidates", 0)),
                   method=str(data.get("method", "")))


def calibrate(weights: npt.ArrayLike, posterior: npt.ArrayLike, counts: npt.ArrayLike, *, share: float = 0.0,
              band_bits: float = _BAND_BITS, band_pairs: float = _BAND_PAIRS) -> Calibration:
    """Band the candidates by match weight, take each band's mean posterior, and make it monotone."""
    w = np.asarray(weights, dtype=np.float64)
    post = np.asarray(posterior, dtype=np.float64)
    c = np.asarray(counts, dtype=np.float64)
    if not (len(w) == len(post) == len(c)) or len(w) == 0:
        raise ValueError("weights, posteriors and counts must be as long as each other, and not empty")
    order = np.argsort(w, kind="stable")
    w, post, c = w[order], post[order], c[order]
    # Bands: runs of at least band_bits of weight and band_pairs candidates, so that sparse tails pool; pairs
    # of equal weight are never split between two bands.
    lows: list[float] = []
    shares: list[float] = []
    masses: list[float] = []
    start = 0
    n = len(w)
    while start < n:
        end = start + 1
        while end < n and (w[end - 1] - w[start] < band_bits or c[start:end].sum() < band_pairs
                           or w[end] == w[end - 1]):
            end += 1
        mass = float(c[start:end].sum())
        if mass > 0:
            lows.append(float(w[start]))
            shares.append(float((post[start:end] * c[start:end]).sum() / mass))
            masses.append(mass)
        start = end
    if len(masses) > 1 and masses[-1] < band_pairs:
        # The last band is short of pairs: pooled with the one before.
        m0, m1 = masses[-2], masses[-1]
        shares[-2:] = [(shares[-2] * m0 + shares[-1] * m1) / (m0 + m1)]
        masses[-2:] = [m0 + m1]
        lows.pop()
    pooled = _pool_adjacent_violators(shares, masses)
    return Calibration(weights=tuple(lows), probabilities=tuple(min(max(p, 0.0), 1.0) for p in pooled),
                       match_share=share, candidates=int(round(c.sum())))


def _pool_adjacent_violators(values: Sequence[float], masses: Sequence[float]) -> list[float]:
    """The non-decreasing sequence closest to values (weighted least squares): isotonic regression."""
    blocks: list[list[float]] = []  # [mean, mass, length]
    for v, mass in zip(values, masses, strict=True):
        blocks.append([v, mass, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            (v1, m1, n1), (v2, m2, n2) = blocks[-2], blocks[-1]
            blocks[-2:] = [[(v1 * m1 + v2 * m2) / (m1 + m2), m1 + m2, n1 + n2]]
    out: list[float] = []
    for v, _, length in blocks:
        out.extend([v] * int(length))
    return out


@dataclass(frozen=True)
class ThresholdChoice:
    """A threshold and what the probabilities expect of the pairs at or above it."""

    threshold: float
    pairs: float  # expected number of pairs kept (the candidates may be a sample, scaled up)
    precision: float
    recall: float
    f1: float
    reached: bool = True  # False when no threshold reaches the precision asked for


def choose_threshold(probabilities: npt.ArrayLike, counts: npt.ArrayLike | None = None, *,
                     precision: float | None = None) -> ThresholdChoice:
    """The F1-optimal threshold as the probabilities expect it, or the lowest reaching an expected precision."""
    p = np.asarray(probabilities, dtype=np.float64)
    c = np.ones_like(p) if counts is None else np.asarray(counts, dtype=np.float64)
    if len(p) == 0 or c.sum() <= 0:
        return ThresholdChoice(threshold=1.0, pairs=0.0, precision=1.0, recall=0.0, f1=0.0, reached=False)
    order = np.argsort(-p, kind="stable")
    p, c = p[order], c[order]
    kept = np.cumsum(c)
    matches = np.cumsum(c * p)
    expected = float(matches[-1])
    # A threshold keeps every pair at or above it: only the last of a run of equal probabilities is a cut.
    last = np.r_[p[1:] != p[:-1], True]
    kept, matches, values = kept[last], matches[last], p[last]
    prec = matches / kept
    rec = matches / expected if expected > 0 else np.zeros_like(matches)
    f1 = 2 * matches / (kept + expected) if expected > 0 else np.zeros_like(matches)
    if precision is None:
        i = int(np.argmax(f1))
        reached = True
    else:
        ok = np.nonzero(prec >= precision)[0]
        reached = len(ok) > 0
        i = int(ok[-1]) if reached else 0
    return ThresholdChoice(threshold=float(values[i]), pairs=float(kept[i]), precision=float(prec[i]),
                           recall=float(rec[i]), f1=float(f1[i]), reached=reached)


@dataclass(frozen=True)
class ReliabilityRow:
    low: float
    high: float
    pairs: float
    mean_predicted: float
    observed: float | None  # share of true matches, when labels are known


def reliability_table(probabilities: npt.ArrayLike, counts: npt.ArrayLike | None = None,
                      matches: npt.ArrayLike | None = None,
                      bands: Sequence[float] = RELIABILITY_BANDS) -> list[ReliabilityRow]:
    """Per band of predicted probability: pairs, mean predicted, and with labels the observed share of matches.

    matches: per entry, how many of its count are true matches (None: no labels).
    """
    p = np.asarray(probabilities, dtype=np.float64)
    c = np.ones_like(p) if counts is None else np.asarray(counts, dtype=np.float64)
    t = None if matches is None else np.asarray(matches, dtype=np.float64)
    rows = []
    for i, (low, high) in enumerate(zip(bands, bands[1:], strict=False)):
        last = i == len(bands) - 2
        inside = (p >= low) & ((p <= high) if last else (p < high))
        mass = float(c[inside].sum())
        if mass <= 0:
            continue
        observed = None if t is None else float(t[inside].sum() / mass)
        mean = float((p[inside] * c[inside]).sum() / mass)
        rows.append(ReliabilityRow(low=low, high=high, pairs=mass, mean_predicted=mean, observed=observed))
    return rows
