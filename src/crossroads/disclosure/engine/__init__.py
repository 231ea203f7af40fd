"""The disclosure engine: release specs, hierarchies, the generalisation lattice, risk, DP tables, exports and
exchange packages.

Pure: rows in, released rows and reports out; no database session and no web (the "engines" import contract in
pyproject.toml holds it). Releases, the budget ledger and agreements wrap it.
"""
