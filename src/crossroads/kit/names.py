"""Names in any script reduced to what survives transliteration, and the search keys built from them.

Pure code shared by the registry's search (people, cases) and the duplicate engine (dedup/engine/keys.py),
so that a name the duplicate check matches is a name the search finds.

- *romanised*: the name in lower-case ASCII (anyascii for any script), particles such as "al-" removed;
- *skeleton*: the romanised word reduced to consonant classes that survive transliteration — vowels,
  semivowels (y, w, v), doubled letters and final "h" dropped, k/q/g/c merged, kh/gh/sh/th/dh/ph
  collapsed. "Mohammed", "Muhammad" and "محمد" all give "mhmd";
- *search key*: a short hashed string of skeletons, stored one row per key (people/models.py
  PersonSearchKey) and looked up through its index.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii

__all__ = [
    "QueryKeys", "name_search_keys", "name_tokens", "persian_reading", "query_readings", "query_search_keys",
    "romanise", "skeleton", "skeleton_variants",
]

# Particles that one office writes and another drops; removing them on both sides lets them agree.
_PARTICLES = frozenset({
    "al", "el", "ul", "ol", "bin", "ben", "ibn", "bint", "binti", "de", "del", "della", "di", "da", "do", "dos",
    "das", "du", "la", "le", "van", "von", "der", "den", "y",
})
# Arabic theophoric prefixes written joined or apart: "Abdul Rahman", "Abdulrahman", "Abd al-Rahman".
_JOIN_WITH_NEXT = frozenset({"abd", "abdul", "abdel", "abdal", "abdoul", "abdou", "abdu", "abu", "abou", "bd"})
_ARABIC_ABD_SPACE = re.compile("عبد\\s+")
# The Arabic definite article at the start of a word; its Latin forms (al-, el-) are particles above.
_ARABIC_ARTICLE = re.compile(r"(?<![\w\u0600-\u06FF])ال")
# Arabic-script letters to Latin, chosen to land in the same skeleton classes as the usual Latin spellings.
# anyascii gives Arabic values only (ظ as "dh" where Persian names write "z") and its digraphs collide with
# letter sequences (ط + ه gives "th"), so these scripts are romanised here; anyascii does every other script.
_ARABIC_LETTERS = {
    "ا": "a", "أ": "a", "إ": "i", "آ": "a", "ٱ": "a", "ء": "", "ؤ": "u", "ئ": "i", "ع": "", "ب": "b", "پ": "p",
    "ت": "t", "ط": "t", "ج": "j", "چ": "ch", "ح": "h", "ه": "h", "ۀ": "h", "خ": "kh", "د": "d", "ر": "r",
    "ز": "z", "ژ": "zh", "س": "s", "ص": "s", "ش": "sh", "غ": "gh", "ف": "f", "ق": "q", "ک": "k", "ك": "k",
    "گ": "g", "ل": "l", "م": "m", "ن": "n", "و": "u", "ی": "i", "ي": "i", "ى": "a", "ة": "a", "ظ": "z",
}
# Letters read one way in Arabic names and another in Persian and Dari ones: Ramadan / Ramazan.
_ARABIC_ONLY = {"ث": "th", "ذ": "dh", "ض": "d"}
_PERSIAN_ONLY = {"ث": "s", "ذ": "z", "ض": "z"}
_PERSIAN_MARKS = frozenset("پچژگکی")
_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF]")
_APOSTROPHES = re.compile(r"['`ʻʼʿʾ’‘]")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")

# Order matters: digraphs first. Values are consonant classes; "" drops the letters.
_DIGRAPHS = (
    ("dj", "j"), ("zh", "j"), ("kh", "k"), ("gh", "k"), ("ch", "s"), ("sh", "s"), ("th", "t"), ("dh", "d"),
    ("ph", "f"), ("ck", "k"),
)
_SINGLE = str.maketrans({
    "a": "", "e": "", "i": "", "o": "", "u": "", "y": "", "w": "", "v": "", "j": "",
    "q": "k", "g": "k", "c": "k", "z": "s", "x": "ks",
})
# Somali orthography writes the ayn as "c" and the pharyngeal h as "x": Cali = Ali, Xasan = Hassan.
_SOMALI = str.maketrans({"c": "", "x": "h"})
_DOUBLE = re.compile(r"(.)\1+")


def _romanise_arabic(text: str, persian: bool) -> str:
    extra = _PERSIAN_ONLY if persian or _PERSIAN_MARKS.intersection(text) else _ARABIC_ONLY
    out: list[str] = []
    for ch in text:
        latin = _ARABIC_LETTERS.get(ch, extra.get(ch, ch))
        # Keep two letters from reading as one digraph: ت + ه is "t-h", not "th".
        if latin.startswith("h") and out and out[-1][-1:] in ("t", "d", "k", "g", "s", "z", "c", "p"):
            out.append("a")
        out.append(latin)
    return "".join(out)


def romanise(text: str | None, persian: bool = False) -> str:
    """Lower-case ASCII form of a name in any script, words separated by single spaces.

    persian reads the letters Arabic and Persian pronounce differently (ض: Ramadan, Ramazan) the Persian
    way even in a name without a letter only Persian has; features() sets it from the other names and the
    nationality.
    """
    if not text:
        return ""
    if text.isascii():
        # Most names: normalising, Arabic script and anyascii leave ASCII as it is, so only these steps remain.
        return _NON_ALNUM.sub(" ", _APOSTROPHES.sub("", text).casefold()).strip()
    text = _ARABIC_ARTICLE.sub("", _ARABIC_ABD_SPACE.sub("عبد", unicodedata.normalize("NFC", text)))
    if _ARABIC_SCRIPT.search(text):
        text = _romanise_arabic(text, persian)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    ascii_text = _APOSTROPHES.sub("", anyascii(_APOSTROPHES.sub("", stripped))).casefold()
    return _NON_ALNUM.sub(" ", ascii_text).strip()


@lru_cache(maxsize=65536)
def name_tokens(text: str | None, persian: bool = False) -> tuple[str, ...]:
    """Romanised words of a name without particles, with "abdul"-style prefixes joined to the next word."""
    words = [w for w in romanise(text, persian).split() if w not in _PARTICLES]
    tokens: list[str] = []
    pending = ""
    for word in words:
        if word in _JOIN_WITH_NEXT:
            pending += word
            continue
        word = pending + word
        pending = ""
        # "Alhassan", "Alahmad" = "Al-Hassan", "Al-Ahmad": a glued article goes too, on long words only, and
        # not before a vowel other than a ("Alioune", "Alexis" stay).
        if word[:2] in ("al", "el") and ((len(word) >= 6 and word[2] not in "aeiouy")
                                         or (len(word) >= 7 and word[2] == "a")):
            word = word[2:]
        tokens.append(word)
    if pending:
        tokens.append(pending)
    return tuple(tokens)


def _skeleton(token: str, table: dict[int, str]) -> str:
    out = token
    for digraph, value in _DIGRAPHS:
        out = out.replace(digraph, value)
    out = _DOUBLE.sub(r"\1", out.translate(table).translate(_SINGLE))
    out = out.rstrip("h") or out
    # A name of vowels only ("Awa", "Aya") keeps its romanised form, prefixed so it cannot equal a skeleton.
    return out or "_" + token


@lru_cache(maxsize=65536)
def skeleton(token: str) -> str:
    """Transliteration-tolerant consonant skeleton of one romanised word."""
    return _skeleton(token, {})


@lru_cache(maxsize=65536)
def skeleton_variants(token: str) -> tuple[str, ...]:
    """The skeleton, and for words that may be Somali orthography (c, x) also their other reading."""
    plain = _skeleton(token, {})
    if "x" in token or re.search(r"c(?!h)", token):
        somali = _skeleton(token, _SOMALI)
        if somali != plain:
            return plain, somali
    return (plain,)


_PERSIAN_NATIONALITIES = frozenset({"AFG", "IRN", "TJK"})


def persian_reading(names: Iterable[str | None], nationality: str | None) -> bool:
    """Whether a person's names are read the Persian way (ض as z): their nationality or a Persian letter."""
    if (nationality or "").upper() in _PERSIAN_NATIONALITIES:
        return True
    return any(_PERSIAN_MARKS.intersection(n or "") for n in names)


