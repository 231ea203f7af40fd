"""Reading rule and instrument files so that every value keeps the line it was written on.

PyYAML's composer gives each node its position; a plain `yaml.safe_load` throws that away, and TOML's reader
never had it. A rule that refers to an unknown field must be refused with its line, so the files are YAML,
read node by node.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml


class FileError(ValueError):
    """A rule or instrument file that cannot be used: where and why."""

    def __init__(self, source: str, line: int, problem: str) -> None:
        super().__init__(f"{source}, line {line}: {problem}")
        self.source, self.line, self.problem = source, line, problem


@dataclass(frozen=True)
class Where:
    """Where a value starts: 1-based line and column, and for a text, the column its first character is in."""

    line: int
    column: int
    block: bool = False  # a `|` or `>` text, whose content starts on the next line


class Map(dict[str, Any]):
    """A mapping that remembers where it and each of its values were written."""

    where: Where
    at: dict[str, Where]
    # A `|` or `>` text as written, indentation and line breaks kept, so that a position in it is a position in
    # the file; YAML's folding would join the lines of a long expression into one.
    raw: dict[str, str]


class Seq(list[Any]):
    where: Where
    at: list[Where]


def _where(node: yaml.Node) -> Where:
    mark = node.start_mark
    if isinstance(node, yaml.ScalarNode):
        if node.style in ("|", ">"):
            return Where(mark.line + 2, 1, block=True)
        # A quoted text's first character is one column after its quote.
        return Where(mark.line + 1, mark.column + 1 + (1 if node.style in ("'", '"') else 0))
    return Where(mark.line + 1, mark.column + 1)


def _block_text(node: yaml.ScalarNode, lines: list[str]) -> str:
    start, end = node.start_mark.line + 1, node.end_mark.line + (1 if node.end_mark.column else 0)
    return "\n".join(lines[start:end]).rstrip()


# Rule files come from administrators through the API too: a file may not be large, and aliases may not multiply
# it (a "billion laughs" file is a few lines that expand to gigabytes).
MAX_CHARS = 1_000_000
MAX_NODES = 200_000


class _Budget:
    def __init__(self, source: str) -> None:
        self.left, self.source = MAX_NODES, source

    def spend(self, node: yaml.Node) -> None:
        self.left -= 1
        if self.left < 0:
            raise FileError(self.source, node.start_mark.line + 1,
                            f"the file holds more than {MAX_NODES} values once its aliases are expanded")


def _value(node: yaml.Node, constructor: yaml.constructor.SafeConstructor, source: str,
           lines: list[str] | None = None, budget: _Budget | None = None) -> Any:
    lines = lines if lines is not None else []
    budget = budget if budget is not None else _Budget(source)
    budget.spend(node)
    if isinstance(node, yaml.MappingNode):
        out = Map()
        out.where, out.at, out.raw = _where(node), {}, {}
        for key_node, value_node in node.value:
            key = _value(key_node, constructor, source, lines, budget)
            if not isinstance(key, str):
                raise FileError(source, key_node.start_mark.line + 1, f"a key must be a name, not {key!r}")
            if key in out:
                raise FileError(source, key_node.start_mark.line + 1, f"{key!r} is given twice")
            out[key] = _value(value_node, constructor, source, lines, budget)
            out.at[key] = _where(value_node)
            if isinstance(value_node, yaml.ScalarNode) and value_node.style in ("|", ">"):
                out.raw[key] = _block_text(value_node, lines)
                out.at[key] = Where(value_node.start_mark.line + 2, 1, block=True)
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = Seq(_value(item, constructor, source, lines, budget) for item in node.value)
        seq.where, seq.at = _where(node), [_where(item) for item in node.value]
        return seq
    return constructor.construct_object(node, deep=True)


def read_yaml(text: str, *, source: str) -> Any:
    """The document in `text`, its mappings and lists knowing their lines; syntax errors name their line."""
    if len(text) > MAX_CHARS:
        raise FileError(source, 1, f"the file is longer than {MAX_CHARS} characters")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise FileError(source, 1, "the file is nested too deeply") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark is not None and (mark is None or mark.index >= len(text.rstrip())):
            # Found only at the end of the file (an unclosed bracket): where the unclosed thing began says more.
            mark = exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise FileError(source, line, f"not valid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise FileError(source, 1, f"not valid YAML: {exc}") from None
    if node is None:
        raise FileError(source, 1, "the file is empty")
    constructor = yaml.SafeLoader("")
    try:
        return _value(node, constructor, source, text.splitlines())
    except RecursionError:
        raise FileError(source, 1, "the file is nested too deeply") from None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        raise FileError(source, mark.line + 1 if mark else 1, f"not valid YAML: {exc.problem}") from None


def check_keys(m: Map, allowed: set[str], source: str) -> None:
    for key in m:
        if key not in allowed:
            raise FileError(source, line_of(m, key),
                            f"unknown key {key!r}; expected one of {', '.join(sorted(allowed))}")


def line_of(container: Map | Seq, key: str | int) -> int:
    if isinstance(container, Map) and isinstance(key, str) and key in container.at:
        return container.at[key].line
    if isinstance(container, Seq) and isinstance(key, int) and key < len(container.at):
        return container.at[key].line
    return container.where.line
