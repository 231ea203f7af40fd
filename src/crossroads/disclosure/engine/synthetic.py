"""Synthetic CTDC-like case records for benchmarks, tests and demos (no real person behind any row).

The columns follow the Counter Trafficking Data Collaborative's global synthetic dataset: gender, age,
citizenship and country of exploitation (ISO 3166 alpha-3), year of registration, data source, recruiter
relationship, type of exploitation and means of control, with skewed distributions like the published
data (most victims registered in recent years, a few citizenships dominating, exploitation often abroad).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

CITIZENSHIPS = ["PHL", "UKR", "IDN", "MDA", "BLR", "KHM", "NGA", "MMR", "HTI", "ROU", "VNM", "BGD", "ETH", "LAO",
                "THA", "KGZ", "AFG", "ERI", "GHA", "SOM", "MLI", "NPL", "UZB", "IND", "CHN", "MEX", "GTM", "HND",
                "SLV", "VEN", "COL", "BOL", "SYR", "IRQ", "SDN", "SSD", "KEN", "UGA", "COD", "CMR", "SEN", "GIN",
                "CIV", "BFA", "NER", "TCD", "ALB", "BGR", "SRB", "POL", "LKA", "PAK", "MAR", "DZA", "TUN", "EGY",
                "YEM", "DOM", "CUB", "ECU", "PER", "BRA", "ZWE", "MOZ", "MWI", "ZMB", "TZA", "RWA", "BDI", "TJK"]
DESTINATIONS = ["USA", "RUS", "GBR", "THA", "MYS", "SAU", "ARE", "TUR", "POL", "ITA", "DEU", "FRA", "ESP", "KWT",
                "QAT", "LBN", "JOR", "CHN", "JPN", "KOR", "IDN", "PHL", "UKR", "NGA", "LBY", "ZAF", "KEN", "MEX",
                "GTM", "ARG", "CHL", "BRA", "IND", "NPL", "KHM", "VNM", "HTI", "DOM", "NLD", "BEL"]
GENDERS = (["Female", "Male", "Trans/Transgender/NonConforming"], [0.71, 0.28, 0.01])
SOURCES = (["Case Management", "Hotline"], [0.82, 0.18])
RECRUITERS = (["Intimate partner", "Friend", "Family/relative", "Other", ""], [0.09, 0.18, 0.16, 0.27, 0.30])
EXPLOITATION = (["Sexual exploitation", "Forced labour", "Forced marriage", "Other exploitation"],
                [0.46, 0.40, 0.06, 0.08])
CONTROL = (["Debt bondage", "Threats", "Psychological abuse", "Restriction of movement", "Physical abuse",
            "Takes earnings", "False promises", ""], [0.14, 0.12, 0.16, 0.13, 0.11, 0.09, 0.10, 0.15])
YEARS = list(range(2002, 2023))
MISSING_AGE_SHARE = 0.08


def _zipf(n: int, s: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** s
    shares: np.ndarray = weights / weights.sum()
    return shares


def _pick(rng: np.random.Generator, choices: tuple[list[str], list[float]], n: int) -> np.ndarray:
    values, weights = choices
    return np.array(values, dtype=object)[rng.choice(len(values), size=n, p=weights)]


def ctdc_like(n: int, seed: int = 0) -> pd.DataFrame:
    """n synthetic case records as strings (missing values empty), deterministic for a seed."""
    rng = np.random.default_rng(seed)
    age = np.clip(np.round(rng.gamma(shape=6.0, scale=4.6, size=n) + 4), 0, 89).astype(np.int64)
    age_text = np.array([str(a) for a in range(90)], dtype=object)[age]
    age_text[rng.random(n) < MISSING_AGE_SHARE] = ""
    citizenship = np.array(CITIZENSHIPS, dtype=object)[rng.choice(len(CITIZENSHIPS), size=n,
                                                                  p=_zipf(len(CITIZENSHIPS), 1.1))]
    # Half of the exploitation happens in the victim's own country (as in the CTDC data), the rest abroad.
    abroad = np.array(DESTINATIONS, dtype=object)[rng.choice(len(DESTINATIONS), size=n,
                                                              p=_zipf(len(DESTINATIONS), 1.0))]
    exploitation_country = np.where(rng.random(n) < 0.5, citizenship, abroad)
    year_weights = np.linspace(1, 6, len(YEARS)) ** 1.5
    years = np.array([str(y) for y in YEARS], dtype=object)[rng.choice(len(YEARS), size=n,
                                                                        p=year_weights / year_weights.sum())]
    gender = _pick(rng, GENDERS, n)
    exploitation = _pick(rng, EXPLOITATION, n)
    # Men are mostly registered for forced labour, as in the published data.
    men = gender == "Male"
    exploitation[men] = np.array(EXPLOITATION[0], dtype=object)[rng.choice(4, size=int(men.sum()),
                                                                            p=[0.1, 0.78, 0.02, 0.1])]
    return pd.DataFrame({
        "case_id": np.array([f"CTDC-{i:08d}" for i in rng.permutation(n)], dtype=object),
        "gender": gender,
        "age": age_text,
        "citizenship": citizenship,
        "country_of_exploitation": exploitation_country,
        "year_of_registration": years,
        "datasource": _pick(rng, SOURCES, n),
        "recruiter_relationship": _pick(rng, RECRUITERS, n),
        "type_of_exploitation": exploitation,
        "means_of_control": _pick(rng, CONTROL, n),
    })


def ctdc_spec(k: int = 11, l: int | None = 2, max_suppression: float = 0.05) -> dict[str, Any]:  # noqa: E741
    """The release spec of the benchmark: k-anonymity over seven quasi-identifiers, l over the exploitation."""
    return {
        "k": k,
        **({"l": l} if l else {}),
        "max_suppression": max_suppression,
        "columns": {
            "case_id": {"role": "identifier"},
            "gender": {"role": "quasi"},
            "age": {"role": "quasi", "hierarchy": {"type": "interval", "widths": [5, 10, 20]}},
            "citizenship": {"role": "quasi", "hierarchy": {"type": "m49"}},
            "country_of_exploitation": {"role": "quasi", "hierarchy": {"type": "m49"}},
            "year_of_registration": {"role": "quasi", "hierarchy": {"type": "interval", "widths": [2, 5]}},
            "datasource": {"role": "quasi"},
            "recruiter_relationship": {"role": "quasi", "hierarchy": {"type": "mapping", "levels": [
                {"Known to the victim": ["Intimate partner", "Friend", "Family/relative"], "Other": "Other"}]}},
            "type_of_exploitation": {"role": "sensitive"},
            "means_of_control": {"role": "insensitive"},
        },
    }
