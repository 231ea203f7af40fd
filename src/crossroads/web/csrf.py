"""Form tokens bound to the browser session (or the pre-login cookie) they were issued for."""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Request

SESSION_COOKIE = "crossroads_session"
PRELOGIN_COOKIE = "crossroads_prelogin"


def csrf_anchor(request: Request) -> str | None:
    """What a form token is bound to: the session cookie, or before login the pre-login cookie."""
    return request.cookies.get(SESSION_COOKIE) or getattr(request.state, "prelogin", None) or request.cookies.get(
        PRELOGIN_COOKIE
    )


def csrf_token(secret: str, anchor: str) -> str:
    """A form token for this anchor; the anchor enters only as a digest, like the stored session tokens."""
    digest = hashlib.sha256(anchor.encode()).hexdigest()
    return hmac.new(secret.encode(), f"csrf:{digest}".encode(), hashlib.sha256).hexdigest()


def check_csrf(secret: str, anchor: str | None, submitted: str | None) -> bool:
    return bool(anchor and submitted and hmac.compare_digest(csrf_token(secret, anchor), submitted))
