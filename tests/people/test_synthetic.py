import dataclasses
import datetime
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator

import phonenumbers
import pycountry
import pytest

from crossroads.people.synthetic import (
    DOCUMENT_TYPES,
    REFERENCE_DATE,
    RELATIONSHIPS,
    SyntheticHousehold,
    SyntheticPerson,
    generate_households,
    generate_people,
    transliteration_variants,
)

REGION_TARGETS = {
    "arabic": 0.25, "persian": 0.15, "tigrinya": 0.12, "somali": 0.12, "spanish": 0.15, "french": 0.11,
    "english": 0.10,
}
REGION_NATIONALITIES = {
    "arabic": {"SYR", "IRQ", "PSE", "YEM", "EGY", "LBY", "SDN"},
    "persian": {"AFG", "IRN"},
    "tigrinya": {"ERI", "ETH"},
    "somali": {"SOM", "ETH", "KEN"},
    "spanish": {"VEN", "COL", "HND", "GTM", "SLV", "NIC", "CUB"},
    "french": {"SEN", "MLI", "GIN", "CIV", "COD", "CMR", "HTI"},
    "english": {"NGA", "GHA", "SLE", "LBR"},
}


def scripts(text: str) -> set[str]:
    return {unicodedata.name(c).split()[0] for c in text if c.isalpha()}


def age_on_reference(born: datetime.date) -> int:
    return REFERENCE_DATE.year - born.year - ((REFERENCE_DATE.month, REFERENCE_DATE.day) < (born.month, born.day))


@pytest.fixture(scope="module")
def people() -> list[SyntheticPerson]:
    return list(generate_people(5000, seed=42))


@pytest.fixture(scope="module")
def households() -> list[SyntheticHousehold]:
    return list(generate_households(3000, seed=7))


