"""Fixtures for browser tests: a live Crossroads on a seeded SQLite file, and Debian's Chromium.

The server runs in a daemon thread of the test process (uvicorn on a free loopback port), so the
tests can also look at its database directly through `live_server.engine`.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from sqlalchemy import Engine

from crossroads.app import create_app
from crossroads.config import Settings
from crossroads.db.session import make_engine, unit_of_work
from crossroads.demo import seed_demo
from crossroads.schema import upgrade_database

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
# The demo logins' password; at least 12 characters, as the user schema demands.
PW = "browser-test-password"
SECRET = "browser-test-" + "x" * 40
STARTUP_SECONDS = 20
TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    engine: Engine

    def url(self, path: str) -> str:
        return self.base_url + path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_healthy(base_url: str, thread: threading.Thread) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if not thread.is_alive():
            pytest.fail("the live Crossroads server thread stopped during start-up; see the captured log")
        try:
            with urllib.request.urlopen(base_url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            last_error = exc
        time.sleep(0.05)
    pytest.fail(f"the live Crossroads server did not answer {base_url}/healthz within {STARTUP_SECONDS}s: "
                f"{last_error!r}")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Crossroads in demo mode on a fresh, migrated and seeded SQLite file, served over HTTP."""
    url = f"sqlite:///{tmp_path_factory.mktemp('browser-db') / 'crossroads.db'}"
    engine = make_engine(url)
    upgrade_database(engine)
    with unit_of_work(engine) as session:
        seed_demo(session, password=PW, households=20)
    settings = Settings(database_url=url, secret_key=SECRET, mode="demo", cookie_secure=False, argon2_fast=True)
    app = create_app(settings, engine)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, name="crossroads-live-server", daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base_url, thread)
        yield LiveServer(base_url=base_url, engine=engine)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright; never a downloaded browser."""
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"{CHROMIUM} is missing or not executable: the browser tests need Debian's Chromium "
                    f"(apt-get install chromium); they never download a browser", pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def new_context(browser: Browser, live_server: LiveServer) -> Callable[[], BrowserContext]:
    """Make a fresh browser context (own cookies) on the live server, in English."""

    def make() -> BrowserContext:
        context = browser.new_context(base_url=live_server.base_url, locale="en-US")
        context.set_default_timeout(TIMEOUT_MS)
        return context

    expect.set_options(timeout=TIMEOUT_MS)
    return make


@pytest.fixture
def context(new_context: Callable[[], BrowserContext]) -> Iterator[BrowserContext]:
    ctx = new_context()
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def log_in(page: Page, email: str, password: str = PW) -> None:
    """Log in through the form and wait for the landing page (cases, administration, releases, or referrals)."""
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/(cases|admin|disclosure|referrals/inbox)$"))


@pytest.fixture(scope="session")
def login() -> Callable[..., None]:
    """`login(page, email, password=PW)`: log in through the form."""
    return log_in