def _hash(kind: str, value: str) -> str:
    # Hashed, as the duplicate engine's blocking keys are, so the index table holds no readable names.
    return kind + ":" + hashlib.blake2b(value.encode(), digest_size=8).hexdigest()[:15]


# Words of one name that take part in its pair keys: a five-part name already gives ten pairs.
_PAIR_WORDS = 5


def _deletions(skel: str) -> set[str]:
    """The skeleton and each form of it with one consonant left out (skeletons of two or more)."""
    out = {skel}
    if len(skel) >= 2 and not skel.startswith("_"):
        out.update(skel[:i] + skel[i + 1:] for i in range(len(skel)))
    return out


def _name_keys(tokens: tuple[str, ...], keys: set[str], *, typos: bool = False) -> None:
    skels = [skeleton_variants(t) for t in tokens[:_PAIR_WORDS]]
    for variants in skels:
        for s in variants:
            keys.add(_hash("w", s))
    for i, a_vars in enumerate(skels):
        for j, b_vars in enumerate(skels):
            if i == j:
                continue
            for a in a_vars:
                for b in b_vars:
                    if i < j:
                        keys.add(_hash("p", "|".join(sorted((a, b)))))
                        if typos:
                            for other in _deletions(b):
                                keys.add(_hash("d", "|".join(sorted((a, other)))))
                            for other in _deletions(a):
                                keys.add(_hash("d", "|".join(sorted((other, b)))))
                    keys.add(_hash("x", f"{a}|{b[0]}"))


