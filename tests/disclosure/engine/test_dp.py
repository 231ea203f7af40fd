"""DP count tables: budget spent, accuracy reported, keys public or thresholded."""

from __future__ import annotations

import numpy as np
import opendp.prelude as dp
import pandas as pd
import pytest

from crossroads.disclosure.engine.dp import Dimension, band_keys, band_label, country_keys, dp_count_table
from crossroads.kit.errors import Invalid
from tests.factories.disclosure import people_frame

SEXES = ("F", "M")


def true_counts(frame: pd.DataFrame, columns: list[str]) -> dict[tuple, int]:
    return {k if isinstance(k, tuple) else (k,): int(v) for k, v in frame.groupby(columns).size().items()}


class TestPublicKeys:
    def test_every_cell_of_the_key_product_is_released_with_its_cost(self):
        frame = people_frame(2000)
        table = dp_count_table(frame, [Dimension("citizenship", keys=country_keys()), Dimension("sex", keys=SEXES)],
                               epsilon=1.0)
        assert len(table.frame) == len(country_keys()) * 2
        assert list(table.frame.columns) == ["citizenship", "sex", "count"]
        assert table.mechanism == "laplace" and table.delta == 0.0
        assert 0 < table.epsilon <= 1.0
        assert table.accuracy == int(dp.discrete_laplacian_scale_to_accuracy(table.scale, 0.05))
        assert (table.frame["count"] >= 0).all()

    def test_counts_are_within_the_reported_accuracy_about_as_often_as_promised(self):
        frame = people_frame(3000, seed=4)
        table = dp_count_table(frame, [Dimension("citizenship", keys=country_keys()), Dimension("sex", keys=SEXES)],
                               epsilon=0.5, alpha=0.1)
        truth = true_counts(frame, ["citizenship", "sex"])
        errors = [abs(row.count - truth.get((row.citizenship, row.sex), 0))
                  for row in table.frame.itertuples() if truth.get((row.citizenship, row.sex), 0) > 20]
        assert np.mean(np.array(errors) <= table.accuracy) >= 0.8

    def test_a_large_epsilon_gives_nearly_the_true_counts(self):
        frame = people_frame(500)
        table = dp_count_table(frame, [Dimension("sex", keys=SEXES)], epsilon=50.0)
        truth = true_counts(frame, ["sex"])
        for row in table.frame.itertuples():
            assert abs(row.count - truth[(row.sex,)]) <= max(table.accuracy, 1)

    def test_rows_outside_the_keys_are_counted_apart(self):
        frame = pd.DataFrame({"sex": ["F"] * 300 + ["X"] * 200})
        table = dp_count_table(frame, [Dimension("sex", keys=SEXES)], epsilon=5.0)
        assert abs(table.outside_keys - 200) <= 10

    def test_age_bands_are_public_keys(self):
        frame = pd.DataFrame({"age": ["3", "17", "44", "", "130"]})
        table = dp_count_table(frame, [Dimension("age", width=10, start=0, stop=100)], epsilon=1.0)
        assert table.frame["age"].tolist() == list(band_keys(10, 0, 100))

    def test_band_labels_match_the_interval_hierarchy(self):
        assert band_label("44", 10) == "40-49" and band_label("x", 10) is None


class TestThreshold:
    def test_keys_from_the_data_cost_delta_and_hide_rare_cells(self):
        frame = pd.DataFrame({"country": ["NGA"] * 500 + ["SYR"] * 300 + ["ERI"] * 2})
        table = dp_count_table(frame, ["country"], epsilon=1.0, delta=1e-6)
        assert table.mechanism == "laplace-threshold"
        assert 0 < table.delta <= 1e-6 and table.epsilon <= 1.0
        released = dict(zip(table.frame["country"], table.frame["count"], strict=True))
        assert set(released) == {"NGA", "SYR"}
        assert all(c >= table.threshold for c in released.values())
        assert abs(released["NGA"] - 500) <= 20

    def test_without_delta_keys_must_be_public(self):
        with pytest.raises(Invalid, match="keys of 'type_of_exploitation' are not public") as caught:
            dp_count_table(people_frame(100), [Dimension("sex", keys=SEXES), "type_of_exploitation"], epsilon=1.0)
        assert caught.value.field == "delta"


class TestContributions:
    def test_rows_beyond_the_bound_per_person_are_dropped_and_the_noise_grows(self):
        frame = pd.DataFrame({"person": [i // 4 for i in range(400)], "sex": ["F", "M"] * 200})
        one = dp_count_table(frame, [Dimension("sex", keys=SEXES)], epsilon=1.0)
        bounded = dp_count_table(frame, [Dimension("sex", keys=SEXES)], epsilon=1.0, privacy_unit="person",
                                 max_contributions=2, seed=0)
        assert bounded.rows_dropped_over_contribution == 200
        assert bounded.scale == pytest.approx(2 * one.scale)
        assert int(bounded.frame["count"].sum()) == pytest.approx(200, abs=20)


class TestChecks:
    @pytest.mark.parametrize(("kwargs", "field"), [
        ({"epsilon": 0}, "epsilon"), ({"epsilon": 1, "delta": 1.5}, "delta"), ({"epsilon": 1, "alpha": 2}, "alpha"),
        ({"epsilon": 1, "max_contributions": 0}, "max_contributions"),
        ({"epsilon": 1, "privacy_unit": "nobody"}, "privacy_unit")])
    def test_bad_parameters_name_themselves(self, kwargs, field):
        with pytest.raises(Invalid) as caught:
            dp_count_table(people_frame(50), [Dimension("sex", keys=SEXES)], **kwargs)
        assert caught.value.field == field

    def test_an_unknown_column_is_named(self):
        with pytest.raises(Invalid, match="no column 'colour'"):
            dp_count_table(people_frame(50), ["colour"], epsilon=1.0, delta=1e-6)
