"""Re-identification risk of a release, from its equivalence-class sizes.

Prosecutor risk: an attacker who knows a person is in the release and knows their quasi-identifiers picks
one record of the matching class, so the risk of a record is 1 / (size of its class).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Risk:
    records: int
    classes: int
    max_risk: float
    avg_risk: float
    records_at_risk: int
    share_at_risk: float
    sample_uniques: int

    def as_dict(self, suffix: str = "") -> dict[str, float | int]:
        return {f"max_risk{suffix}": self.max_risk, f"avg_risk{suffix}": self.avg_risk,
                f"records_at_risk{suffix}": self.records_at_risk, f"share_at_risk{suffix}": self.share_at_risk,
                f"sample_uniques{suffix}": self.sample_uniques}


def prosecutor_risk(class_sizes: np.ndarray, threshold: float) -> Risk:
    """Risk figures for classes of the given sizes (zero sizes are ignored); at risk means risk > threshold."""
    sizes = np.asarray(class_sizes, dtype=np.int64)
    sizes = sizes[sizes > 0]
    records = int(sizes.sum())
    if not records:
        return Risk(records=0, classes=0, max_risk=0.0, avg_risk=0.0, records_at_risk=0, share_at_risk=0.0,
                    sample_uniques=0)
    at_risk = int(sizes[1.0 / sizes > threshold].sum())
    return Risk(records=records, classes=len(sizes), max_risk=float(1.0 / sizes.min()),
                # The mean over records of 1/size: each class contributes size * (1/size) = 1.
                avg_risk=len(sizes) / records, records_at_risk=at_risk, share_at_risk=at_risk / records,
                sample_uniques=int((sizes == 1).sum()))
