"""The matching engine: keys, comparisons, the Fellegi–Sunter model, batch scoring on Splink/DuckDB.

Pure: plain records and files in, plain data out; no database session and no web (the "engines" import
contract in pyproject.toml holds it). The registry side of dedup wraps it.
"""
