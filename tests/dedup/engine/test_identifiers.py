"""Document numbers (ICAO 9303 check digits, typos) and phone numbers (E.164) as comparison keys."""

from __future__ import annotations

import pytest

from crossroads.dedup.engine.identifiers import (
    check_digit,
    document_fixes,
    document_key,
    document_near,
    phone_key,
    phone_tail,
    valid_check_digit,
)


class TestCheckDigit:
    # ICAO Doc 9303 part 3's worked examples: the document number L898902C3 and the date 740812.
    @pytest.mark.parametrize(("chars", "digit"), [("L898902C3", 6), ("740812", 2), ("120415", 9), ("", 0),
                                                   ("L898902C<", 3)])
    def test_seven_three_one(self, chars, digit):
        assert check_digit(chars) == digit

    @pytest.mark.parametrize(("number", "valid"), [("L898902C36", True), ("L898902C37", False),
                                                   ("L898902C4", False), ("123", False), ("L898902C3X", False)])
    def test_validates_a_number_ending_in_its_check_digit(self, number, valid):
        assert valid_check_digit(number) is valid


class TestDocumentFixes:
    def test_a_typo_is_fixed_back_to_the_valid_number(self):
        assert "L898902C36" in document_fixes("L898902C86")
        assert "L898902C36" in document_fixes("L898902C30")

    def test_a_valid_or_short_number_has_no_fixes(self):
        assert document_fixes("L898902C36") == ()
        assert document_fixes("AB12") == ()

    def test_every_fix_validates_and_is_one_character_away(self):
        fixes = document_fixes("L898902C86")
        assert fixes and all(valid_check_digit(f) for f in fixes)
        assert all(sum(x != y for x, y in zip(f, "L898902C86", strict=True)) == 1 for f in fixes)


class TestDocumentKey:
    @pytest.mark.parametrize(("raw", "key"), [("p 123-456", "P123456"), ("AO 1234", "A01234"), ("a0.1234", "A01234")])
    def test_normalised(self, raw, key):
        assert document_key(raw) == key

    def test_near_variants_meet_for_one_character_apart(self):
        for other in ("A1234576", "A123457", "A12345678", "A1234587"):
            assert set(document_near("A1234567")) & set(document_near(other)), other
        assert not set(document_near("A1234567")) & set(document_near("A7654321"))
        assert document_near("A123") == ()


class TestPhones:
    @pytest.mark.parametrize(("raw", "nationality", "key"), [
        ("+249 912 345 678", None, "+249912345678"),
        ("0912 345 678", "SDN", "+249912345678"),
        ("00249912345678", "SDN", "+249912345678"),
        ("0912 345 678", None, "0912345678"),
        ("0912 345 678", "XXA", "0912345678"),
    ])
    def test_e164_with_the_nationality_as_default_region(self, raw, nationality, key):
        assert phone_key(raw, nationality) == key

    def test_tail_is_the_last_seven_digits(self):
        assert phone_tail("+249912345678") == "2345678"
        assert phone_tail("12345") == ""
