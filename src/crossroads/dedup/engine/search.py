"""Ranking the people a name search found, with the duplicate engine's name comparisons and model weights.

A query is a name with no fields: "Yusef Hadad", "Hadad", "Hadad Yusef". It is compared as a record whose
given and family names are its words split at every place (one word is tried as either), with each of a
candidate's names (their own, and each alias read as given name and the rest), and the best
pair gives the score: the match weight the active model gives the given- and family-name comparison levels.
So a search and the duplicate check agree on which spellings are one name, and by how much.

One change to the weights: no level below "transliteration" weighs more than it. The model gives a swap more
than an exact match (it sees a swap in both name comparisons at once and counts it twice, which measured
better for duplicates), but a searcher who typed the name as it is written expects that person first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

from crossroads.dedup.engine.comparisons import COMPARISONS
from crossroads.dedup.engine.keys import PersonFeatures, PersonRecord, features
from crossroads.dedup.engine.model import MatchModel
from crossroads.kit.names import name_tokens, persian_reading, query_readings

__all__ = ["candidate_forms", "name_score", "query_forms"]

_NAME_COMPARISONS = tuple(i for i, c in enumerate(COMPARISONS) if c.field in ("given_name", "family_name"))
# A person's aliases beyond these add little to the ranking and cost a comparison each.
_MAX_ALIASES = 3
_MAX_FORMS = 8


def _record(given: str, family: str, nationality: str | None = None) -> PersonFeatures:
    return features(PersonRecord(id="", given_name=given or None, family_name=family or None,
                                 nationality=nationality))


@lru_cache(maxsize=1024)
def query_forms(query: str) -> tuple[PersonFeatures, ...]:
    """The query as records: its words split into given and family names at every place.

    Each reading of the query (kit/names.py query_readings: Somali orthography, a glued article, Persian
    letters) gives its own records, as it gives its own keys.
    """
    forms: list[PersonFeatures] = []
    for tokens in query_readings(query):
        if len(tokens) == 1:
            forms += [_record(tokens[0], ""), _record("", tokens[0])]
            continue
        for k in range(1, len(tokens)):
            # Family name first is how many offices write a name: the comparisons' swap levels see it.
            forms.append(_record(" ".join(tokens[:k]), " ".join(tokens[k:])))
    # Each form costs a comparison with every name of every candidate: a long query read several ways keeps
    # its plain reading's forms first and stops there.
    return tuple(dict.fromkeys(forms))[:_MAX_FORMS]


def candidate_forms(given_name: str, family_name: str, aliases: Iterable[str],
                    nationality: str | None) -> tuple[PersonFeatures, ...]:
    """A person's names as records: their own, and each alias as a given name and the rest."""
    names = list(aliases)[:_MAX_ALIASES]
    persian = persian_reading((given_name, family_name, *names), nationality)
    forms = [features(PersonRecord(id="", given_name=given_name, family_name=family_name, nationality=nationality))]
    for alias in names:
        tokens = name_tokens(alias, persian)
        if tokens:
            forms.append(_record(tokens[0], " ".join(tokens[1:]), nationality))
    return tuple(forms)


_capped: dict[str, list[list[float]]] = {}


def _search_weights(model: MatchModel) -> list[list[float]]:
    weights = _capped.get(model.version)
    if weights is None:
        weights = []
        for comparison, per_gamma in zip(COMPARISONS, model.level_weights, strict=True):
            labels = [level.label for level in reversed(comparison.levels)]  # by gamma: 0 is "else"
            if "transliteration" not in labels:
                weights.append(list(per_gamma))
                continue
            strong = labels.index("transliteration")
            weights.append([w if g >= strong else min(w, per_gamma[strong]) for g, w in enumerate(per_gamma)])
        _capped[model.version] = weights
    return weights


def name_score(model: MatchModel, query: Sequence[PersonFeatures], candidate: Sequence[PersonFeatures]) -> float:
    """The best name match weight between any form of the query and any name of the candidate."""
    best = float("-inf")
    weights = _search_weights(model)
    skeletons = {s for q in query for s in q.name_skels}
    for n, c in enumerate(candidate):
        # An alias sharing no word's skeleton with the query reaches no level above "else": skip its comparisons.
        if n and skeletons.isdisjoint(c.name_skels):
            continue
        for q in query:
            total = 0.0
            for i in _NAME_COMPARISONS:
                gamma = COMPARISONS[i].gamma(q, c)
                if gamma >= 0:
                    total += weights[i][gamma]
            best = max(best, total)
    return best
