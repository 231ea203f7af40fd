"""`crossroads exchange`: what a recipient runs to make a key and open a package, and the agency's key tools."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from cryptography.hazmat.primitives.asymmetric import ed25519
from rich.console import Console

from crossroads.disclosure.engine import exchange
from crossroads.kit.keytext import SIGNER_PREFIX, KeyFormatError

app = typer.Typer(help="Signed and encrypted exchange packages.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    return typer.Exit(code)


def _passphrase(env: str | None) -> bytes | None:
    if env is None:
        return None
    value = os.environ.get(env)
    if not value:
        raise _fail(f"--passphrase-env: environment variable {env} is empty or not set", 2)
    return value.encode()


@app.command()
def keygen(
    output: Annotated[Path, typer.Option("--output", "-o", help="Private key file to create (PEM); the public "
                                         "key is written beside it with .pub added.")],
    passphrase_env: Annotated[str | None, typer.Option(help="Encrypt the private key with the passphrase in "
                                                       "this environment variable.")] = None,
) -> None:
    """Create a recipient key pair; give the printed public key to the agency for your agreement."""
    public_path = output.with_name(output.name + ".pub")
    for path in (output, public_path):
        if path.exists():
            raise _fail(f"--output: {path} already exists; it is never overwritten", 2)
    key = exchange.generate_recipient_key()
    pem = exchange.private_key_pem(key, _passphrase(passphrase_env))
    output.parent.mkdir(parents=True, exist_ok=True)
    # Created with owner-only permissions from the start, never readable by others even for a moment.
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    public = exchange.public_key_text(key)
    public_path.write_text(public + "\n")
    console.print(f"private key: {output} (keep it secret)\npublic key:  {public_path}")
    console.print(public, soft_wrap=True)


def _signer(value: str) -> ed25519.Ed25519PublicKey:
    path = Path(value)
    text = path.read_text() if not value.startswith(SIGNER_PREFIX) and path.is_file() else value
    try:
        return exchange.parse_signer_public(text)
    except KeyFormatError as exc:
        raise _fail(f"--signer: {exc}", 2) from None


def _write_all(files: dict[str, bytes], output: Path) -> None:
    """Every file appears at once or none does: written to a sibling temporary folder, then renamed."""
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise _fail(f"--output: {output} exists and is not an empty folder", 2)
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".crossroads-open-", dir=output.parent))
    try:
        for name, content in files.items():
            (staging / name).write_bytes(content)
        os.replace(staging, output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


@app.command("open")
def open_command(
    package: Annotated[Path, typer.Argument(help="The .crxpkg file received.")],
    key: Annotated[Path, typer.Option("--key", help="Your private key file from `crossroads exchange keygen`.")],
    signer: Annotated[str, typer.Option("--signer", help="The agency's public key (ed25519:…) or a file "
                                        "holding it, obtained from the agency out of band.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Folder to write the files to "
                                                "(default: the package name without its extension).")] = None,
    passphrase_env: Annotated[str | None, typer.Option(help="Passphrase of the private key, from this "
                                                       "environment variable.")] = None,
) -> None:
    """Verify the agency's signature, decrypt with your key, and write the files; refuse anything else."""
    agency = _signer(signer)
    try:
        private = exchange.load_private_key(key.read_bytes(), _passphrase(passphrase_env))
    except OSError as exc:
        raise _fail(f"--key: cannot read {key}: {exc.strerror}", 2) from None
    except KeyFormatError as exc:
        raise _fail(f"--key: {exc}", 2) from None
    try:
        data = package.read_bytes()
    except OSError as exc:
        raise _fail(f"PACKAGE: cannot read {package}: {exc.strerror}", 2) from None
    try:
        opened = exchange.open_package(data, private_key=private, signer=agency)
    except exchange.PackageError as exc:
        raise _fail(f"{package}: {exc}. Nothing was written.") from None
    target = output or package.with_suffix("")
    _write_all(opened.files, target)
    console.print(f"signature verified; {len(opened.files)} files written to {target}")
    for name, content in sorted(opened.files.items()):
        console.print(f"  {name}  {len(content)} bytes")


@app.command("signing-key")
def signing_key() -> None:
    """Generate a new agency signing key, to set as CROSSROADS_EXCHANGE_SIGNING_KEY."""
    key = exchange.generate_signing_key()
    err.print("Set this as CROSSROADS_EXCHANGE_SIGNING_KEY (keep it secret); give partners the public key.")
    console.print(exchange.signing_key_text(key), soft_wrap=True)
    err.print(f"public key: {exchange.signer_public_text(key)}", soft_wrap=True)
