"""A smoke run of the disclosure benchmark at a tiny size: every figure is there and plausible.

A benchmark, not a timed test: nothing here asserts a speed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KEYS = ("rows", "seconds", "lattice_nodes", "lattice_nodes_checked", "suppression_rate", "k_achieved", "dp_seconds",
        "opendp_bare_seconds", "dp_vs_bare", "machine", "goals_met", "date")


def test_smoke_run_reports_every_figure():
    completed = subprocess.run([sys.executable, "-m", "bench", "disclosure", "--rows", "3000", "--repeat", "1",
                                "--json"], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout)
    assert [k for k in KEYS if k not in result] == []
    assert result["rows"] == 3000 and len(result["quasi_identifiers"]) == 7
    assert result["k_achieved"] >= 11 and result["l_achieved"] >= 2
    assert 0 < result["lattice_nodes_checked"] <= result["lattice_nodes"]
    assert 0 <= result["suppression_rate"] <= 0.05
    assert result["dp_seconds"] > 0 and result["opendp_bare_seconds"] > 0
    assert result["dp_cells"] == result["dp_cells_bare"]
    assert result["machine"]["cpu_count"] >= 1
