"""Small helpers shared by route tests."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.auth import PASSWORD


def token_headers(client: TestClient, email: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
