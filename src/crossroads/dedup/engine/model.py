"""The trained Fellegi–Sunter model: parameters, versioned JSON, and pure-Python scoring of one pair.

Training happens in Splink (batch.train_model); this module keeps what it learned — the prior and the m/u
probabilities of each comparison level — and scores a pair from comparisons.compare() without a database,
which is what the online check at registration calls (a few microseconds a pair).

File format (JSON): ``{"format": "crossroads-dedup-model", "version", "trained_at", "trained_on",
"prior", "comparisons": [{"field", "levels": [{"label", "m", "u"}]}], "splink": <Splink model JSON>,
"calibration": <optional: calibration.Calibration of the run that trained it>}``. Files without
"calibration" (every model before calibration existed) load as before.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from crossroads.dedup.engine.calibration import Calibration
from crossroads.dedup.engine.comparisons import COMPARISONS, splink_comparisons
from crossroads.dedup.engine.keys import PersonFeatures, PersonRecord, features

__all__ = ["DEFAULT_MODEL", "MatchModel", "MatchScore", "ModelError", "Reason", "default_model", "probability"]

FORMAT = "crossroads-dedup-model"
DEFAULT_MODEL = "model-v4.json"
# m or u probabilities Splink could not estimate (a level never seen) are treated as uninformative.
_FLOOR = 1e-6
_MIN_PROBABILITY = 1e-3
# u comes from random sampling: a level seen in few or none of the sampled pairs (a full date of birth in
# common, a swap) gets a u near 0. Flooring it at 1e-3 capped such an agreement at about 9 bits, below a
# year-only agreement plus a place; 1e-4 keeps it finite and measured better (docs/benchmarks.md).
_MIN_U = 1e-4


class ModelError(ValueError):
    """A model file is unreadable or does not fit the comparisons of this version of Crossroads."""


@dataclass(frozen=True, slots=True)
class Reason:
    """How one field of the pair compared, and what that did to the score (log2 Bayes factor)."""

    field: str
    level_label: str
    agreed: bool
    weight: float


@dataclass(frozen=True, slots=True)
class MatchScore:
    probability: float
    match_weight: float
    reasons: list[Reason]


@dataclass
class MatchModel:
    """Trained parameters: the prior and, per comparison, (label, m, u) of each level strongest first."""

    version: str
    prior: float
    levels: list[list[tuple[str, float | None, float | None]]]
    trained_at: str = ""
    trained_on: str = ""
    splink: dict[str, Any] = field(default_factory=dict)
    calibration: Calibration | None = None
    _weights: list[list[float]] = field(init=False, repr=False)
    _prior_weight: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.levels) != len(COMPARISONS):
            raise ModelError(f"model has {len(self.levels)} comparisons, this version compares {len(COMPARISONS)}")
        for comparison, levels in zip(COMPARISONS, self.levels, strict=True):
            if [label for label, _, _ in levels] != [level.label for level in comparison.levels]:
                raise ModelError(f"model levels of {comparison.field} do not match this version's comparisons")
        if not 0 < self.prior < 1:
            raise ModelError("prior must be between 0 and 1")
        self._prior_weight = math.log2(self.prior / (1 - self.prior))
        # Stored by gamma value: index g holds the weight of gamma g (0 = else), as compare() returns it.
        self._weights = [
            [_bayes_weight(m, u) for _, m, u in reversed(levels)] for levels in self.levels
        ]

    def score(self, a: PersonFeatures | PersonRecord, b: PersonFeatures | PersonRecord) -> MatchScore:
        """Probability that a and b are the same person, with the weight each field contributed."""
        fa = a if isinstance(a, PersonFeatures) else features(a)
        fb = b if isinstance(b, PersonFeatures) else features(b)
        total = self._prior_weight
        reasons = []
        for comparison, weights in zip(COMPARISONS, self._weights, strict=True):
            gamma = comparison.gamma(fa, fb)
            if gamma < 0:
                continue
            weight = weights[gamma]
            total += weight
            reasons.append(Reason(comparison.field, comparison.label(gamma), gamma > 0, round(weight, 3)))
        return MatchScore(probability=probability(total), match_weight=total, reasons=reasons)

    @property
    def level_weights(self) -> list[list[float]]:
        """Per comparison, the weight of each gamma value (index 0 is "else"), as compare() numbers them."""
        return self._weights

    def match_weight(self, a: PersonFeatures, b: PersonFeatures) -> float:
        """The match weight score() gives the pair, without its reasons: what sifting candidates needs."""
        # Summed exactly as in score(), so that a pair kept on this weight gets the same score there.
        total = self._prior_weight
        for comparison, weights in zip(COMPARISONS, self._weights, strict=True):
            gamma = comparison.gamma(a, b)
            if gamma >= 0:
                total += weights[gamma]
        return total

    def splink_settings(self, dialect: str = "duckdb") -> dict[str, Any]:
        """Splink settings with this model's parameters, the comparisons rendered for the dialect."""
        settings = dict(self.splink)
        settings["probability_two_random_records_match"] = self.prior
        comparisons = splink_comparisons(dialect)
        for comparison, levels in zip(comparisons, self.levels, strict=True):
            for spec, (_, m, u) in zip(comparison["comparison_levels"][1:], levels, strict=True):
                if m is not None:
                    spec["m_probability"] = m
                if u is not None:
                    spec["u_probability"] = u
        settings["comparisons"] = comparisons
        settings["sql_dialect"] = dialect
        return settings

    @classmethod
    def from_splink(cls, settings: dict[str, Any], *, version: str, trained_at: str, trained_on: str) -> MatchModel:
        """Read the parameters out of a trained Splink model (linker.misc.save_model_to_json())."""
        levels = []
        by_name = {c["output_column_name"]: c for c in settings["comparisons"]}
        for comparison in COMPARISONS:
            spec = by_name.get(comparison.field)
            if spec is None:
                raise ModelError(f"Splink model has no comparison {comparison.field}")
            non_null = [lv for lv in spec["comparison_levels"] if not lv.get("is_null_level")]
            levels.append([_level(lv) for lv in non_null])
        return cls(version=version, prior=settings["probability_two_random_records_match"], levels=levels,
                   trained_at=trained_at, trained_on=trained_on, splink=settings)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "version": self.version, "trained_at": self.trained_at, "trained_on": self.trained_on,
            "prior": self.prior,
            "comparisons": [
                {"field": c.field, "levels": [{"label": label, "m": m, "u": u} for label, m, u in levels]}
                for c, levels in zip(COMPARISONS, self.levels, strict=True)
            ],
            "splink": self.splink,
        } | ({"calibration": self.calibration.to_json()} if self.calibration is not None else {})

    def save(self, path: Path) -> None:
        """Write the model as JSON, atomically (a reader never sees half a model)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(self.to_json(), out, indent=1, ensure_ascii=False)
                out.write("\n")
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def from_json(cls, data: object) -> MatchModel:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ModelError(f"not a {FORMAT} file")
        try:
            levels = [[(lv["label"], lv["m"], lv["u"]) for lv in c["levels"]] for c in data["comparisons"]]
            calibration = _calibration(data.get("calibration"))
            return cls(version=str(data["version"]), prior=float(data["prior"]), levels=levels,
                       trained_at=data.get("trained_at", ""), trained_on=data.get("trained_on", ""),
                       splink=data.get("splink") or {}, calibration=calibration)
        except (KeyError, TypeError) as exc:
            raise ModelError(f"model file lacks {exc}") from None

    @classmethod
    def load(cls, path: Path) -> MatchModel:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ModelError(f"cannot read model {path}: {exc}") from None
        return cls.from_json(data)


def _level(spec: dict[str, Any]) -> tuple[str, float | None, float | None]:
    m = _clamp(spec.get("m_probability"), _MIN_PROBABILITY)
    u = _clamp(spec.get("u_probability"), _MIN_U)
    if m is not None and u is None:
        # Seen among the matches EM found but in none of the random pairs (two documents one character apart):
        # as rare among non-matches as the rarest level sampling measures, not uninformative.
        u = _MIN_U
    return spec.get("label_for_charts", ""), m, u


def _calibration(data: object) -> Calibration | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ModelError("model file's calibration is not an object")
    try:
        return Calibration.from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"model file's calibration is invalid: {exc}") from None


def _clamp(p: float | None, floor: float) -> float | None:
    # EM drives a level it never saw among matches to m = 0, which would make one disagreeing field (a sex
    # recorded wrongly) veto any match; a floor keeps every field's evidence finite.
    return None if p is None else min(max(p, floor), 1.0)


def _bayes_weight(m: float | None, u: float | None) -> float:
    if m is None or u is None:
        return 0.0
    return math.log2(max(m, _FLOOR) / max(u, _FLOOR))


def probability(weight: float) -> float:
    """The match probability of a match weight (log2 of the odds)."""
    if weight > 60:
        return 1.0
    if weight < -60:
        return 0.0
    odds: float = 2.0 ** weight
    return odds / (1 + odds)


_default: MatchModel | None = None


def default_model() -> MatchModel:
    """The model shipped in the package (trained on synthetic data; see docs/dedup.md to retrain)."""
    global _default
    if _default is None:
        text = resources.files("crossroads.dedup.engine").joinpath("data", DEFAULT_MODEL).read_text(encoding="utf-8")
        _default = MatchModel.from_json(json.loads(text))
    return _default
