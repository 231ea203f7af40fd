"""`crossroads audit`: seal the trail, verify it, prove an event's inclusion, export and compare signed heads.

Every command but `seal` only reads the database (`unit_of_work(read_only=True)`): on SQLite they run beside a
server without taking its write lock.
"""

from __future__ import annotations

import json
import os
import signal
import tempfile
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from cryptography.hazmat.primitives.asymmetric import ed25519
from rich.console import Console
from sqlalchemy import Engine

from crossroads.audit import keys as audit_keys
from crossroads.audit.heads import HeadFormatError, TreeHead, head_from_json, head_to_json
from crossroads.audit.seal import SEAL_BATCH, SealRefused, seal_pending
from crossroads.audit.tree import latest_head
from crossroads.audit.verify import ProofError, TrustedHead, prove_consistency, prove_event, verify_trail
from crossroads.config import Settings
from crossroads.db.session import make_engine, unit_of_work
from crossroads.kit.keytext import KeyFormatError

app = typer.Typer(help="The audit trail: sealed into a Merkle tree with signed heads.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", soft_wrap=True, highlight=False)
    return typer.Exit(code)


def _engine(settings: Settings) -> Engine:
    return make_engine(settings.database_url)


def _signing_key(settings: Settings) -> ed25519.Ed25519PrivateKey:
    try:
        key = audit_keys.signing_key(settings)
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"CROSSROADS_AUDIT_SIGNING_KEY_FILE: cannot read {settings.audit_signing_key_file} "
                    f"({getattr(exc, 'strerror', None) or type(exc).__name__})", 2) from None
    except KeyFormatError as exc:
        raise _fail(f"CROSSROADS_AUDIT_SIGNING_KEY: {exc}", 2) from None
    if key is None:
        raise _fail("CROSSROADS_AUDIT_SIGNING_KEY is not set; generate one with `crossroads audit keygen`", 2)
    return key


def _trusted(settings: Settings) -> dict[str, ed25519.Ed25519PublicKey]:
    try:
        trusted = audit_keys.trusted_keys(settings)
    except (KeyFormatError, OSError, UnicodeDecodeError) as exc:
        raise _fail(f"audit keys: {exc}", 2) from None
    if not trusted:
        raise _fail("no audit key to verify heads with: set CROSSROADS_AUDIT_PUBLIC_KEYS "
                    "(or CROSSROADS_AUDIT_SIGNING_KEY)", 2)
    return trusted


