"""The duplicate-detection benchmark as a script: `python bench/dedup.py --people 20000 --json`.

Same entry as `crossroads bench dedup`; see crossroads/bench/dedup.py and docs/benchmarks.md.
"""

from crossroads.bench.dedup import main

if __name__ == "__main__":
    main()
