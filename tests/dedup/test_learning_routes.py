"""The JSON API of learning from reviewers: bad input is a 4xx naming the field, never a 500."""

from __future__ import annotations

from tests.dedup.test_learning import decided_pairs

API = "/api/v1"


def fields(response) -> set[str]:
    return {d["field"] for d in response.json()["detail"]}


class TestTrainRoute:
    def test_a_supervisor_trains_a_candidate_and_sees_the_comparison(self, client, db, cw, sup, headers, model):
        decided_pairs(db, cw, sup, 6)
        response = client.post(f"{API}/dedup/models", headers=headers("supervisor_a"), json={"strength": 20})
        assert response.status_code == 201
        body = response.json()
        assert body["model"]["active"] is False and body["active"]["version"] == model.version
        assert set(body["candidate"]) == {"pairs", "matches", "precision", "recall", "f1", "log_loss"}

    def test_a_strength_out_of_range_names_the_field(self, client, headers):
        response = client.post(f"{API}/dedup/models", headers=headers("supervisor_a"), json={"strength": -1})
        assert response.status_code == 422 and "strength" in fields(response)

    def test_without_decisions_the_answer_names_them(self, client, headers):
        response = client.post(f"{API}/dedup/models", headers=headers("supervisor_a"))
        assert response.status_code == 409 and "decisions" in fields(response)


class TestActivateRoute:
    def test_an_unknown_version_names_the_field(self, client, headers):
        response = client.post(f"{API}/dedup/models/no-such-version/activate", headers=headers("supervisor_a"))
        assert response.status_code == 404 and "version" in fields(response)

    def test_a_malformed_version_names_the_field(self, client, headers):
        response = client.get(f"{API}/dedup/models/bad%20version", headers=headers("supervisor_a"))
        assert response.status_code == 422 and "version" in fields(response)

    def test_the_active_version_again_is_a_conflict(self, client, headers, model):
        response = client.post(f"{API}/dedup/models/{model.version}/activate", headers=headers("supervisor_a"))
        assert response.status_code == 409 and "version" in fields(response)


class TestTeachingRoute:
    def test_a_limit_out_of_range_names_the_field(self, client, headers):
        response = client.get(f"{API}/dedup/teaching?limit=0", headers=headers("supervisor_a"))
        assert response.status_code == 422 and "limit" in fields(response)
