"""Babel extraction of the texts in instrument and rule set files (babel.cfg maps `eligibility/**.yaml` here).

The files are configuration, not code, so `N_()` cannot mark their texts; this extractor lists them under the
keys that hold words shown to people, with the line they are on, so that `pybabel extract` and the catalogue
test see them like any other msgid.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

from crossroads.eligibility.files import Map, Seq, read_yaml

SHOWN = {
    "title": "The title of a screening instrument or an eligibility rule set.",
    "description": "What a screening instrument asks about, shown above its questions.",
    "label": "A screening question, an answer to choose, or a finding, as the caseworker asks or reads it.",
    "help": "A note to the caseworker beside a screening question.",
    "met": "Read to the person: an eligibility criterion they meet. Placeholders are values from their case.",
    "not_met": "Read to the person: an eligibility criterion they do not meet, and what they can do.",
    "unknown": "Read to the person: an eligibility criterion that cannot be decided yet, and why.",
    "message": "Read to the person: why their case gets priority points on a waiting list.",
}


def _walk(node: Any) -> Iterator[tuple[int, str, str]]:
    if isinstance(node, Map):
        for key, value in node.items():
            if key in SHOWN and isinstance(value, str) and value.strip():
                yield node.at[key].line, value, SHOWN[key]
            else:
                yield from _walk(value)
    elif isinstance(node, Seq):
        for item in node:
            yield from _walk(item)


def extract_yaml(fileobj: IO[bytes], keywords: Mapping[str, Any], comment_tags: Collection[str],
                 options: Mapping[str, Any]) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel's extractor interface: (line, function name, message, comments) for each text shown to people."""
    source = getattr(fileobj, "name", "<yaml>")
    seen: set[tuple[int, str]] = set()
    for line, text, note in _walk(read_yaml(fileobj.read().decode("utf-8"), source=str(source))):
        # An anchor (`*difficulty`) repeats its texts; one occurrence is enough for the catalogue.
        if (line, text) in seen:
            continue
        seen.add((line, text))
        yield line, "_", text, [f"Translators: {note}"]
