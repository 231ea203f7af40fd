"""Recall at high precision, unsupervised and supervised, as a script: `python bench/dedup_ceiling.py --json`.

Same entry as `crossroads bench dedup-ceiling`; see crossroads/bench/dedup_ceiling.py and docs/benchmarks.md.
"""

from crossroads.bench.dedup_ceiling import main

if __name__ == "__main__":
    main()
