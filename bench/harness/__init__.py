"""What the benchmarks share to measure: statistics, servers, pgbench, bulk seeding, printing the result.

Nothing here knows one benchmark; each benchmark (bench/cases.py, bench/dedup.py, …) imports what it needs.
"""


class BenchError(RuntimeError):
    """The benchmark cannot run or a measurement failed; the command prints it and exits 1."""
