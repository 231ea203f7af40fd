"""Strings the duplicate pages translate from variables, listed so extraction finds them.

The engine's comparison level labels (crossroads.dedup.engine.comparisons) are shown as reasons; a label added
there and not here is shown in English until it is listed and translated.
"""

from __future__ import annotations

from crossroads.kit.i18n import N_

DYNAMIC = (
    # Candidate status (CandidateStatus; "open" is a case state too)
    N_("confirmed"),
    N_("rejected"),
    # Comparison levels of the engine
    N_("exact"),
    N_("transliteration"),
    N_("phonetic"),
    N_("fuzzy 0.92"),
    N_("swapped with family"),
    N_("transliteration fuzzy 0.85"),
    N_("fuzzy 0.80"),
    N_("shares a word"),
    N_("else"),
    N_("swapped with given"),
    N_("swapped, one fuzzy"),
    N_("day and month swapped"),
    N_("one digit differs"),
    N_("agrees as far as known"),
    N_("same year"),
    N_("within 2 years"),
    N_("fuzzy 0.90"),
    N_("two words shared"),
    N_("a word shared"),
    N_("one shared"),
    N_("first word transliteration"),
    N_("within 2 years, a date known by its year only"),
    N_("same year, both known by the year only"),
    N_("within 2 years, both known by the year only"),
    N_("missing"),
    N_("same digits as text"),
    N_("same year and month, day unreadable"),
    N_("two neighbouring digits swapped"),
    N_("check digit shows a typo"),
    N_("one character apart"),
    N_("same number, another type"),
    N_("last 7 digits"),
    # Field of a reason not labelled elsewhere
    N_("Place"),
    # Errors of the review queue and merges
    N_("a person cannot be merged into themselves"),
    N_("this person is already merged into another record"),
    N_("the two people belong to different households; move one of them first"),
    N_("this candidate pair is not the two people being merged"),
    N_("this pair was rejected as different people"),
    N_("no such merge"),
    N_("this merge was already undone"),
    N_("the survivor was merged again since; undo that merge first"),
    N_("no such candidate pair"),
    N_("this pair was already decided"),
    N_("a possible match exists in another office — ask your supervisor"),
    # Refusals of learning from reviewers (dedup/learning.py), shown on the engine's pages
    N_("no decided pairs to learn from yet: decide pairs in the review queue first"),
    N_("this version is already active"),
    N_("the active version replaced no earlier version: there is nothing to roll back to"),
    N_("the version the active one replaced is no longer recorded"),
    N_("this model version does not fit this version's comparisons"),
)
