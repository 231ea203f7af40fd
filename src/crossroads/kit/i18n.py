"""Marking text for translation where it is defined, below the web layer that translates it."""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message
