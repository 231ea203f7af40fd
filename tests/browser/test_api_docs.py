"""The API documentation page in a real browser, under the app's Content-Security-Policy."""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

pytestmark = pytest.mark.browser


def test_docs_page_lists_the_operations_without_csp_violations(page: Page, live_server):
    console: list[ConsoleMessage] = []
    page.on("console", lambda message: console.append(message))
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(live_server.base_url) or r.url.startswith("data:")
            else outside.append(r.url))

    page.goto("/api/v1/docs")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Crossroads")
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/people/{person_id}").first).to_be_visible()
    assert page.locator(".opblock").count() > 50
    # An operation opens, rendered by Swagger UI's own scripts.
    page.locator(".opblock-summary", has_text="/api/v1/auth/token").first.click()
    expect(page.get_by_role("button", name="Try it out").first).to_be_visible()
    assert [m.text for m in console if m.type in ("error", "warning")] == []
    assert outside == []
