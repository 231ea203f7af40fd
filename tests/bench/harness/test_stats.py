"""Percentiles and summaries of timed samples, as every benchmark reports them."""

from __future__ import annotations

import numpy as np
import pytest

from bench.harness.stats import percentile, summary

SAMPLES = [[5.0], [1.0, 2.0], [3.0, 1.0, 2.0, 10.0], [0.5, 7.25, 7.25, 2.0, 90.0], [float(v) for v in range(1, 101)]]


class TestPercentile:
    @pytest.mark.parametrize("values", SAMPLES)
    @pytest.mark.parametrize("p", [0, 25, 50, 95, 100])
    def test_interpolates_between_closest_ranks_as_numpy_does(self, values, p):
        assert percentile(values, p) == pytest.approx(float(np.percentile(values, p)))

    def test_refuses_an_empty_sample(self):
        with pytest.raises(ValueError, match="no values"):
            percentile([], 50)


class TestSummary:
    def test_counts_and_rounds_the_median_p95_and_maximum(self):
        assert summary([4.0, 1.0, 3.0, 2.0]) == {"n": 4, "p50_ms": 2.5, "p95_ms": 3.85, "max_ms": 4.0}
