"""Reads first: a write waits while reads are in flight in this server process, for a bounded time.

A caseworker searching for a person must not wait behind a batch of registrations. On a machine whose CPU the
writers keep busy, every request is slowed by all the others, and the operating system shares the CPU fairly
among them: a search beside eight registering clients took four times as long as alone
(docs/benchmarks.md, "reads beside registrations"). Writes can wait a little without anyone noticing — a
registration form that answers in 250 ms instead of 50 is still instant to its user — while a search is read
by someone waiting for it. So:

- a read (GET, HEAD, OPTIONS) is never held;
- a write is let in only while no read is in flight in this process, or once it has waited `max_wait` seconds,
  so that a steady stream of reads slows writes but never stops them;
- at most `max_writes` writes run at once in this process; the rest queue in arrival order of their wake-ups.

The writes already running when a read arrives finish; none is interrupted. Per process: each server process
of a deployment decides for the requests it holds (the database already orders their transactions).

Hand-written: admission control of this kind (priority between request classes, a bounded wait) is what
a reverse proxy's request queues do for whole upstreams; none of the ASGI libraries in reach gives a
per-class priority with a starvation bound.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ReadsFirst:
    def __init__(self, app: ASGIApp, *, max_writes: int, max_wait: float) -> None:
        self.app = app
        self.max_writes = max_writes
        self.max_wait = max_wait
        self.reads = 0
        self.writes = 0
        self._waiting: set[asyncio.Future[None]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.max_writes == 0:
            await self.app(scope, receive, send)
            return
        if scope["method"] in READ_METHODS:
            self.reads += 1
            try:
                await self.app(scope, receive, send)
            finally:
                self.reads -= 1
                if self.reads == 0:
                    self._wake()
            return
        await self._admit_write()
        try:
            await self.app(scope, receive, send)
        finally:
            self.writes -= 1
            self._wake()

    async def _admit_write(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.max_wait
        # One event loop thread: nothing runs between the check and the increment, so no lock is needed.
        while not (self.writes < self.max_writes and (self.reads == 0 or loop.time() >= deadline)):
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiting.add(waiter)
            # With a free slot only the reads hold this write back, and only until its deadline.
            timeout = max(0.0, deadline - loop.time()) if self.writes < self.max_writes else None
            try:
                await asyncio.wait((waiter,), timeout=timeout)
            finally:
                self._waiting.discard(waiter)
        self.writes += 1

    def _wake(self) -> None:
        """Let every waiting write check again; those that still may not go wait again."""
        for waiter in self._waiting:
            if not waiter.done():
                waiter.set_result(None)
