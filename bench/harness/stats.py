"""Statistics of timed samples: percentiles, and the summary the benchmarks print in milliseconds."""

from __future__ import annotations


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); p in [0, 100]."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: list[float]) -> dict[str, float | int]:
    """The count, median, 95th percentile and maximum of a sample, rounded as the benchmarks print them."""
    return {"n": len(values), "p50_ms": round(percentile(values, 50), 2), "p95_ms": round(percentile(values, 95), 2),
            "max_ms": round(max(values), 2)}
