"""Document numbers and phone numbers as comparison keys: normalised, and with the variants a typo leaves.

Document numbers are compared upper-case, without spaces, dashes or other marks, the letter O read as the
digit 0 (the two are confused on every form typed from a passport). A number that ends in a digit may carry
an ICAO 9303 check digit; when it does not validate, the one-character corrections that make it validate are
its *fixes*: a number among another record's numbers and the other's fixes says "this is that number with a
typo, and the check digit shows where". Every number of six characters or more also has its *near* variants
(itself and each one-character deletion): two numbers sharing one are one character apart — typed wrong,
added, dropped, or two neighbours swapped.

Phone numbers are read as E.164 with the phonenumbers library; one written without a country code is read
in the country of the person's nationality. The last seven digits, the subscriber's number in most numbering
plans, are kept too: the same number written with another operator or country prefix still shares them.
"""

from __future__ import annotations

import string
from functools import lru_cache

import phonenumbers

from crossroads.kit.codes import alpha2_of
from crossroads.kit.text import normalise_document_number

__all__ = ["check_digit", "document_fixes", "document_key", "document_near", "phone_key", "phone_tail",
           "valid_check_digit"]

# ICAO Doc 9303 part 3, section 4.9: each character's value (digits as themselves, A-Z as 10-35, the filler
# "<" as 0) times the weights 7, 3, 1 repeated; the check digit is the sum modulo 10.
_VALUES = {c: i for i, c in enumerate(string.digits + string.ascii_uppercase)} | {"<": 0}
_WEIGHTS = (7, 3, 1)
# Without O: keys read it as 0, so a fix through O would be a fix to a number no key holds.
_ALPHABET = string.digits + string.ascii_uppercase.replace("O", "")
# Document numbers of an MRZ are nine characters and the check digit; shorter ones collide by chance.
_CHECKED_LENGTHS = range(7, 11)
_NEAR_MIN = 6
_TAIL = 7


def check_digit(chars: str) -> int:
    """The ICAO 9303 (7-3-1) check digit of a string of digits, capital letters and "<"."""
    return sum(_VALUES[c] * _WEIGHTS[i % 3] for i, c in enumerate(chars)) % 10


def valid_check_digit(number: str) -> bool:
    """Whether a normalised number ends in the ICAO 9303 check digit of the characters before it."""
    return (len(number) in _CHECKED_LENGTHS and number[-1].isdigit()
            and all(c in _VALUES for c in number) and check_digit(number[:-1]) == int(number[-1]))


def document_key(number: str) -> str:
    """A document number as compared: upper-case letters and digits only, O read as 0."""
    return normalise_document_number(number).replace("O", "0")


@lru_cache(maxsize=16384)
def document_fixes(number: str) -> tuple[str, ...]:
    """Keys of the numbers one character away whose check digit validates, when this one's does not."""
    raw = normalise_document_number(number).replace("O", "0")
    if len(raw) not in _CHECKED_LENGTHS or not raw[-1].isdigit() or valid_check_digit(raw):
        return ()
    fixes: set[str] = set()
    for i, current in enumerate(raw):
        for c in string.digits if i == len(raw) - 1 else _ALPHABET:
            if c != current:
                candidate = raw[:i] + c + raw[i + 1:]
                if valid_check_digit(candidate):
                    fixes.add(candidate)
    return tuple(sorted(fixes))


def document_near(key: str) -> tuple[str, ...]:
    """The key and its one-character deletions: two keys one character apart share one of these."""
    if len(key) < _NEAR_MIN:
        return ()
    return tuple(sorted({key} | {key[:i] + key[i + 1:] for i in range(len(key))}))


@lru_cache(maxsize=16384)
def phone_key(number: str, nationality: str | None) -> str:
    """E.164 of a phone number ('+' and digits), read in the nationality's country when it has no '+'.

    A number that cannot be read as a phone number keeps its digits alone, so the same writing still agrees.
    """
    region = alpha2_of(nationality.upper()) if nationality else None
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return "".join(c for c in number if c.isdigit())
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_tail(key: str) -> str:
    """The last seven digits of a phone key, or '' when it has fewer."""
    digits = "".join(c for c in key if c.isdigit())
    return digits[-_TAIL:] if len(digits) >= _TAIL else ""
