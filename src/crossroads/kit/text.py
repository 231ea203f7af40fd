"""Name folding shared by search and, later, duplicate detection."""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Case-folded, accent-free, romanised form of a name: "José" -> "jose", "محمد" -> "mhmd"."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_ALNUM.sub(" ", anyascii(stripped).casefold()).strip()


def search_key(*names: str) -> str:
    """Space-separated distinct folded tokens of all the names, in first-seen order."""
    seen: dict[str, None] = {}
    for name in names:
        for token in fold(name).split():
            seen.setdefault(token, None)
    return " ".join(seen)


def query_tokens(query: str) -> list[str]:
    return fold(query).split()


def normalise_document_number(number: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", anyascii(number).upper())
