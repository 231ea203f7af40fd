"""Small random tables and specs for the disclosure tests (the benchmark's CTDC-like data lives in src)."""

from __future__ import annotations

import numpy as np
import pandas as pd

COUNTRIES = ["NGA", "GBR", "SYR", "AFG", "ERI", "TUR", "IRQ", "UKR", "PHL", "MEX"]


def people_frame(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """People with a name, age, sex, citizenship, registration year, a sensitive and an insensitive column."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "name": [f"Person {i}" for i in range(n)],
        "age": rng.integers(0, 80, n).astype(str),
        "sex": rng.choice(["F", "M"], n),
        "citizenship": rng.choice(COUNTRIES, n, p=[.25, .05, .15, .15, .1, .1, .05, .05, .05, .05]),
        "year_of_registration": rng.integers(2012, 2024, n).astype(str),
        "type_of_exploitation": rng.choice(["sexual", "labour", "other"], n, p=[.45, .45, .1]),
        "means_of_control": rng.choice(["debt", "threats", "none"], n),
    })


def people_spec(**overrides: object) -> dict:
    """The issue's example spec over `people_frame`'s columns."""
    spec = {
        "k": 5,
        "l": 2,
        "max_suppression": 0.05,
        "columns": {
            "name": {"role": "identifier"},
            "age": {"role": "quasi", "hierarchy": {"type": "interval", "widths": [5, 10, 20]}},
            "sex": {"role": "quasi"},
            "citizenship": {"role": "quasi", "hierarchy": {"type": "m49"}},
            "year_of_registration": {"role": "quasi", "hierarchy": {"type": "interval", "widths": [2, 5]}},
            "type_of_exploitation": {"role": "sensitive"},
            "means_of_control": {"role": "insensitive"},
        },
    }
    spec.update(overrides)
    return spec
