"""A benchmark's result on standard output: one JSON object, or its table."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


def print_result(result: dict[str, Any], *, as_json: bool, table: Callable[[dict[str, Any]], Any]) -> None:
    """One JSON object on standard output, or the benchmark's table; progress went to standard error."""
    if as_json:
        print(json.dumps(result, indent=2))
        return
    from rich.console import Console

    Console().print(table(result))
