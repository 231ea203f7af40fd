"""`python -m bench …` from the repository root."""

from bench.cli import app

app(prog_name="python -m bench")
