"""A release in a real browser: the data officer prepares and submits, the DPO approves, then download."""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

# Left in the system temporary directory for a human to look at after a run; not an assertion.
SCREENSHOT = Path(tempfile.gettempdir()) / "crossroads-release-flow.png"
DATA_OFFICER = "data@example.org"
DPO = "dpo@example.org"
SPEC = {"k": 2, "max_suppression": 0.5, "risk_threshold": 0.5, "columns": {
    "person_id": {"role": "identifier", "action": "pseudonym"},
    "sex": {"role": "quasi"},
    "age": {"role": "quasi", "hierarchy": {"type": "interval", "widths": [10, 20, 40, 80]}},
    "nationality": {"role": "quasi", "hierarchy": {"type": "m49"}},
    "programme": {"role": "insensitive"},
}}


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))


def test_prepare_submit_approve_by_the_dpo_then_download(page: Page, login) -> None:
    login(page, DATA_OFFICER)
    page.get_by_role("link", name="Prepare a microdata release").click()
    dataset = page.get_by_label("Dataset")
    dataset.select_option(dataset.locator("option", has_text="All cases").get_attribute("value"))
    page.get_by_label("Title").fill("Browser release")
    page.get_by_label(re.compile(r"^Release spec")).fill(json.dumps(SPEC))
    page.get_by_role("button", name="Prepare").click()
    expect(page.locator("#release-status")).to_have_text("Draft")
    expect(page.get_by_role("link", name="release.csv")).to_have_count(0)
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.locator("#release-status")).to_have_text("Pending approval")
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    release_url = page.url
    log_out(page)

    login(page, DPO)
    page.goto(release_url)
    page.get_by_label("Comment (required to reject)").fill("Risk report checked.")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#release-status")).to_have_text("Approved")
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    with page.expect_download() as info:
        page.get_by_role("link", name="release.csv").click()
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"))))
    assert rows and set(rows[0]) == set(SPEC["columns"])
    assert all(len(r["person_id"]) >= 16 for r in rows)
