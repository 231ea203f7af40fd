"""What a log line may hold: values on one line, and exceptions by their type and place, never their message."""

from __future__ import annotations

import traceback


def _escaped(char: str) -> str:
    if char == "\\":
        return "\\\\"
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(value: str) -> str:
    """`value` with control and other unprintable characters escaped, so that it cannot start a forged log line.

    A request path arrives percent-decoded: `%0A` is a line feed, `%1B` an escape sequence for the terminal that
    shows the log, `%E2%80%AE` a right-to-left override. The backslash is doubled so that a path that spells
    `\\x0a` reads differently from one that held a line feed.
    """
    if value.isprintable() and "\\" not in value:
        return value
    return "".join(c if c.isprintable() and c != "\\" else _escaped(c) for c in value)


def exception_outline(exc: BaseException) -> str:
    """Where `exc` and the exceptions behind it were raised: types and frames, without their messages.

    A database error's message quotes the rows it refused (PostgreSQL: `Key (email)=(...)`, `Failing row contains
    (...)`), and other messages quote what was sent; the frames show the code's own lines only.
    """
    lines: list[str] = []
    seen: set[int] = set()
    pending: list[tuple[str, BaseException]] = [("", exc)]
    while pending:
        prefix, current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        lines.append(f"{prefix}{type(current).__module__}.{type(current).__qualname__} (message left out)")
        lines.extend(line.rstrip("\n") for line in traceback.format_list(traceback.extract_tb(current.__traceback__)))
        if isinstance(current, BaseExceptionGroup):
            pending.extend(("in the group: ", member) for member in current.exceptions)
        if current.__cause__ is not None:
            pending.append(("caused by: ", current.__cause__))
        elif current.__context__ is not None and not current.__suppress_context__:
            pending.append(("while handling: ", current.__context__))
    return "\n".join(lines)
