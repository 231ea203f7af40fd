"""Sensitive values must never reach a log line or an error message."""

from __future__ import annotations

import logging

from tests.factories import auth as af
from tests.factories.people import person_payload
from tests.helpers import token_headers

SENTINELS = ("Zebulonia", "Quxterly", "1987-03-14", "+963944555666", "PX9988776")


def test_no_sensitive_value_in_logs_or_errors(client, db, caplog):
    world = af.world(db)
    headers = token_headers(client, world.users["caseworker_a"].email)
    body = person_payload(given_name="Zebulonia", family_name="Quxterly", date_of_birth="1987-03-14",
                          phone="+963944555666",
                          documents=[{"document_type": "passport", "number": "PX9988776"}])
    with caplog.at_level(logging.DEBUG):
        created = client.post("/api/v1/people", json=body, headers=headers)
        pid = created.json()["id"]
        responses = [
            client.get(f"/api/v1/people/{pid}", headers=headers),
            client.get("/api/v1/cases", params={"q": "Zebulonia Quxterly"}, headers=headers),
            client.post("/api/v1/people", json={**body, "nationality": "Zebulonia"}, headers=headers),
            client.post("/api/v1/people", json={**body, "given_name": "Zebulonia" * 30}, headers=headers),
            client.post("/api/v1/people", json={**body, "date_of_birth": "Quxterly"}, headers=headers),
            client.post("/api/v1/people", json={**body, "phone": "Zebulonia"}, headers=headers),
        ]
    assert created.status_code == 201
    assert [r.status_code for r in responses[2:]] == [422, 422, 422, 422]
    for response in responses[2:]:
        for sentinel in SENTINELS:
            assert sentinel not in response.text
    # The test client's own request log (httpx2) is the caller's, not Crossroads'.
    server_lines = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    for sentinel in SENTINELS:
        assert sentinel not in server_lines
    assert any(r.name == "crossroads.access" for r in caplog.records)