class TestGeneratePeople:
    def test_returns_a_lazy_iterator(self):
        assert isinstance(generate_people(3), Iterator)

    def test_yields_exactly_n_people(self):
        assert len(list(generate_people(0))) == 0
        assert len(list(generate_people(17, seed=3))) == 17

    def test_same_seed_gives_identical_people(self):
        assert list(generate_people(300, seed=11)) == list(generate_people(300, seed=11))

    def test_default_seed_is_deterministic(self):
        assert list(generate_people(50)) == list(generate_people(50, seed=0))

    def test_different_seeds_give_different_people(self):
        assert list(generate_people(50, seed=1)) != list(generate_people(50, seed=2))

    def test_a_prefix_does_not_depend_on_n(self):
        assert list(generate_people(20, seed=5)) == list(generate_people(200, seed=5))[:20]

    def test_people_are_immutable(self, people):
        with pytest.raises(dataclasses.FrozenInstanceError):
            people[0].given_name = "changed"

    def test_region_mix_is_within_tolerance_of_targets(self, people):
        counts = Counter(p.region for p in people)
        assert set(counts) == set(REGION_TARGETS)
        for region, target in REGION_TARGETS.items():
            assert counts[region] / len(people) == pytest.approx(target, abs=0.03), region

    def test_nationality_codes_are_three_uppercase_letters(self, people):
        assert all(re.fullmatch(r"[A-Z]{3}", p.nationality) for p in people)

    def test_nationality_is_consistent_with_name_region(self, people):
        for person in people:
            assert person.nationality in REGION_NATIONALITIES[person.region], person

    def test_languages_are_lowercase_iso_639_codes(self, people):
        for person in people:
            assert person.languages
            assert all(re.fullmatch(r"[a-z]{2,3}", code) for code in person.languages), person.languages

    def test_country_and_language_codes_exist_in_iso_tables(self, people):
        countries = {p.nationality for p in people} | {d.issuing_country for p in people for d in p.documents}
        assert all(pycountry.countries.get(alpha_3=code) for code in countries)
        for code in {code for p in people for code in p.languages}:
            found = pycountry.languages.get(**{"alpha_2" if len(code) == 2 else "alpha_3": code})
            assert found, code

    def test_languages_match_the_region(self, people):
        expected_first = {"arabic": {"ar"}, "persian": {"fa", "ps"}, "tigrinya": {"ti"}, "somali": {"so"},
                          "spanish": {"es"}, "french": {"fr", "wo", "bm", "ht"}, "english": {"en"}}
        for person in people:
            assert person.languages[0] in expected_first[person.region], person

    def test_sex_is_female_or_male(self, people):
        assert {p.sex for p in people} == {"female", "male"}

    def test_some_names_are_in_arabic_script(self, people):
        arabic = [p for p in people if scripts(p.given_name) == {"ARABIC"}]
        assert len(arabic) > 300
        assert {p.region for p in arabic} == {"arabic", "persian"}

    def test_some_names_are_in_ethiopic_script(self, people):
        ethiopic = [p for p in people if scripts(p.given_name + p.family_name) == {"ETHIOPIC"}]
        assert len(ethiopic) > 100
        assert {p.region for p in ethiopic} == {"tigrinya"}

    def test_tigrinya_names_are_in_geez_about_half_the_time(self, people):
        tigrinya = [p for p in people if p.region == "tigrinya"]
        share = sum(scripts(p.given_name) == {"ETHIOPIC"} for p in tigrinya) / len(tigrinya)
        assert share == pytest.approx(0.5, abs=0.1)

    def test_arabic_and_persian_names_are_in_native_script_about_sixty_percent(self, people):
        for region in ("arabic", "persian"):
            group = [p for p in people if p.region == region]
            share = sum(scripts(p.given_name) == {"ARABIC"} for p in group) / len(group)
            assert share == pytest.approx(0.6, abs=0.08), region

    def test_some_latin_names_carry_accents(self, people):
        accented = [
            p for p in people
            if scripts(p.given_name + p.family_name) == {"LATIN"}
            and any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", p.given_name + p.family_name))
        ]
        assert len(accented) > 50
        assert {"spanish", "french"} <= {p.region for p in accented}

    def test_some_spanish_people_have_two_family_names(self, people):
        spanish = [p for p in people if p.region == "spanish"]
        assert any(len(p.family_name.split()) == 2 for p in spanish)
        assert any(len(p.family_name.split()) == 1 for p in spanish)

    def test_native_script_people_have_a_latin_alias(self, people):
        native = [p for p in people if scripts(p.given_name) & {"ARABIC", "ETHIOPIC"}]
        assert native
        for person in native:
            assert any(scripts(alias) == {"LATIN"} for alias in person.aliases), person

    def test_latin_named_arabic_people_often_list_the_native_form(self, people):
        latin_arabic = [p for p in people if p.region == "arabic" and scripts(p.given_name) == {"LATIN"}]
        with_native = [p for p in latin_arabic if any(scripts(a) == {"ARABIC"} for a in p.aliases)]
        assert len(with_native) > len(latin_arabic) / 2

    def test_aliases_include_transliteration_variants(self, people):
        assert any(
            "Muhammad" in alias or "Mohamed" in alias for p in people if p.region == "arabic" for alias in p.aliases
        )

    def test_aliases_are_unique_and_never_repeat_the_primary_name(self, people):
        for person in people:
            assert len(set(person.aliases)) == len(person.aliases)
            assert f"{person.given_name} {person.family_name}" not in person.aliases

    def test_estimated_dates_fall_on_first_of_january_or_july(self, people):
        estimated = [p.date_of_birth for p in people if p.date_of_birth_estimated]
        assert estimated
        assert all((d.month, d.day) in {(1, 1), (7, 1)} for d in estimated)

    def test_about_a_quarter_of_dates_are_estimated(self, people):
        share = sum(p.date_of_birth_estimated for p in people) / len(people)
        assert share == pytest.approx(0.25, abs=0.03)

    def test_ages_range_from_newborn_to_seventy_five(self, people):
        ages = [age_on_reference(p.date_of_birth) for p in people]
        assert min(ages) == 0
        assert max(ages) == 75
        assert all(p.date_of_birth < REFERENCE_DATE for p in people)

    def test_ages_skew_to_young_adults_with_children_present(self, people):
        ages = [age_on_reference(p.date_of_birth) for p in people]
        assert sum(18 <= a < 40 for a in ages) / len(ages) > 0.45
        assert sum(a < 18 for a in ages) / len(ages) > 0.15
        assert sum(a >= 60 for a in ages) / len(ages) < 0.1

    def test_about_sixty_percent_have_e164_shaped_phones(self, people):
        phones = [p.phone for p in people if p.phone is not None]
        assert len(phones) / len(people) == pytest.approx(0.6, abs=0.05)
        assert all(re.fullmatch(r"\+[1-9]\d{7,14}", phone) for phone in phones)

    def test_phone_numbers_are_valid_for_the_nationality(self, people):
        for person in people:
            if person.phone:
                parsed = phonenumbers.parse(person.phone)
                assert phonenumbers.is_valid_number(parsed), person.phone
                region = phonenumbers.region_code_for_number(parsed)
                assert pycountry.countries.get(alpha_2=region).alpha_3 == person.nationality

    def test_people_carry_at_most_two_distinct_known_documents(self, people):
        counts = Counter(len(p.documents) for p in people)
        assert set(counts) == {0, 1, 2}
        for person in people:
            types = [d.type for d in person.documents]
            assert len(set(types)) == len(types)
            assert set(types) <= set(DOCUMENT_TYPES)

    def test_passport_numbers_are_a_letter_and_seven_or_eight_digits(self, people):
        passports = [d for p in people for d in p.documents if d.type == "passport"]
        assert passports
        assert all(re.fullmatch(r"[A-Z]\d{7,8}", d.number) for d in passports)

    def test_national_id_numbers_are_digits(self, people):
        ids = [d for p in people for d in p.documents if d.type == "national_id"]
        assert ids
        assert all(d.number.isdigit() for d in ids)

    def test_documents_are_mostly_issued_by_the_nationality_country(self, people):
        documents = [(p, d) for p in people for d in p.documents]
        assert sum(d.issuing_country == p.nationality for p, d in documents) / len(documents) > 0.55
        for person, document in documents:
            if document.type in {"passport", "national_id"}:
                assert document.issuing_country == person.nationality


