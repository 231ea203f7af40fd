"""The disclosure benchmark as a script: `python bench/disclosure.py --rows 1000000 --json`.

Same entry as `crossroads bench disclosure`; see crossroads/bench/disclosure.py and docs/benchmarks.md.
"""

from crossroads.bench.disclosure import main

if __name__ == "__main__":
    main()
