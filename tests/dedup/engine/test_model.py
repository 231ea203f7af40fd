"""The trained model: scoring a pair in Python, its JSON file, and the model shipped in the package."""

from __future__ import annotations

import json
import time

import pytest

from crossroads.dedup.engine.comparisons import COMPARISONS
from crossroads.dedup.engine.keys import PersonRecord, features
from crossroads.dedup.engine.model import MatchModel, ModelError, default_model

SAME = (PersonRecord(id="a", given_name="Mohammed", family_name="Al-Hassan", date_of_birth="1990-03-05", sex="m",
                     nationality="SYR", place="Aleppo"),
        PersonRecord(id="b", given_name="محمد", family_name="الحسن", date_of_birth="1990-05-03", sex="m",
                     nationality="SYR", place="Aleppo"))
OTHER = (SAME[0], PersonRecord(id="c", given_name="Fatima", family_name="Noori", date_of_birth="1961-11-20",
                               sex="f", nationality="AFG", place="Herat"))


class TestScore:
    def test_a_transliterated_duplicate_scores_high_with_reasons(self):
        score = default_model().score(*SAME)
        assert score.probability > 0.99
        reasons = {r.field: r for r in score.reasons}
        assert reasons["given_name"].level_label == "transliteration" and reasons["given_name"].agreed
        assert reasons["date_of_birth"].level_label == "day and month swapped"
        assert "documents" not in reasons  # missing on both: no evidence either way

    def test_a_different_person_scores_low(self):
        score = default_model().score(*OTHER)
        assert score.probability < 0.001
        assert not any(r.agreed for r in score.reasons if r.field in ("given_name", "family_name"))

    def test_match_weight_alone_is_the_weight_of_the_score(self):
        # The check sifts candidates on match_weight and scores only those it keeps: the two must agree to
        # the last bit, or a pair at the threshold would be kept by one and dropped by the other.
        model = default_model()
        for a, b in (SAME, OTHER, (SAME[1], SAME[0]), (OTHER[1], SAME[1])):
            assert model.match_weight(features(a), features(b)) == model.score(a, b).match_weight

    def test_weights_add_up_to_the_match_weight(self):
        model = default_model()
        score = model.score(*SAME)
        assert score.match_weight == pytest.approx(model._prior_weight + sum(r.weight for r in score.reasons),
                                                   abs=0.01)

    def test_a_shared_document_raises_the_score(self):
        a = PersonRecord(id="a", given_name="Amina", family_name="Yusuf", documents=("P-1234567",))
        b = PersonRecord(id="b", given_name="Aamina", family_name="Yuusuf", documents=("p1234567",))
        plain = default_model().score(PersonRecord(id="a", given_name="Amina", family_name="Yusuf"),
                                      PersonRecord(id="b", given_name="Aamina", family_name="Yuusuf"))
        assert default_model().score(a, b).match_weight > plain.match_weight + 5

    def test_scoring_a_pair_takes_well_under_a_millisecond(self):
        model = default_model()
        a, b = features(SAME[0]), features(SAME[1])
        started = time.perf_counter()
        for _ in range(2000):
            model.score(a, b)
        assert (time.perf_counter() - started) / 2000 < 0.001


class TestSaveLoad:
    def test_round_trip_keeps_parameters_and_scores(self, tmp_path):
        model = default_model()
        model.save(tmp_path / "m.json")
        loaded = MatchModel.load(tmp_path / "m.json")
        assert loaded.version == model.version and loaded.levels == model.levels
        assert loaded.score(*SAME) == model.score(*SAME)

    def test_a_file_of_another_shape_is_refused(self, tmp_path):
        path = tmp_path / "m.json"
        data = default_model().to_json()
        data["comparisons"] = data["comparisons"][:-1]
        path.write_text(json.dumps(data))
        with pytest.raises(ModelError, match="comparisons"):
            MatchModel.load(path)

    def test_not_a_model_is_refused(self, tmp_path):
        (tmp_path / "m.json").write_text("{}")
        with pytest.raises(ModelError, match="not a"):
            MatchModel.load(tmp_path / "m.json")


class TestSplinkSettings:
    def test_carry_the_parameters_for_each_level(self):
        model = default_model()
        settings = model.splink_settings("duckdb")
        assert settings["probability_two_random_records_match"] == model.prior
        for comparison, levels in zip(settings["comparisons"], model.levels, strict=True):
            assert [lv.get("m_probability") for lv in comparison["comparison_levels"][1:]] == [m for _, m, _ in levels]
        assert [c["output_column_name"] for c in settings["comparisons"]] == [c.field for c in COMPARISONS]