class TestGenerateHouseholds:
    def test_yields_exactly_n_households(self):
        assert len(list(generate_households(9, seed=1))) == 9

    def test_same_seed_gives_identical_households(self):
        assert list(generate_households(100, seed=4)) == list(generate_households(100, seed=4))

    def test_different_seeds_give_different_households(self):
        assert list(generate_households(20, seed=4)) != list(generate_households(20, seed=5))

    def test_relationships_are_parallel_to_members(self, households):
        for household in households:
            assert len(household.relationships) == len(household.members) >= 1
            assert set(household.relationships) <= set(RELATIONSHIPS)

    def test_first_member_is_the_only_head(self, households):
        for household in households:
            assert household.relationships[0] == "head"
            assert household.relationships.count("head") == 1

    def test_households_include_spouses_children_and_extended_family(self, households):
        seen = Counter(r for h in households for r in h.relationships)
        assert set(seen) == set(RELATIONSHIPS)
        assert seen["child"] > seen["spouse"] > seen["parent"]

    def test_members_share_region_and_nationality(self, households):
        for household in households:
            assert len({(m.region, m.nationality) for m in household.members}) == 1

    def test_spouses_are_adults(self, households):
        for household in households:
            for member, relation in zip(household.members, household.relationships, strict=True):
                if relation in {"head", "spouse"}:
                    assert age_on_reference(member.date_of_birth) >= 17

    def test_children_are_much_younger_than_the_head(self, households):
        for household in households:
            head = household.members[0]
            for member, relation in zip(household.members, household.relationships, strict=True):
                if relation == "child":
                    assert (member.date_of_birth - head.date_of_birth).days > 16 * 365

    def test_parents_are_older_than_the_head(self, households):
        for household in households:
            head = household.members[0]
            for member, relation in zip(household.members, household.relationships, strict=True):
                if relation == "parent":
                    assert (head.date_of_birth - member.date_of_birth).days > 16 * 365

    def test_children_inherit_the_family_name_in_surname_cultures(self, households):
        checked = 0
        for household in households:
            head = household.members[0]
            if head.region != "persian" or head.sex != "male":
                continue
            for member, relation in zip(household.members, household.relationships, strict=True):
                if relation == "child":
                    assert member.family_name == head.family_name
                    checked += 1
        assert checked > 50

    def test_patronymic_children_carry_the_fathers_given_name(self, households):
        checked = 0
        for household in households:
            head = household.members[0]
            if head.region not in {"somali", "tigrinya"} or head.sex != "male":
                continue
            for member, relation in zip(household.members, household.relationships, strict=True):
                if relation == "child":
                    assert member.family_name.startswith(head.given_name), (member, head)
                    assert member.family_name != head.family_name
                    checked += 1
        assert checked > 50

    def test_spanish_children_take_fathers_then_mothers_first_surname(self, households):
        checked = 0
        for household in households:
            head = household.members[0]
            if head.region != "spanish" or head.sex != "male" or "spouse" not in household.relationships:
                continue
            spouse = household.members[household.relationships.index("spouse")]
            for member, relation in zip(household.members, household.relationships, strict=True):
                if relation == "child":
                    surnames = member.family_name.split()
                    assert surnames[0] == head.family_name.split()[0]
                    if len(surnames) == 2:
                        assert surnames[1] == spouse.family_name.split()[0]
                    checked += 1
        assert checked > 20

    def test_household_members_share_one_script(self, households):
        for household in households:
            assert len({frozenset(scripts(m.given_name)) for m in household.members}) == 1

    def test_arabic_parents_are_known_by_their_eldest_son(self, households):
        heads = [h.members[0] for h in households if h.members[0].region == "arabic"]
        assert any(alias.startswith("Abu ") for head in heads for alias in head.aliases)


