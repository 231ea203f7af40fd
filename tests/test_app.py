from __future__ import annotations


class TestContract:
    def test_healthz(self, client):
        assert client.get("/healthz").json() == {"status": "ok"}

    def test_openapi_document_lists_the_api(self, client):
        paths = client.get("/api/v1/openapi.json").json()["paths"]
        for path in ("/api/v1/auth/token", "/api/v1/people", "/api/v1/people/{person_id}", "/api/v1/cases",
                     "/api/v1/cases/{case_id}", "/api/v1/programmes"):
            assert path in paths

    def test_unknown_api_path_is_a_json_404(self, client):
        response = client.get("/api/v1/nothing-here")
        assert response.status_code == 404
        assert response.json()["detail"][0]["type"] == "http"
