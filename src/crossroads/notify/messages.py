"""What a notification may say: the messages and webhook events, and the only parameters they take.

A notification leaves Crossroads for a mailbox or a partner's system that the agency does not control, so it
carries no person data at all: only a reference (a case or referral number), a count and a link back to
Crossroads, where the reader signs in and the access policy decides what they see. This is held by the
shape of the parameters, not by the callers' care: every message names the parameters it takes, each of
one of three kinds, and anything else (a name, a free text, an unknown key) is refused when it is queued.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from crossroads.kit.i18n import N_


class Param(StrEnum):
    REFERENCE = "reference"
    COUNT = "count"
    PATH = "path"


# A record's number, such as REF-2026-000123 or TUN-2026-000042: capitals, digits and hyphens, with at least
# one digit, so that a name ("JOHN-SMITH") does not pass for one.
_REFERENCE = re.compile(r"(?=[A-Z0-9-]*[0-9])[A-Z][A-Z0-9]{0,11}(-[A-Z0-9]{1,12}){1,4}")
# A path inside Crossroads: lower-case words, ids and slashes. No query string or fragment, where text could
# ride along, and no dots, so it cannot climb out of the base URL.
_PATH = re.compile(r"/[a-z0-9_/-]{0,200}")
MAX_COUNT = 1_000_000


class UnsafeParams(ValueError):
    """A notification was queued with parameters it does not take: a mistake in the calling code."""


NGettext = Callable[[str, str, int], str]


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    params: frozenset[Param]
    # A body that says a count: chooses its plural form with the reader's ngettext. Written as a call of
    # `ngettext` with both forms, so that extraction puts them in the catalogues as one plural entry.
    counted: Callable[[NGettext, int], str] | None = None


def _waiting(ngettext: NGettext, count: int) -> str:
    return ngettext("%(count)d referral is waiting for you: %(url)s",
                    "%(count)d referrals are waiting for you: %(url)s", count)


FOOTER = N_("This message holds no personal data. Sign in to Crossroads to see the details.")

_REF_LINK = frozenset({Param.REFERENCE, Param.PATH})

MESSAGES: dict[str, Message] = {
    "referral.received": Message(N_("New referral %(reference)s"),
                                 N_("A referral %(reference)s is waiting for you: %(url)s"), _REF_LINK),
    "referral.accepted": Message(N_("Referral %(reference)s accepted"),
                                 N_("Referral %(reference)s was accepted: %(url)s"), _REF_LINK),
    "referral.declined": Message(N_("Referral %(reference)s declined"),
                                 N_("Referral %(reference)s was declined: %(url)s"), _REF_LINK),
    "referral.completed": Message(N_("Referral %(reference)s completed"),
                                  N_("Referral %(reference)s was completed: %(url)s"), _REF_LINK),
    "referral.overdue": Message(N_("Referral %(reference)s is overdue"),
                                N_("Referral %(reference)s was not acknowledged in time: %(url)s"), _REF_LINK),
    "consent.revoked": Message(N_("Consent withdrawn for referral %(reference)s"),
                               N_("The consent behind referral %(reference)s was withdrawn; its shared data is "
                                  "no longer available: %(url)s"), _REF_LINK),
    "referrals.waiting": Message(N_("Referrals waiting"), "", frozenset({Param.COUNT, Param.PATH}),
                                 counted=_waiting),
    "notify.test": Message(N_("Test message from Crossroads"),
                           N_("Notifications from Crossroads reach this address. Crossroads is at %(url)s"),
                           frozenset({Param.PATH})),
}

# What a partner's system is told, by webhook: an event name, a reference and a link.
EVENTS = frozenset({"referral.received", "referral.cancelled", "referral.overdue", "consent.revoked",
                    "webhook.test"})


def _check_value(name: Param, value: Any) -> Any:
    if name is Param.COUNT:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
            raise UnsafeParams(f"{name}: a whole number from 0 to {MAX_COUNT}")
        return value
    if not isinstance(value, str):
        raise UnsafeParams(f"{name}: text expected")
    if name is Param.REFERENCE and not (len(value) <= 40 and _REFERENCE.fullmatch(value)):
        raise UnsafeParams("reference: a record number such as REF-2026-000123")
    if name is Param.PATH and (not _PATH.fullmatch(value) or "//" in value):
        raise UnsafeParams("path: a path inside Crossroads, such as /referrals/42")
    return value


def check_params(expected: frozenset[Param], params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters, each of its kind, exactly those expected; UnsafeParams otherwise."""
    unknown = sorted(set(params) - {p.value for p in expected})
    if unknown:
        raise UnsafeParams(f"parameters not taken: {', '.join(unknown)}")
    missing = sorted(p.value for p in expected if p.value not in params)
    if missing:
        raise UnsafeParams(f"parameters missing: {', '.join(missing)}")
    return {p.value: _check_value(p, params[p.value]) for p in sorted(expected)}


def message(code: str) -> Message:
    try:
        return MESSAGES[code]
    except KeyError:
        raise UnsafeParams(f"no message {code!r}") from None


def check_event(event: str) -> str:
    if event not in EVENTS:
        raise UnsafeParams(f"no webhook event {event!r}")
    return event


def link(base_url: str, path: str) -> str:
    """The absolute link to a path of Crossroads (the path alone when no base URL is configured)."""
    return base_url.rstrip("/") + path


@dataclass(frozen=True)
class Email:
    subject: str
    body: str


def render_email(code: str, params: Mapping[str, Any], *, gettext: Callable[[str], str], ngettext: NGettext,
                 base_url: str) -> Email:
    """The message in the reader's language: `gettext`/`ngettext` are that locale's."""
    msg = message(code)
    values = check_params(msg.params, params)
    values["url"] = link(base_url, values.pop(Param.PATH.value, "/"))
    if msg.counted is not None:
        body = msg.counted(ngettext, values[Param.COUNT.value]) % values
    else:
        body = gettext(msg.body) % values
    return Email(subject=gettext(msg.subject) % values, body=f"{body}\n\n-- \n{gettext(FOOTER)}\n")


def webhook_payload(event: str, params: Mapping[str, Any], *, occurred_at: str, base_url: str) -> dict[str, Any]:
    """The JSON a partner's system receives (Standard Webhooks' type, timestamp and data)."""
    values = check_params(frozenset({Param.REFERENCE, Param.PATH}), params)
    return {"type": check_event(event), "timestamp": occurred_at,
            "data": {"reference": values["reference"], "url": link(base_url, values["path"])}}
