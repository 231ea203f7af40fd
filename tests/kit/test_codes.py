"""Country and language codes, checked against ISO 3166-1 and ISO 639 and the ICAO travel-document codes."""

from __future__ import annotations

import pytest

from crossroads.kit.codes import ICAO_SPECIAL, check_country, check_language, country_codes, country_names


class TestCheckCountry:
    @pytest.mark.parametrize(("code", "checked"), [("SYR", "SYR"), (" syr ", "SYR"), ("eri", "ERI"), ("XXA", "XXA")])
    def test_alpha_3_and_icao_codes_are_accepted_in_upper_case(self, code, checked):
        assert check_country(code) == checked

    @pytest.mark.parametrize("code", ["SY", "ZZZ", "", "Syria"])
    def test_anything_else_is_refused_with_an_example(self, code):
        with pytest.raises(ValueError, match="ISO 3166-1 alpha-3 country code, e.g. SYR"):
            check_country(code)


class TestCheckLanguage:
    @pytest.mark.parametrize(("code", "checked"), [("ar", "ar"), (" TI ", "ti"), ("prs", "prs"), ("fas", "fas")])
    def test_639_1_and_639_3_codes_are_accepted_in_lower_case(self, code, checked):
        assert check_language(code) == checked

    @pytest.mark.parametrize("code", ["xx", "arab", "", "a"])
    def test_anything_else_is_refused_with_an_example(self, code):
        with pytest.raises(ValueError, match="ISO 639-1 or 639-3 language code, e.g. ar"):
            check_language(code)


class TestCountryNames:
    def test_every_code_has_an_english_name_including_icao_ones(self):
        assert country_codes()["DEU"] == "Germany"
        assert {code: country_codes()[code] for code in ICAO_SPECIAL} == ICAO_SPECIAL

    @pytest.mark.parametrize(("locale", "name"), [("fr", "Allemagne"), ("ar", "ألمانيا"), ("zz", "Germany")])
    def test_names_in_a_locale_fall_back_to_english(self, locale, name):
        names = country_names(locale)
        assert names["DEU"] == name
        assert names.keys() == country_codes().keys()
