"""Reads first: the order in which the gate lets requests through, with an app whose requests end when told."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from crossroads.web.admission import ReadsFirst


class Held:
    """An ASGI app whose every request runs until the test releases it, recording when it started."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.release: dict[str, asyncio.Event] = {}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        name = scope["path"]
        self.started.append(name)
        await self.release.setdefault(name, asyncio.Event()).wait()

    def finish(self, name: str) -> None:
        self.release.setdefault(name, asyncio.Event()).set()


def request(gate: ReadsFirst, method: str, name: str) -> asyncio.Task[None]:
    scope = {"type": "http", "method": method, "path": name}
    return asyncio.ensure_future(gate(scope, _never, _never))


async def _never(*_: Any) -> Any:
    raise AssertionError("the held app neither reads nor sends")


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    """The scenario on an event loop of its own, in a thread of its own: Playwright's sync API (the browser tests)
    keeps a loop running in the main thread, where asyncio.run refuses to start another."""
    failures: list[BaseException] = []

    def on_its_loop() -> None:
        try:
            asyncio.run(asyncio.wait_for(scenario(), timeout=10))
        except BaseException as exc:  # handed to the test's thread below
            failures.append(exc)

    thread = threading.Thread(target=on_its_loop)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the scenario did not end"
    if failures:
        raise failures[0]


def test_a_write_waits_while_a_read_is_in_flight_and_goes_when_it_ends() -> None:
    async def scenario() -> None:
        app = Held()
        gate = ReadsFirst(app, max_writes=4, max_wait=60)
        read = request(gate, "GET", "/search")
        await settle()
        write = request(gate, "POST", "/register")
        await settle()
        assert app.started == ["/search"]
        app.finish("/search")
        await read
        await settle()
        assert app.started == ["/search", "/register"]
        app.finish("/register")
        await write
        assert (gate.reads, gate.writes) == (0, 0)

    run(scenario)


def test_reads_pass_writes_that_run_and_writes_that_wait() -> None:
    async def scenario() -> None:
        app = Held()
        gate = ReadsFirst(app, max_writes=1, max_wait=60)
        first = request(gate, "POST", "/w1")
        second = request(gate, "PATCH", "/w2")
        await settle()
        read = request(gate, "GET", "/list")
        head = request(gate, "HEAD", "/list-head")
        await settle()
        assert app.started == ["/w1", "/list", "/list-head"]
        for name in ("/list", "/list-head", "/w1"):
            app.finish(name)
        await asyncio.gather(read, head, first)
        await settle()
        assert app.started[-1] == "/w2"
        app.finish("/w2")
        await second

    run(scenario)


def test_at_most_max_writes_run_at_once() -> None:
    async def scenario() -> None:
        app = Held()
        gate = ReadsFirst(app, max_writes=2, max_wait=60)
        writes = [request(gate, "POST", f"/w{i}") for i in range(5)]
        await settle()
        assert app.started == ["/w0", "/w1"]
        app.finish("/w0")
        await settle()
        assert len(app.started) == 3 and gate.writes == 2
        for i in range(1, 5):
            app.finish(f"/w{i}")
        await asyncio.gather(*writes)
        assert sorted(app.started) == [f"/w{i}" for i in range(5)] and gate.writes == 0

    run(scenario)


def test_reads_that_never_stop_delay_a_write_by_max_wait_not_forever() -> None:
    async def scenario() -> None:
        app = Held()
        gate = ReadsFirst(app, max_writes=4, max_wait=0.2)
        read = request(gate, "GET", "/endless")
        await settle()
        loop = asyncio.get_running_loop()
        asked = loop.time()
        write = request(gate, "DELETE", "/w")
        while "/w" not in app.started:
            await asyncio.sleep(0.01)
        waited = loop.time() - asked
        assert 0.2 <= waited < 1.0
        assert gate.reads == 1
        app.finish("/w")
        app.finish("/endless")
        await asyncio.gather(read, write)

    run(scenario)


def test_a_write_given_up_while_waiting_takes_no_slot() -> None:
    async def scenario() -> None:
        app = Held()
        gate = ReadsFirst(app, max_writes=1, max_wait=60)
        read = request(gate, "GET", "/r")
        await settle()
        gone = request(gate, "POST", "/gone")
        await settle()
        gone.cancel()
        with pytest.raises(asyncio.CancelledError):
            await gone
        app.finish("/r")
        await read
        later = request(gate, "POST", "/later")
        await settle()
        assert app.started == ["/r", "/later"] and gate.writes == 1
        app.finish("/later")
        await later

    run(scenario)


def test_zero_writes_turns_the_gate_off() -> None:
    async def scenario() -> None:
        app = Held()
        gate = ReadsFirst(app, max_writes=0, max_wait=60)
        read = request(gate, "GET", "/r")
        write = request(gate, "POST", "/w")
        await settle()
        assert app.started == ["/r", "/w"]
        app.finish("/r")
        app.finish("/w")
        await asyncio.gather(read, write)

    run(scenario)