class TestTransliterationVariants:
    def test_lists_other_spellings_of_an_arabic_name(self):
        assert {"Muhammad", "Mohamed", "Mohamad", "Mohammad"} <= set(transliteration_variants("Mohammed"))

    def test_links_spellings_across_regions(self):
        assert "Hossein" in transliteration_variants("Hussein")
        assert "Xuseen" in transliteration_variants("Hussein")

    def test_includes_somali_orthography(self):
        assert "Xasan" in transliteration_variants("Hassan")
        assert "Cabdi" in transliteration_variants("Abdi")

    def test_lists_tigrinya_spellings(self):
        assert {"Tesfai", "Tesfaye"} <= set(transliteration_variants("Tesfay"))

    def test_lists_unaccented_spanish_spellings(self):
        assert "Jose" in transliteration_variants("José")
        assert "Muñoz" in transliteration_variants("Munoz")

    def test_excludes_the_name_itself(self):
        assert "Mohammed" not in transliteration_variants("Mohammed")

    def test_is_case_insensitive(self):
        assert set(transliteration_variants("mohammed")) >= {"Muhammad", "Mohamed"}

    def test_returns_only_latin_spellings(self):
        for variant in transliteration_variants("Hussein"):
            assert scripts(variant) == {"LATIN"}

    def test_native_script_input_gives_its_latin_spellings(self):
        assert "Hussein" in transliteration_variants("حسين")
        assert "Tesfay" in transliteration_variants("ተስፋይ")

    def test_full_names_combine_per_word_variants(self):
        variants = transliteration_variants("Mohammed Ahmed")
        assert "Muhammad Ahmad" in variants
        assert "Mohamed Ahmed" in variants
        assert "Mohammed Ahmed" not in variants

    def test_unknown_name_gives_empty_list(self):
        assert transliteration_variants("Zyxwv") == []
        assert transliteration_variants("Zyxwv Qqq") == []
        assert transliteration_variants("") == []
