"""The API documentation page: served with its assets by the app itself, with no script the CSP would refuse.

tests/browser/test_api_docs.py shows it rendering in Chromium.
"""

from __future__ import annotations

import re


class TestApiDocs:
    def test_page_loads_only_scripts_and_styles_of_the_app(self, client):
        response = client.get("/api/v1/docs")
        assert response.status_code == 200
        assert "script-src 'self'" in response.headers["content-security-policy"]
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", response.text, re.S)
        assert [src for src, _ in scripts] == [' src="/static/swagger-ui/swagger-ui-bundle.js"',
                                               ' src="/static/api-docs.js"']
        assert all(body.strip() == "" for _, body in scripts)  # nothing inline
        assert re.findall(r'<link rel="stylesheet" href="([^"]+)"', response.text) == [
            "/static/swagger-ui/swagger-ui.css", "/static/api-docs.css"]
        assert 'data-openapi-url="/api/v1/openapi.json"' in response.text

    def test_assets_are_served(self, client):
        for path, media_type in (("/static/swagger-ui/swagger-ui-bundle.js", "javascript"),
                                 ("/static/swagger-ui/swagger-ui.css", "text/css"),
                                 ("/static/api-docs.js", "javascript"),
                                 ("/static/api-docs.css", "text/css")):
            response = client.get(path)
            assert response.status_code == 200
            assert media_type in response.headers["content-type"]
        assert "SwaggerUIBundle" in client.get("/static/api-docs.js").text
