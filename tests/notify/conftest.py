"""A real SMTP server (aiosmtpd) and a real webhook receiver on loopback ports, for the delivery tests."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Mailbox:
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        self.recipients.append(list(envelope.rcpt_tos))
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox(port=free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes
    verified: bool
    payload: dict | None


@dataclass
class Receiver:
    """Answers each delivery with the next status of `statuses` (the last one repeats), after checking its
    signature with the Standard Webhooks reference library against `secret`."""

    url: str
    secret: str = ""
    statuses: list[int] = field(default_factory=lambda: [204])
    # Sent back with every failure: text a careless worker would copy into its error or log.
    error_body: bytes = b""
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        try:
            payload = Webhook(self.secret).verify(body, headers)
            verified = True
        except WebhookVerificationError:
            payload, verified = None, False
        with self.lock:
            self.deliveries.append(Delivery(headers, body, verified, payload))
            index = len(self.deliveries) - 1
            return self.statuses[min(index, len(self.statuses) - 1)]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    port = free_port()
    recv = Receiver(url=f"http://127.0.0.1:{port}/hooks/crossroads")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            status = recv.answer({k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(status)
            failure = recv.error_body if status >= 300 else b""
            self.send_header("content-length", str(len(failure)))
            self.end_headers()
            self.wfile.write(failure)

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    try:
        yield recv
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
