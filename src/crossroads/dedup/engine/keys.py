"""Matching keys of a person: romanised names, transliteration-aware skeletons, dates, blocking keys.

Romanising and skeletons live in kit/names.py, shared with the registry's search; they are re-exported here.

Pure code: plain data in, plain data out. The same keys feed the online check (``blocking_keys`` rows in an
indexed table, ``features`` for scoring) and the batch engine (columns Splink compares in SQL), so a pair
gets the same treatment in both.

Glossary:
- *romanised*: the name in lower-case ASCII (anyascii for any script), particles such as "al-" removed;
- *skeleton*: the romanised name reduced to consonant classes that survive transliteration — vowels,
  semivowels (y, w, v), doubled letters and final "h" dropped, k/q/g/c merged, kh/gh/sh/th/dh/ph
  collapsed. "Mohammed", "Muhammad" and "محمد" all give "mhmd";
- *blocking key*: a short hashed string; two records that share one are compared.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from jellyfish import metaphone

from crossroads.dedup.engine.dates import DateReading, read_date
from crossroads.dedup.engine.identifiers import (
    document_fixes,
    document_key,
    document_near,
    phone_key,
    phone_tail,
)
from crossroads.kit.names import name_tokens, persian_reading, romanise, skeleton, skeleton_variants
from crossroads.kit.text import normalise_document_number

__all__ = [
    "BROAD_KINDS", "DateReading", "PersonRecord", "PersonFeatures", "blocking_keys", "date_parts", "features",
    "name_tokens", "parse_date", "phonetic", "read_date", "romanise", "skeleton", "skeleton_variants", "year_buckets",
]


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """The fields of a person that duplicate detection looks at."""

    id: str
    given_name: str | None = None
    family_name: str | None = None
    aliases: tuple[str, ...] = ()
    date_of_birth: str | None = None  # 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'; otherwise as written (dates.read_date)
    dob_estimated: bool = False
    sex: str | None = None
    nationality: str | None = None  # ISO 3166 alpha-3
    place: str | None = None
    documents: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    document_types: tuple[str, ...] = ()  # the type of each of documents, in order ('' or none when unknown)


_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")

@lru_cache(maxsize=65536)
def phonetic(token: str) -> str:
    """Metaphone code of a romanised word (jellyfish), the classic phonetic key beside our skeleton."""
    return metaphone(token) if token else ""


def parse_date(value: str | None) -> tuple[int | None, int | None, int | None]:
    """(year, month, day) of 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'; raises ValueError on anything else.

    The message does not quote the value: it is a person's date of birth, and the caller names the row.
    """
    if value is None or value == "":
        return None, None, None
    match = _DATE.match(value)
    if not match:
        raise ValueError("expected YYYY-MM-DD, YYYY-MM or YYYY")
    year, month, day = (int(g) if g else None for g in match.groups())
    if month is not None and not 1 <= month <= 12:
        raise ValueError("the month is not between 01 and 12")
    if day is not None and not 1 <= day <= 31:
        raise ValueError("the day is not between 01 and 31")
    return year, month, day


def date_parts(value: str | None) -> tuple[int | None, int | None, int | None]:
    """The parts of a date that can be read as a date; an unreadable date counts as unknown rather than failing."""
    reading = read_date(value)
    if not reading.complete:
        return None, None, None
    return reading.year, reading.month, reading.day


def year_buckets(year: int) -> tuple[int, int]:
    """Two overlapping 4-year windows: years at most 2 apart (an estimated age) share one of them."""
    return year // 4, (year + 2) // 4 + 10_000


@dataclass(frozen=True, slots=True)
class PersonFeatures:
    """Precomputed comparison columns of one record; the SQL and Python comparisons read only these."""

    id: str
    given: str  # romanised tokens joined by spaces
    family: str
    given_skel: str  # skeletons of the tokens joined by spaces
    family_skel: str
    given_phon: str
    family_phon: str
    name_skels: tuple[str, ...]  # sorted distinct skeletons of every name token, aliases included
    dob: str  # YYYY-MM-DD, YYYY-MM or YYYY; '' when unknown or when a part written could not be read
    dob_year: int | None  # each part read on its own, even from a date that is not one (dates.read_date)
    dob_month: int | None
    dob_day: int | None
    dob_estimated: bool
    sex: str
    nationality: str
    place: str
    place_words: tuple[str, ...]  # sorted distinct words of the place
    documents: tuple[str, ...]  # identifiers.document_key of each number
    phones: tuple[str, ...]  # E.164
    dob_text: str = ""  # the date's digits as read, year first ('' when none): compared when the parts cannot be
    document_ids: tuple[str, ...] = ()  # "type|number"
    document_fixes: tuple[str, ...] = ()  # identifiers.document_fixes of each number
    document_near: tuple[str, ...] = ()  # identifiers.document_near of each number
    phone_tails: tuple[str, ...] = ()  # last seven digits of each phone


def _joined(tokens: tuple[str, ...], fn: Callable[[str], str]) -> str:
    return " ".join(fn(t) for t in tokens)


def _phone(number: str) -> str:
    digits = re.sub(r"\D", "", number)
    # The last nine digits survive the usual writing differences: +249…, 00249…, 0….
    return digits[-9:]


def _persian(rec: PersonRecord) -> bool:
    return persian_reading((rec.given_name, rec.family_name, *rec.aliases), rec.nationality)


def _tokens(rec: PersonRecord) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    persian = _persian(rec)
    return name_tokens(rec.given_name, persian), name_tokens(rec.family_name, persian), persian


# Records are plain values, so equal records have equal features: a person found as a candidate by one check
# after another (a common name) is not worked out again, nor a new record when its keys are computed too.
@lru_cache(maxsize=8192)
def features(rec: PersonRecord) -> PersonFeatures:
    """The comparison columns of a record."""
    given, family, persian = _tokens(rec)
    skels: set[str] = set()
    for token in given + family:
        skels.update(skeleton_variants(token))
    place = romanise(rec.place).split()
    for alias in rec.aliases:
        skels.update(skeleton(t) for t in name_tokens(alias, persian))
    reading = read_date(rec.date_of_birth)
    year, month, day, dob, dob_text = reading.year, reading.month, reading.day, reading.iso, reading.text
    if rec.dob_estimated:
        # An estimated date ("about 30" recorded as 1 January) says nothing about the month and day.
        month = day = None
        dob, dob_text = dob[:4], dob_text[:4] if year is not None else dob_text
    types = tuple(rec.document_types) + ("",) * (len(rec.documents) - len(rec.document_types))
    documents = {(t.strip().lower(), k) for t, k in zip(types, (document_key(d) for d in rec.documents), strict=False)
                 if len(k) >= 4}
    phones = {phone_key(p, rec.nationality) for p in rec.phones if p.strip()}
    phones = {p for p in phones if sum(c.isdigit() for c in p) >= 6}
    return PersonFeatures(
        id=rec.id,
        given=" ".join(given),
        family=" ".join(family),
        given_skel=_joined(given, skeleton),
        family_skel=_joined(family, skeleton),
        given_phon=_joined(given, phonetic),
        family_phon=_joined(family, phonetic),
        name_skels=tuple(sorted(skels)),
        dob=dob,
        dob_year=year,
        dob_month=month,
        dob_day=day,
        dob_estimated=rec.dob_estimated,
        sex=(rec.sex or "").strip().lower()[:1],
        nationality=(rec.nationality or "").strip().upper(),
        place=" ".join(place),
        place_words=tuple(sorted(set(place))),
        documents=tuple(sorted({k for _, k in documents})),
        phones=tuple(sorted(phones)),
        dob_text=dob_text,
        document_ids=tuple(sorted(f"{t}|{k}" for t, k in documents)),
        document_fixes=tuple(sorted({f for d in rec.documents for f in document_fixes(d)})),
        document_near=tuple(sorted({n for _, k in documents for n in document_near(k)})),
        phone_tails=tuple(sorted({t for t in (phone_tail(p) for p in phones) if t})),
    )


# Kinds a common name or date makes too broad to join on unlimited (see blocking_keys).
BROAD_KINDS = ("N", "S", "I", "T", "X")


def _hash(kind: str, value: str) -> str:
    # Hashed so the index table holds no readable names; 60 bits keep collisions negligible at 10^7 rows.
    return kind + ":" + hashlib.blake2b(value.encode(), digest_size=8).hexdigest()[:15]


def _name_sets(rec: PersonRecord) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """(given, family) skeleton variants of the words that identify a name, for its own name and aliases."""
    out = []
    given, family, persian = _tokens(rec)
    # A compound given name ("Juan Carlos") or family name ("Ramos Rivera", "Hasan Rashid") may lose its
    # last part in another office: both the first and the last word take part.
    givens = dict.fromkeys(given[:1] + given[-1:] + (("".join(given),) if len(given) > 1 else ()))
    families = dict.fromkeys(f for f in (family[:1] + family[-1:]))
    if not families and len(given) > 1:
        givens, families = dict.fromkeys(given[:1]), dict.fromkeys(given[-1:])
    if not givens and len(family) > 1:
        givens, families = dict.fromkeys(family[:1]), dict.fromkeys(family[-1:])
    for g in givens or [None]:
        for f in families or [None]:
            out.append((skeleton_variants(g) if g else (), skeleton_variants(f) if f else ()))
    for alias in rec.aliases:
        tokens = name_tokens(alias, persian)
        if len(tokens) >= 2:
            out.append(((skeleton(tokens[0]),), (skeleton(tokens[1]),)))
        elif tokens:
            out.append(((skeleton(tokens[0]),), ()))
    return out


def blocking_keys(rec: PersonRecord, feats: PersonFeatures | None = None) -> set[str]:
    """Hashed keys to index one per row: a duplicate shares at least one with its original.

    - ``n``: both name skeletons (order-free, so swapped names agree) with a 4-year window of the birth year;
    - ``x``: one name skeleton, the first consonant of the other and the year window — survives a typo in
      the other name;
    - ``m``: one name skeleton (given or family: swapped names agree) with the birth month and day (order-free,
      so day/month swaps agree);
    - ``b``: the full birth date (day and month order-free) with one word of the place;
    - ``l``: one name skeleton, the first consonant of the other and one word of the place — survives a
      wrong date and a typo in the other name;
    Broad kinds, in capitals: a common name matches hundreds in a million, so look them up with a row limit
    (the batch skips a broad key shared by too many records):

    - ``N``: both name skeletons alone — the only way to reach a record without a birth year;
    - ``S``: one name skeleton with one word of the place — a family registered again with other given
      names or dates;
    - ``I``: the full birth date (day and month order-free) with the first consonant of one name — typos in
      both names; broad because a date written as 1 January without being flagged as estimated is common;
    - ``T``: the first consonants of both names (order-free) with one word of the place — typos in both
      names and a wrong date;
    - ``X``: like ``x`` with the other name's last consonant — a typo that took the first one ("Asante",
      "Aante"); broad because a last consonant is one of a few (n, d, m, r) far more often than a first;
    - ``d`` and ``p``: a document number or a phone number, exact after normalisation.

    feats, when the caller already has features(rec), saves computing them again.
    """
    if feats is None:
        return set(_record_keys(rec))
    return _keys(rec, feats)


# A registration asks for the new person's keys twice (to index them, then to look up their duplicates); the
# record is a plain value, so the second time is a lookup.
@lru_cache(maxsize=256)
def _record_keys(rec: PersonRecord) -> frozenset[str]:
    return frozenset(_keys(rec, features(rec)))


def _keys(rec: PersonRecord, feats: PersonFeatures) -> set[str]:
    keys: set[str] = set()
    year, month, day = feats.dob_year, feats.dob_month, feats.dob_day
    buckets = year_buckets(year) if year is not None else ()
    md = "|".join(str(x) for x in sorted((month, day))) if month and day else None
    # Words of four letters or more: a town or a postcode, not a state code ("nsw") that half the file shares.
    places = [w for w in feats.place_words if len(w) >= 4]
    for given_vars, family_vars in _name_sets(rec):
        pairs = ["|".join(sorted((g, f))) for g in given_vars for f in family_vars] or list(given_vars + family_vars)
        for pair in pairs:
            for bucket in buckets:
                keys.add(_hash("n", f"{pair}|{bucket}"))
            # Carried by dated records too, so that an undated one finds them.
            keys.add(_hash("N", pair))
        for bucket in buckets:
            for g in given_vars:
                for f in family_vars:
                    keys.add(_hash("x", f"{g}|{f[0]}|{bucket}"))
                    keys.add(_hash("x", f"{f}|{g[0]}|{bucket}"))
                    keys.add(_hash("X", f"{g}|{f[-1]}|{bucket}"))
                    keys.add(_hash("X", f"{f}|{g[-1]}|{bucket}"))
        for word in places:
            for g in given_vars:
                for f in family_vars:
                    keys.add(_hash("l", f"{g}|{f[0]}|{word}"))
                    keys.add(_hash("l", f"{f}|{g[0]}|{word}"))
        for g in given_vars:
            for f in family_vars:
                initials = "|".join(sorted((g[0], f[0])))
                for word in places:
                    keys.add(_hash("T", f"{initials}|{word}"))
        for name in given_vars + family_vars:
            if md:
                keys.add(_hash("m", f"{name}|{md}"))
                keys.add(_hash("I", f"{year}|{md}|{name[0]}"))
            for word in places:
                keys.add(_hash("S", f"{name}|{word}"))
    if md:
        for word in places:
            keys.add(_hash("b", f"{year}|{md}|{word}"))
    # The document and phone keys keep the normalisation they were stored with: comparing O as 0 and phones as
    # E.164 is the comparisons' business, and changing these keys would need every registry reindexed.
    for number in {n for n in (normalise_document_number(d) for d in rec.documents) if len(n) >= 4}:
        keys.add(_hash("d", number))
    for phone in {p for p in (_phone(x) for x in rec.phones) if len(p) >= 6}:
        keys.add(_hash("p", phone))
    return keys
