"""anonymize(): the released rows meet the spec by pycanon's independent checks, and the report is right."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from pycanon import anonymity

from crossroads.disclosure.engine.anonymize import Unmeetable, anonymize
from crossroads.disclosure.engine.hierarchies import HierarchyError
from crossroads.disclosure.engine.spec import SpecError
from crossroads.disclosure.engine.synthetic import ctdc_like, ctdc_spec
from crossroads.kit.errors import Invalid
from tests.factories.disclosure import people_frame, people_spec

QUASI = ["age", "sex", "citizenship", "year_of_registration"]


class TestAnonymize:
    @pytest.mark.parametrize(("k", "l", "kind", "suppression"), [
        (2, None, "distinct", 0.0), (5, 2, "distinct", 0.05), (11, 2, "distinct", 0.05), (5, 2, "entropy", 0.1),
        (8, 3, "distinct", 0.2)])
    def test_output_passes_pycanon_k_and_l(self, k, l, kind, suppression):  # noqa: E741
        frame = people_frame(800, seed=k)
        spec = people_spec(k=k, l_kind=kind, max_suppression=suppression, **({"l": l} if l else {"l": None}))
        result = anonymize(frame, spec, seed=1)
        out = result.frame
        assert anonymity.k_anonymity(out, QUASI) >= k
        assert result.report["k_achieved"] == anonymity.k_anonymity(out, QUASI)
        assert result.report["l_achieved"] == anonymity.l_diversity(out, QUASI, ["type_of_exploitation"])
        if l and kind == "distinct":
            assert anonymity.l_diversity(out, QUASI, ["type_of_exploitation"]) >= l
        if l and kind == "entropy":
            # pycanon floors exp(entropy); a class exactly at log(l) may come out a hair below l in floats.
            assert anonymity.entropy_l_diversity(out, QUASI, ["type_of_exploitation"]) >= l - 1
            assert result.report["entropy_l_achieved"] >= l - 1e-9
        assert result.report["suppressed_rows"] == len(frame) - len(out)
        assert result.report["suppression_rate"] <= suppression + 1e-12

    def test_identifiers_are_dropped_and_the_other_columns_kept(self):
        result = anonymize(people_frame(), people_spec(), seed=0)
        assert list(result.frame.columns) == [*QUASI, "type_of_exploitation", "means_of_control"]
        assert result.report["dropped_columns"] == ["name"]

    def test_pseudonyms_are_stable_within_a_release_and_change_between_releases(self):
        frame = people_frame(300)
        frame["name"] = [f"Person {i % 50}" for i in range(len(frame))]
        spec = people_spec(k=2, l=None, columns={**people_spec()["columns"],
                                                "name": {"role": "identifier", "action": "pseudonym"}})
        first = anonymize(frame, spec, seed=0).frame
        second = anonymize(frame, spec, seed=0).frame
        assert first["name"].nunique() <= 50 and not first["name"].str.startswith("Person").any()
        assert set(first["name"]).isdisjoint(set(second["name"]))
        keyed = anonymize(frame, spec, seed=0, pseudonym_key=b"k" * 32).frame
        assert keyed["name"].tolist() == anonymize(frame, spec, seed=0, pseudonym_key=b"k" * 32).frame["name"].tolist()

    def test_the_released_values_are_generalisations_of_the_input(self):
        frame = people_frame(500)
        result = anonymize(frame, people_spec(shuffle=False), seed=0)
        level = result.report["generalisation"]["age"]
        kept = frame.loc[~frame.index.isin(_suppressed_index(frame, result.frame))]
        width = [None, 5, 10, 20][level] if level < 4 else None
        for original, released in zip(kept["age"].astype(int), result.frame["age"], strict=True):
            if width:
                lo, hi = (int(x) for x in released.split("-"))
                assert lo <= original <= hi and hi - lo + 1 == width

    def test_report_figures_match_the_released_classes(self):
        frame = people_frame(900, seed=3)
        result = anonymize(frame, people_spec(k=4, l=None, max_suppression=0.1), seed=0)
        sizes = result.frame.groupby(QUASI).size().to_numpy()
        report = result.report
        assert report["equivalence_classes"] == len(sizes)
        assert report["max_risk"] == pytest.approx(1 / sizes.min())
        assert report["avg_risk"] == pytest.approx(len(sizes) / sizes.sum())
        assert report["records_at_risk"] == sizes[1 / sizes > report["risk_threshold"]].sum()
        assert report["sample_uniques"] == 0
        before = frame.groupby(QUASI).size().to_numpy()
        assert report["sample_uniques_before"] == (before == 1).sum()
        assert report["max_risk_before"] == pytest.approx(1 / before.min())
        assert report["lattice_nodes"] == 5 * 2 * 4 * 4
        assert 0 < report["lattice_nodes_checked"] <= report["lattice_nodes"]
        assert set(report["generalisation"]) == set(QUASI)
        assert 0 <= report["information_loss"]["loss"] <= 1
        assert report["seconds"] > 0

    def test_a_spec_that_cannot_be_met_raises_unmeetable_with_the_least_suppression(self):
        frame = people_frame(60)
        with pytest.raises(Unmeetable, match="no generalisation meets k=100") as caught:
            anonymize(frame, people_spec(k=100, l=None, max_suppression=0.05))
        assert "60 of 60 records" in caught.value.message and caught.value.field == "max_suppression"

    def test_l_beyond_the_distinct_sensitive_values_is_unmeetable(self):
        with pytest.raises(Unmeetable, match="distinct l=4"):
            anonymize(people_frame(200), people_spec(k=2, l=4))

    def test_a_bad_value_names_its_row_and_column(self):
        frame = people_frame(50)
        frame.loc[17, "citizenship"] = "Narnia"
        with pytest.raises(HierarchyError, match=r"row 18, column citizenship: not an ISO") as caught:
            anonymize(frame, people_spec())
        assert caught.value.extra == {"row": 18} and "Narnia" not in caught.value.message

    def test_a_column_without_a_role_is_refused(self):
        frame = people_frame(50).assign(phone="+216 555")
        with pytest.raises(SpecError, match="'phone' has no role"):
            anonymize(frame, people_spec())

    def test_accepts_rows_as_mappings_with_numbers_and_missing_values(self):
        rows = [{"age": 30 + i % 7 if i % 9 else None, "sex": "F" if i % 2 else "M", "city": "Tunis"}
                for i in range(200)]
        spec = {"k": 5, "columns": {"age": {"role": "quasi", "hierarchy": {"type": "interval", "widths": [10]}},
                                    "sex": {"role": "quasi"}, "city": {"role": "insensitive"}}}
        result = anonymize(rows, spec, seed=0)
        assert anonymity.k_anonymity(result.frame, ["age", "sex"]) >= 5
        # Numbers come out as they read (30, not 30.0) and missing values as empty strings.
        assert set(result.frame["age"]) <= {str(a) for a in range(30, 37)} | {"30-39", "", "*"}
        assert "" in set(result.frame["age"])

    def test_ctdc_like_data_with_seven_quasi_identifiers(self):
        frame = ctdc_like(3000, seed=2)
        result = anonymize(frame, ctdc_spec(k=11), seed=0)
        quasi = result.report["quasi_identifiers"]
        assert len(quasi) == 7
        assert anonymity.k_anonymity(result.frame, quasi) >= 11
        assert anonymity.l_diversity(result.frame, quasi, ["type_of_exploitation"]) >= 2
        assert result.report["suppression_rate"] <= 0.05
        assert "case_id" not in result.frame.columns
        assert math.isclose(result.report["share_at_risk"], 0.0)


def _suppressed_index(frame: pd.DataFrame, released: pd.DataFrame) -> np.ndarray:
    """Rows of `frame` not in the (unshuffled) release, matched on the insensitive columns' order."""
    kept, j = [], 0
    columns = ["type_of_exploitation", "means_of_control"]
    values = released[columns].to_numpy()
    for i, row in enumerate(frame[columns].to_numpy()):
        if j < len(values) and (row == values[j]).all():
            kept.append(i)
            j += 1
    return np.setdiff1d(np.arange(len(frame)), kept)


class TestInputHandling:
    def test_the_callers_frame_is_left_as_it_was(self):
        frame = people_frame(100)
        before = frame.copy()
        anonymize(frame, people_spec(k=2, l=None), seed=0)
        pd.testing.assert_frame_equal(frame, before)

    def test_a_duplicated_column_is_refused(self):
        frame = pd.concat([people_frame(30), people_frame(30)[["sex"]]], axis=1)
        with pytest.raises(Invalid, match="'sex' appears more than once"):
            anonymize(frame, people_spec())
