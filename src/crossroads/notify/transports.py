"""Sending: one e-mail over SMTP, one webhook over HTTP. No database here; the worker records the outcome.

A failure is described by a status code or an exception's type, never by the text a server sent back: an SMTP
reply or an error page may quote the message or the address, and the description is stored and logged.
"""

from __future__ import annotations

import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    user: str
    password: str
    starttls: bool
    mail_from: str
    timeout: float


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    status_code: int | None = None
    error: str | None = None
    # Sending again cannot help (the recipient's account is gone, the subscription switched off).
    permanent: bool = False


def send_email(config: SmtpConfig, *, to: str, subject: str, body: str, message_id: str) -> Outcome:
    msg = EmailMessage()
    msg["From"] = config.mail_from
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(idstring=message_id)
    msg.set_content(body)
    try:
        with smtplib.SMTP(config.host, config.port, timeout=config.timeout) as smtp:
            if config.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if config.user:
                smtp.login(config.user, config.password)
            smtp.send_message(msg)
    except smtplib.SMTPRecipientsRefused:
        return Outcome(False, error="SMTP: recipient refused")
    except smtplib.SMTPResponseException as exc:
        return Outcome(False, status_code=exc.smtp_code, error=f"SMTP {exc.smtp_code}")
    except (OSError, smtplib.SMTPException) as exc:
        return Outcome(False, error=f"SMTP: {type(exc).__name__}")
    return Outcome(True, status_code=250)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A receiver that moved must be configured again by an administrator; following a redirect would send the
    # signed event wherever the answer points.
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def post_webhook(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> Outcome:
    # The scheme is http or https: checked when the subscription was saved (notify/schemas.py).
    request = urllib.request.Request(url, data=body,  # noqa: S310
                                     headers={**headers, "user-agent": "Crossroads-Webhooks/1"}, method="POST")
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        return Outcome(False, status_code=exc.code, error=f"HTTP {exc.code}")
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None)
        name = type(reason).__name__ if isinstance(reason, BaseException) else type(exc).__name__
        return Outcome(False, error=f"HTTP: {name}")
    if 200 <= status < 300:
        return Outcome(True, status_code=status)
    return Outcome(False, status_code=status, error=f"HTTP {status}")
