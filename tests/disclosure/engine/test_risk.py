"""Prosecutor risk from class sizes."""

from __future__ import annotations

import numpy as np
import pytest

from crossroads.disclosure.engine.risk import prosecutor_risk


class TestProsecutorRisk:
    def test_figures_of_known_classes(self):
        risk = prosecutor_risk(np.array([1, 2, 5, 0, 12]), threshold=0.2)
        assert risk.records == 20 and risk.classes == 4
        assert risk.max_risk == 1.0
        assert risk.avg_risk == pytest.approx(4 / 20)
        # Risk 1 and 1/2 exceed 0.2; 1/5 does not.
        assert risk.records_at_risk == 3 and risk.share_at_risk == pytest.approx(3 / 20)
        assert risk.sample_uniques == 1

    def test_k_anonymous_classes_put_nobody_above_1_over_k(self):
        risk = prosecutor_risk(np.array([11, 15, 40]), threshold=1 / 11 - 1e-9)
        assert risk.max_risk == pytest.approx(1 / 11) and risk.records_at_risk == 11

    def test_no_records(self):
        risk = prosecutor_risk(np.array([], dtype=int), threshold=0.2)
        assert (risk.records, risk.max_risk, risk.share_at_risk) == (0, 0.0, 0.0)

    def test_as_dict_with_a_suffix(self):
        assert set(prosecutor_risk(np.array([3]), 0.2).as_dict("_before")) == {
            "max_risk_before", "avg_risk_before", "records_at_risk_before", "share_at_risk_before",
            "sample_uniques_before"}
