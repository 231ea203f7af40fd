"""Security headers, the path-only access log, request ids and request body limits, as plain ASGI middleware.

Plain ASGI rather than `@app.middleware("http")`: Starlette's BaseHTTPMiddleware runs each request
through an extra task and stream, which measured about 6% of a registration's server time.
"""

from __future__ import annotations

import logging
import secrets
import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crossroads.web import errors
from crossroads.web.logs import printable

access_log = logging.getLogger("crossroads.access")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
    ),
}
# Sent only where session cookies are Secure (settings.cookie_secure), that is where the app is reached over HTTPS.
HSTS = "max-age=31536000; includeSubDomains"
# Every answer may carry people's data and must not be kept by browsers or proxies, unless it is a static asset.
# Assets carry no version in their names, so they are kept an hour: an upgrade reaches every browser within it,
# and the ETag makes asking again cheap.
NO_STORE = "no-store"
STATIC_PREFIX = "/static/"
STATIC_CACHE = "public, max-age=3600"

# The limit of the request's body (bytes), in its ASGI scope: JSON calls and forms have settings.max_body_bytes,
# attachment uploads raise it to settings.max_upload_bytes with accept_upload before reading.
BODY_LIMIT = "crossroads.body_limit"


class SecurityHeadersAndAccessLog:
    """Headers on every answer, one access log line per request, and the 500 of an unhandled exception.

    The exception is answered here rather than by Starlette's outermost middleware, which would hand it on to the
    server to be logged with its message (web/errors.py: unexpected says why that must not happen).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path = scope["path"]
        status = 500
        request_id = secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id
        secure = scope["app"].state.settings.cookie_secure
        static = path.startswith(STATIC_PREFIX)
        response_started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                headers.setdefault("Cache-Control", STATIC_CACHE if static and status < 400 else NO_STORE)
                if secure:
                    headers.setdefault("Strict-Transport-Security", HSTS)
                headers["X-Request-ID"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            # Not raised again: the server would log it with its message.
            if response_started:
                # Too late to answer; the server closes the unfinished response.
                errors.log_unexpected(Request(scope), exc)
                return
            await errors.unexpected(Request(scope), exc)(scope, receive, send_with_headers)
        finally:
            # Path only: query strings carry searched names, which must never reach a log. The path is escaped:
            # `%0A` in a URL must not write a line of its own.
            access_log.info("%s %s %s %.0fms %s", printable(scope["method"]), printable(path), status,
                            (time.perf_counter() - started) * 1000, request_id)


def accept_upload(request: Request) -> None:
    """Let this request's body reach settings.max_upload_bytes: called by the attachment routes before reading it."""
    request.scope[BODY_LIMIT] = request.app.state.settings.max_upload_bytes


class BodyLimit:
    """Answer 413 to a request body over its limit before it is read into memory.

    A Content-Length over the largest limit (an upload's) is answered at once, without calling the app. Otherwise
    each chunk the app reads is counted against the route's limit, read again at every chunk so that an upload
    route can raise it before reading: a Content-Length over it is refused at the first read, and a body sent
    without one (chunked) as soon as its bytes pass the limit. What was read by then is at most one chunk more
    than the limit; nothing has been written, since nothing reached the endpoint.

    Hand-written rather than FastAPI's `max_body_size`: that sits outside the app's middleware, and where the
    endpoint answers without reading the body it replaces the answer with a plain-text 413 that carries neither
    the security headers nor the API's error body.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = scope["app"].state.settings
        scope[BODY_LIMIT] = settings.max_body_bytes
        declared = Headers(scope=scope).get("content-length", "")
        length = int(declared) if declared.isdigit() else None
        ceiling = max(settings.max_body_bytes, settings.max_upload_bytes)
        if length is not None and length > ceiling:
            request = Request(scope)
            await errors.too_large(request, errors.BodyTooLarge(ceiling))(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            limit = scope[BODY_LIMIT]
            if length is not None and length > limit:
                raise errors.BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise errors.BodyTooLarge(limit)
            return message

        await self.app(scope, limited_receive, send)