def _read_head(path: Path, option: str) -> TreeHead:
    try:
        return head_from_json(json.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise _fail(f"{option}: cannot read {path} ({exc.strerror or type(exc).__name__})", 2) from None
    except (ValueError, HeadFormatError) as exc:
        raise _fail(f"{option}: {path} is not an exported tree head ({exc})", 2) from None


def _write_json(data: dict[str, Any], path: Path) -> None:
    """Written whole or not at all: to a temporary file beside it, then renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
        fh.write("\n")
    os.replace(tmp, path)


@app.command()
def keygen(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the private key to this new file "
                                                "(owner-only) instead of printing it.")] = None,
) -> None:
    """Create an audit signing key; keep its public key wherever the trail is verified."""
    key = ed25519.Ed25519PrivateKey.generate()
    if output is not None:
        if output.exists():
            raise _fail(f"--output: {output} already exists; it is never overwritten", 2)
        output.parent.mkdir(parents=True, exist_ok=True)
        # Owner-only from the start, never readable by others even for a moment.
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(audit_keys.private_key_text(key) + "\n")
        console.print(f"private key: {output} (set CROSSROADS_AUDIT_SIGNING_KEY_FILE to it)", highlight=False)
    else:
        console.print(f"CROSSROADS_AUDIT_SIGNING_KEY={audit_keys.private_key_text(key)}", soft_wrap=True,
                      highlight=False)
    console.print(f"public key (CROSSROADS_AUDIT_PUBLIC_KEYS for verifiers): {audit_keys.public_key_text(key)}",
                  soft_wrap=True, highlight=False)


@app.command()
def seal(
    every: Annotated[float | None, typer.Option("--every", min=0.1, help="Seal again every SECONDS until "
                                                "interrupted.")] = None,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Events per seal (one transaction and head).")]
    = SEAL_BATCH,
) -> None:
    """Order the events committed since the last seal into the Merkle tree and sign its new head."""
    settings = Settings()
    key, trusted = _signing_key(settings), _trusted(settings)
    engine = _engine(settings)
    # With --every, an interrupt (Ctrl-C, or SIGTERM from a service manager) ends the loop between two seals, never
    # inside one: a seal that committed is always reported.
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)} \
        if every is not None else {}
    try:
        while True:
            try:
                totals = seal_pending(engine, key=key, trusted=trusted, limit=batch)
            except SealRefused as exc:
                raise _fail(f"not sealed: {exc}") from None
            if totals.head is not None:
                console.print(f"sealed {totals.sealed} events; tree of {totals.tree_size} events, root "
                              f"{totals.head.root_hash.hex()}", soft_wrap=True, highlight=False)
            elif every is None:
                console.print(f"nothing to seal; tree of {totals.tree_size} events", highlight=False)
            if every is None or stop.wait(every):
                return
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        engine.dispose()


@app.command()
def verify(
    full: Annotated[bool, typer.Option("--full", help="Recompute every event, not only those sealed since the "
                                       "last verified head.")] = False,
    from_head: Annotated[list[Path] | None, typer.Option(
        "--from-head", help="A head exported earlier (`export-head`) and kept elsewhere: the trail must extend it. "
                            "Repeat for several.")] = None,
    state: Annotated[Path | None, typer.Option(
        "--state", help="Where the last verified head is kept (default CROSSROADS_AUDIT_VERIFIED_HEAD_FILE, or "
                        "audit-verified-head.json in the data directory).")] = None,
    remember: Annotated[bool, typer.Option("--remember/--no-remember", help="Record the head verified now in the "
                                           "state file, for the next run to start from.")] = True,
) -> None:
    """Check the trail against its signed heads; exit 1 naming the event or head that broke."""
    settings = Settings()
    trusted = _trusted(settings)
    state_file = state or settings.verified_head_file()
    since = None
    if state_file.exists():
        since = TrustedHead(f"the head verified before (kept in {state_file})", _read_head(state_file, "--state"))
    anchors = [TrustedHead(f"the head in {path}", _read_head(path, "--from-head")) for path in from_head or []]
    if full and since is not None:
        # Still a head the trail must extend, only not a place to start from.
        anchors.append(since)
        since = None
    engine = _engine(settings)
    try:
        with unit_of_work(engine, read_only=True) as session:
            result = verify_trail(session, keys=trusted, since=since, anchors=anchors)
    finally:
        engine.dispose()
    if result.problem is not None:
        raise _fail(f"audit trail broken: {result.problem.message}")
    latest = result.latest
    if latest is not None and remember:
        _write_json(head_to_json(latest.head), state_file)
    walked = (f"all {result.walked} recomputed" if result.start == 0
              else f"{result.walked} sealed since the head verified before recomputed")
    console.print(f"audit trail intact: {result.tree_size} events sealed ({walked}), {result.heads_checked} "
                  f"signed heads checked, {result.unsealed} events not sealed yet", soft_wrap=True, highlight=False)
    if latest is not None:
        console.print(f"latest head: {latest.describe()}, root {latest.head.root_hash.hex()}", soft_wrap=True,
                      highlight=False)


@app.command()
def prove(
    event_id: Annotated[int, typer.Argument(help="The audit event's id.", min=1)],
    head: Annotated[Path | None, typer.Option("--head", help="Prove against this exported head instead of the "
                                              "latest signed head.")] = None,
) -> None:
    """Print an event's audit path to a signed head and verify it (RFC 9162 inclusion proof)."""
    settings = Settings()
    trusted = _trusted(settings)
    given = _read_head(head, "--head") if head else None
    engine = _engine(settings)
    try:
        with unit_of_work(engine, read_only=True) as session:
            proof = prove_event(session, event_id=event_id, keys=trusted, head=given)
    except ProofError as exc:
        raise _fail(str(exc)) from None
    finally:
        engine.dispose()
    console.print_json(data={
        "event_id": proof.event_id, "leaf_index": proof.leaf_index, "leaf_hash": proof.leaf_hash.hex(),
        "audit_path": [h.hex() for h in proof.path], "head": head_to_json(proof.head), "verified": proof.verified,
    })
    if not proof.verified:
        raise _fail(f"event #{event_id} is not in the tree of the head ({proof.head.describe()}) as it reads now: "
                    "the event or the stored tree was altered")


@app.command()
def consistency(
    earlier: Annotated[Path, typer.Argument(help="A head exported earlier.")],
    later: Annotated[Path | None, typer.Argument(help="A later exported head (default: the latest signed head).")]
    = None,
) -> None:
    """Print the proof that a later head extends an earlier one and verify it (RFC 9162 consistency proof)."""
    settings = Settings()
    trusted = _trusted(settings)
    old = _read_head(earlier, "EARLIER")
    new = _read_head(later, "LATER") if later else None
    engine = _engine(settings)
    try:
        with unit_of_work(engine, read_only=True) as session:
            proof = prove_consistency(session, old=old, new=new, keys=trusted)
    except ProofError as exc:
        raise _fail(str(exc)) from None
    finally:
        engine.dispose()
    console.print_json(data={"earlier": head_to_json(proof.old), "later": head_to_json(proof.new),
                             "proof": [h.hex() for h in proof.path], "verified": proof.verified})
    if not proof.verified:
        raise _fail(f"the later head ({proof.new.describe()}) does not extend the earlier one "
                    f"({proof.old.describe()}): the trail was rewritten between them, or the stored tree was altered")


@app.command("export-head")
def export_head(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write it to this file instead.")] = None,
) -> None:
    """Print the latest signed head as JSON, to keep somewhere the database's administrators cannot write."""
    settings = Settings()
    engine = _engine(settings)
    try:
        with unit_of_work(engine, read_only=True) as session:
            latest = latest_head(session)
    finally:
        engine.dispose()
    if latest is None:
        raise _fail("the trail has no signed head yet: run `crossroads audit seal`")
    data = head_to_json(latest.head)
    if output is not None:
        _write_json(data, output)
        console.print(f"head of {latest.head.tree_size} events written to {output}", highlight=False)
    else:
        console.print_json(data=data)