def name_search_keys(names: Iterable[str | None], *, persian: bool = False) -> set[str]:
    """The search keys of a person known by these names (each a whole name: given and family, or an alias).

    - ``w``: the skeleton of one word, so that one part of a name finds it;
    - ``p``: the skeletons of two words of the same name, order-free, so that swapped and partial names
      find it, and a common given name with a family name is one narrow lookup instead of two broad ones;
    - ``x``: one word's skeleton and the first consonant of another word of the name, so that a typo in
      the other word still finds it;
    - ``d``: for the first name only (given and family), two words' skeletons, one of them also with each
      consonant left out in turn: a query's skeleton one letter off (a typo, a letter added, dropped or
      changed) shares one with it, as in SymSpell's symmetric deletions.
    """
    keys: set[str] = set()
    for n, name in enumerate(names):
        tokens = name_tokens(name, persian)
        if tokens:
            _name_keys(tokens, keys, typos=n == 0)
    return keys


@dataclass(frozen=True, slots=True)
class QueryKeys:
    """What a query looks up: per query word, the keys of its skeletons; and the pair and typo keys."""

    words: tuple[tuple[str, ...], ...]
    pairs: tuple[str, ...]
    near: tuple[str, ...]
    typos: tuple[str, ...]
    # Skeletons of one or two consonants ("Ali": l) agree with too many names to filter a list on them alone.
    short: tuple[bool, ...]


_SOMALI_LETTERS = str.maketrans({"c": "", "x": "h"})
_SOMALI_C = re.compile(r"c(?!h)")
# Readings of one query's words put together at most: each is compared and looked up.
_MAX_READINGS = 4


def _word_readings(token: str) -> tuple[str, ...]:
    out = [token]
    if "x" in token or _SOMALI_C.search(token):
        # Somali orthography read as other offices write it: Cilmi = Elmi, Maxamed = Mahamed.
        out.append(token.translate(_SOMALI_LETTERS))
    if token[:2] in ("al", "el") and len(token) >= 5 and token[2] in "eiou":
        # An article glued on before a vowel, which name_tokens keeps ("Alioune"): "Alobaidi" is "Al-Obaidi".
        # The other way round (the registry glued, the query not) is not read: it would double every query
        # with a word starting with a vowel.
        out.append(token[2:])
    return tuple(dict.fromkeys(r for r in out if r))


def query_readings(query: str) -> tuple[tuple[str, ...], ...]:
    """The query's words, and the other ways the registry may have them written, as whole word lists.

    A query in Arabic script is read both the Arabic and the Persian way; a Latin word written in Somali
    orthography or with a glued article is also read the other way. The first list is the plain reading.
    """
    readings: list[tuple[str, ...]] = []
    for persian in ([False, True] if _ARABIC_SCRIPT.search(query) else [False]):
        tokens = name_tokens(query, persian)
        combos: list[tuple[str, ...]] = [()]
        for token in tokens:
            combos = [c + (r,) for c in combos for r in _word_readings(token)][:_MAX_READINGS]
        readings += [c for c in combos if c]
    return tuple(dict.fromkeys(readings))


def query_search_keys(query: str) -> QueryKeys:
    """The keys a query looks up, for every reading of it (query_readings)."""
    words: list[set[str]] = []
    short: list[bool] = []
    pairs: set[str] = set()
    near: set[str] = set()
    typos: set[str] = set()
    for tokens in query_readings(query):
        for i, token in enumerate(tokens):
            variants = skeleton_variants(token)
            if i == len(words):
                words.append(set())
                short.append(True)
            words[i].update(_hash("w", s) for s in variants)
            short[i] = short[i] and all(len(s) < 2 or s.startswith("_") for s in variants)
        found: set[str] = set()
        _name_keys(tokens, found, typos=True)
        pairs.update(k for k in found if k.startswith("p:"))
        near.update(k for k in found if k.startswith("x:"))
        typos.update(k for k in found if k.startswith("d:"))
    return QueryKeys(words=tuple(tuple(sorted(w)) for w in words), pairs=tuple(sorted(pairs)),
                     near=tuple(sorted(near)), typos=tuple(sorted(typos)), short=tuple(short))
