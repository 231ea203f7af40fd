"""Marking text for translation where it is defined, below the web layer that translates it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

# Every language the interface is offered in; the first is the language the source is written in.
LOCALES = ("en", "fr", "ar", "es")


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


class Catalogue(Protocol):
    def gettext(self, message: str, /) -> str: ...

    # Babel types its translations' pgettext as returning `str | object`; it returns the string.
    def pgettext(self, context: str, message: str, /) -> object: ...

    def ngettext(self, singular: str, plural: str, n: int, /) -> str: ...


class Message(str):
    """A message kept as its msgid and parameters, so that it can be said in the reader's language.

    As a string it is the English text, so logs, the command line and code that compares messages keep
    working; the web layer translates the msgid and then fills in the parameters (kit/messages.py, web/i18n.py).
    """

    msgid: str
    plural: str | None
    number: int | None
    params: dict[str, Any]

    def __new__(cls, msgid: str, params: dict[str, Any] | None = None, *, plural: str | None = None,
                count: int | None = None) -> Message:
        english = plural if plural is not None and count != 1 else msgid
        self = super().__new__(cls, english % _spelled(params, str) if params else english)
        self.msgid, self.plural, self.number, self.params = msgid, plural, count, dict(params or {})
        return self

    def said_in(self, catalogue: Catalogue) -> str:
        if self.plural is not None:
            template = catalogue.ngettext(self.msgid, self.plural, self.number if self.number is not None else 0)
        else:
            template = catalogue.gettext(self.msgid)
        if not self.params:
            return template
        return template % _spelled(self.params, lambda m: m.said_in(catalogue))


def _spelled(params: dict[str, Any], say: Callable[[Message], str]) -> dict[str, Any]:
    # Only parameters that are messages themselves are translated, a list of them joined; a value the user
    # typed never is.
    def one(value: Any) -> Any:
        if isinstance(value, Message):
            return say(value)
        if isinstance(value, list | tuple):
            return ", ".join(str(one(v)) for v in value)
        return value

    return {k: one(v) for k, v in params.items()}


def ngettext(singular: str, plural: str, count: int, **params: Any) -> Message:
    """A count-dependent message, marked for extraction under gettext's own name; translated where shown."""
    return Message(singular, {"num": count, **params}, plural=plural, count=count)


class InContext(str):
    """A msgid with its context (gettext's msgctxt). One English word can be several in another language: a
    referral "Accepted" (its state), a column of referrals "Accepted" (a count) and "Accepted" before a date
    take three forms in Spanish."""

    context: str

    def __new__(cls, context: str, message: str) -> InContext:
        self = super().__new__(cls, message)
        self.context = context
        return self


def pgettext(context: str, message: str) -> InContext:
    """Mark a string and its context for extraction, under gettext's own name; translated where shown."""
    return InContext(context, message)


def translate(catalogue: Catalogue, text: str) -> str:
    """The text in the catalogue's language: a Message by its msgid and parameters, a plain string as a msgid."""
    if isinstance(text, Message):
        return text.said_in(catalogue)
    if isinstance(text, InContext):
        return str(catalogue.pgettext(text.context, str(text)))
    return catalogue.gettext(text) if text else text
