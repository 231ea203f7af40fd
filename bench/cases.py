"""The case registry benchmark as a script: `python bench/cases.py --cases 1000 --json`.

Same entry as `crossroads bench cases`; see crossroads/bench/cases.py and docs/benchmarks.md.
"""

from crossroads.bench.cases import main

if __name__ == "__main__":
    main()
