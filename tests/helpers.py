"""Small helpers shared by route and page tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from fastapi.testclient import TestClient

from tests.factories.auth import PASSWORD


def token_headers(client: TestClient, email: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client: TestClient, email: str) -> None:
    """Log in through the login form; the client keeps the session cookie."""
    page = client.get("/login")
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf(page.text)},
                           follow_redirects=False)
    assert response.status_code == 303, response.text


def run_cli(args: list[str], env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess:
    """`crossroads ARGS` in a process of its own, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "crossroads.cli", *args], env={**os.environ, **env}, input=stdin,
                          capture_output=True, text=True, timeout=120)
