"""Headers every answer carries."""

from __future__ import annotations


class TestSecurityHeaders:
    def test_security_headers(self, client):
        response = client.get("/login")
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
