"""`crossroads rules test | check | explain | list`: eligibility rule sets from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from crossroads.eligibility.files import FileError, read_yaml
from crossroads.eligibility.instruments import default_instruments, load_instrument
from crossroads.eligibility.personas import run_personas
from crossroads.eligibility.rulesets import (
    MET,
    NOT_MET,
    OUTCOME_LABELS,
    STATUS_LABELS,
    InputError,
    RuleSet,
    check_inputs,
    evaluate,
    load_ruleset,
    shipped_programmes,
    shipped_ruleset,
)
from crossroads.kit.i18n import LOCALES, N_, translate

app = typer.Typer(help="Eligibility rule sets: test their personas, check a file, explain a determination.",
                  no_args_is_help=True)
console = Console()
err = Console(stderr=True)

_COLOUR = {MET: "green", NOT_MET: "red"}
NOT_REQUIRED = N_("not required")
PRIORITY = N_("Priority")


def _fail(message: str, code: int) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", soft_wrap=True, highlight=False)
    return typer.Exit(code)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"{path}: cannot be read: {exc}", 2) from None


def _ruleset(programme: str, path: Path | None) -> RuleSet:
    """The programme's rule set from `path` when given, else the shipped one; exit 2 when it cannot be used."""
    try:
        if path is None:
            ruleset = shipped_ruleset(programme)
            if ruleset is None:
                raise _fail(f"PROGRAMME: no rule set is shipped for {programme!r}; the programmes with one are "
                            f"{', '.join(shipped_programmes())}", 2)
            return ruleset
        ruleset = load_ruleset(_read(path), source=str(path))
    except FileError as exc:
        raise _fail(f"{exc.source}, line {exc.line}: {exc.problem}", 2) from None
    if ruleset.programme != programme:
        raise _fail(f"{path}: the file is the rule set of {ruleset.programme!r}, not of {programme!r}", 2)
    return ruleset


@app.command("test")
def test(
    programme: Annotated[str, typer.Argument(help="Programme code, for example avrr.")],
    file: Annotated[Path | None, typer.Option("--file", help="Test this rule set file instead of the shipped one.")]
    = None,
) -> None:
    """Run the rule set's test personas; exit 1 when any gets another outcome or priority than it expects."""
    ruleset = _ruleset(programme, file)
    results = run_personas(ruleset)
    table = Table(title=f"{ruleset.programme} {ruleset.version}: personas")
    for column in ("persona", "expected", "got", "priority", ""):
        table.add_column(column)
    for r in results:
        priority = str(r.got_priority) if r.expected_priority is None else f"{r.got_priority} / {r.expected_priority}"
        table.add_row(r.name, r.expected, r.got, priority, "[green]ok[/]" if r.ok else "[bold red]MISMATCH[/]")
    console.print(table)
    failed = [r for r in results if not r.ok]
    if not results:
        raise _fail(f"{ruleset.source}: the rule set has no personas to test", 1)
    if failed:
        for r in failed:
            err.print(f"line {r.line}: {r.name!r} expected {r.expected}"
                      + (f" with priority {r.expected_priority}" if r.expected_priority is not None else "")
                      + f", got {r.got} with priority {r.got_priority}", soft_wrap=True, highlight=False)
        raise _fail(f"{len(failed)} of {len(results)} personas do not get what they expect", 1)
    console.print(f"{len(results)} personas pass")


@app.command("check")
def check(path: Annotated[Path, typer.Argument(help="A rule set or screening instrument file (YAML).")]) -> None:
    """Load a rule set or instrument file and report its first syntax, reference or type error with the line."""
    text = _read(path)
    try:
        # An instrument is told apart by its questions; anything else is read as a rule set and refused as one.
        if isinstance(doc := read_yaml(text, source=str(path)), dict) and "questions" in doc:
            inst = load_instrument(text, source=str(path))
            console.print(f"{path}: instrument {inst.code} {inst.version}, {len(inst.questions)} questions, "
                          f"findings: {', '.join(r.code for r in inst.results) or 'none'}", highlight=False)
            return
        ruleset = load_ruleset(text, source=str(path))
    except FileError as exc:
        raise _fail(f"{exc.source}, line {exc.line}: {exc.problem}", 2) from None
    console.print(f"{path}: {ruleset.programme} {ruleset.version}, {len(ruleset.criteria)} criteria, "
                  f"{len(ruleset.priority)} priority components, {len(ruleset.personas)} personas", highlight=False)


def _inputs(text: str) -> dict[str, Any]:
    if text.startswith("@"):
        text = _read(Path(text[1:]))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(f"--inputs: not valid JSON: {exc}", 2) from None
    if not isinstance(data, dict):
        raise _fail("--inputs: must be a JSON object of input path to value, like {\"person.age\": 30}", 2)
    return data


@app.command("explain")
def explain(
    programme: Annotated[str, typer.Argument(help="Programme code, for example avrr.")],
    inputs: Annotated[str, typer.Option("--inputs", help="JSON object of input path to value, or @FILE.")],
    file: Annotated[Path | None, typer.Option("--file", help="Use this rule set file instead of the shipped one.")]
    = None,
    lang: Annotated[str, typer.Option("--lang", help=f"Language to say it in: {', '.join(LOCALES)}.")] = "en",
) -> None:
    """Say, criterion by criterion, what the rule set decides for these inputs and why, in the person's language."""
    from crossroads.web.i18n import translations

    if lang not in LOCALES:
        raise _fail(f"--lang: must be one of {', '.join(LOCALES)}", 2)
    ruleset = _ruleset(programme, file)
    try:
        typed = check_inputs(ruleset, _inputs(inputs))
    except InputError as exc:
        raise _fail(f"--inputs: {exc.path}: {exc.problem}", 2) from None
    catalogue = translations(lang)

    def say(text: str) -> str:
        return translate(catalogue, text)

    ev = evaluate(ruleset, typed)
    console.print(f"[bold]{say(ruleset.title)}[/] ({ruleset.version}): [bold]{say(OUTCOME_LABELS[ev.outcome])}[/]",
                  highlight=False, markup=True)
    for c in ev.criteria:
        status = f"[{_COLOUR.get(c.status, 'yellow')}]{say(STATUS_LABELS[c.status])}[/]"
        optional = "" if c.required else f" ({say(NOT_REQUIRED)})"
        console.print(f"  {status}{optional}  {say(c.reason)}", highlight=False, soft_wrap=True)
    console.print(f"{say(PRIORITY)}: {ev.priority.score}", highlight=False)
    for code, points, reason in ev.priority.parts:
        console.print(f"  +{points}  {say(reason)}  [dim]({code})[/]", highlight=False, soft_wrap=True)


@app.command("list")
def list_rules() -> None:
    """The shipped rule sets and screening instruments, with their versions."""
    table = Table("programme", "version", "criteria", "personas")
    for code in shipped_programmes():
        ruleset = shipped_ruleset(code)
        assert ruleset is not None
        table.add_row(code, ruleset.version, str(len(ruleset.criteria)), str(len(ruleset.personas)))
    console.print(table)
    instruments = Table("instrument", "version", "questions")
    for inst in default_instruments().values():
        instruments.add_row(inst.code, inst.version, str(len(inst.questions)))
    console.print(instruments)
