"""The benchmarks of docs/benchmarks.md, run from a source checkout with `python -m bench`; not installed.

Each benchmark module (cases, dedup, dedup_ceiling, disclosure) measures one part of Crossroads and prints
its figures as one JSON object; `harness/` is the measuring machinery they share.
"""
