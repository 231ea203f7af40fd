"""A labelled synthetic registry with planted duplicates, for training the default model and the benchmark.

People come from crossroads.people.synthetic (Arabic, Persian, Tigrinya, Somali, Spanish, French, English
names, native scripts and transliteration tables). A share of them is registered again as another office
would: another transliteration or the native script, typos, given and family names swapped, a family name
cut short, day and month swapped, only the year, or an estimated age. With contacts, passports and travel
documents carry their ICAO 9303 check digit, and a duplicate's document may have a typo or another type and
its phone may be written without the country code. With dirty, some dates are written as registries write
them: an impossible day, day and month transposed past 12, two neighbouring digits swapped, another layout,
a stray mark.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

import phonenumbers

from crossroads.dedup.engine.identifiers import check_digit
from crossroads.dedup.engine.keys import PersonRecord
from crossroads.people.synthetic import generate_people, transliteration_variants

__all__ = ["LabelledSet", "generate_labelled"]

# Places of birth by region, as a caseworker would write them; a duplicate keeps the place most of the time.
_PLACES = {
    "arabic": "Aleppo Damascus Homs Hama Idlib Raqqa Mosul Baghdad Basra Khartoum Omdurman Sanaa Aden Taiz Gaza "
              "Hebron Benghazi Tripoli Daraa Kirkuk",
    "persian": "Kabul Herat Kandahar Mazar-i-Sharif Jalalabad Ghazni Kunduz Tehran Mashhad Isfahan Shiraz Tabriz "
               "Bamyan Helmand Baghlan",
    "tigrinya": "Asmara Keren Massawa Mendefera Dekemhare Adi-Keyh Barentu Mekelle Adigrat Axum Shire Tessenei",
    "somali": "Mogadishu Kismayo Baidoa Beledweyne Hargeisa Bosaso Galkayo Garowe Jowhar Marka Dadaab Jigjiga",
    "spanish": "Caracas Maracaibo Valencia Barquisimeto Bogota Medellin Cali Cucuta Tegucigalpa San-Pedro-Sula "
               "Guatemala Quetzaltenango San-Salvador Managua Havana",
    "french": "Dakar Thies Touba Bamako Sikasso Conakry Kankan Abidjan Bouake Kinshasa Lubumbashi Goma Douala "
              "Yaounde Port-au-Prince Cap-Haitien Gonaives",
    "english": "Lagos Kano Ibadan Benin-City Enugu Accra Kumasi Freetown Bo Kenema Monrovia Port-Harcourt",
}


@dataclass(frozen=True, slots=True)
class LabelledSet:
    records: list[PersonRecord]
    true_pairs: set[tuple[str, str]]  # (smaller id, larger id)


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 3:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.random()
    letters = "aeioubdhklmnrst"
    if kind < 0.3:
        return word[:i] + word[i + 1:]
    if kind < 0.6:
        return word[:i] + rng.choice(letters) + word[i + 1:]
    if kind < 0.8:
        return word[:i] + rng.choice(letters) + word[i:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def _respell(rng: random.Random, name: str) -> str:
    """Another spelling of each word of a name where the tables know one."""
    words = []
    for word in name.split():
        variants = transliteration_variants(word)
        words.append(rng.choice(variants) if variants and rng.random() < 0.7 else word)
    return " ".join(words)


def _latin_or_native(rng: random.Random, given: str, family: str, aliases: tuple[str, ...]) -> tuple[str, str]:
    """The name as written in the other script, when the person has an alias in it."""
    native = not given.isascii() or not family.isascii()
    options = [a for a in aliases if a.isascii() == native and len(a.split()) >= 2]
    if not options:
        return given, family
    words = rng.choice(options).split()
    return words[0], " ".join(words[1:])


def _national(phone: str) -> str:
    try:
        return "0" + str(phonenumbers.parse(phone).national_number)
    except phonenumbers.NumberParseException:
        return phone


def _contacts(rng: random.Random, dup: PersonRecord) -> PersonRecord:
    """A duplicate's documents and phones as another office typed them."""
    numbers = list(dup.documents)
    types = list(dup.document_types) + [""] * (len(numbers) - len(dup.document_types))
    for i, number in enumerate(numbers):
        roll = rng.random()
        if roll < 0.08 and len(number) > 3:
            k = rng.randrange(len(number))
            numbers[i] = number[:k] + rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") + number[k + 1:]
        elif roll < 0.13:
            types[i] = "other"
    phones = tuple(_national(p) if rng.random() < 0.25 else p for p in dup.phones)
    return replace(dup, documents=tuple(numbers), document_types=tuple(types), phones=phones)


def _dirty_date(rng: random.Random, dob: str | None, share: float) -> str | None:
    """A full date as a registry may hold it, for a share of them; the other dates as they are."""
    if dob is None or len(dob) != 10 or rng.random() >= share:
        return dob
    year, month, day = dob[:4], dob[5:7], dob[8:]
    roll = rng.random()
    if roll < 0.45 and (roll >= 0.3 or int(day) <= 12):
        return f"{year}-{month}-3{rng.randint(2, 9)}"  # 1915-11-32
    if roll < 0.45:
        return f"{year}-{day}-{month}"  # 1990-25-03
    if roll < 0.65:
        # Two neighbouring digits typed the other way round: 1954-03-06 as 1950-43-06.
        digits = list(year + month + day)
        i = rng.randrange(2, 7)
        digits[i], digits[i + 1] = digits[i + 1], digits[i]
        text = "".join(digits)
        return f"{text[:4]}-{text[4:6]}-{text[6:]}"
    if roll < 0.8:
        return f"{day}/{month}/{year}"
    return dob + "?" if roll < 0.9 else f"c. {year}"


def _with_check_digit(kind: str, number: str) -> str:
    # Passports and travel documents are copied from the machine-readable zone with the check digit.
    return number + str(check_digit(number)) if kind in ("passport", "travel_document") else number


def _duplicate(rng: random.Random, base: PersonRecord, aliases: tuple[str, ...], new_id: str) -> PersonRecord:
    given, family = base.given_name or "", base.family_name or ""
    roll = rng.random()
    if roll < 0.35:
        given, family = _latin_or_native(rng, given, family, aliases)
    elif roll < 0.8:
        given, family = _respell(rng, given), _respell(rng, family)
    if rng.random() < 0.25:
        if rng.random() < 0.5:
            given = _typo(rng, given)
        else:
            family = _typo(rng, family)
    if rng.random() < 0.15 and len(family.split()) > 1:
        family = family.split()[0]
    if rng.random() < 0.12:
        given, family = family, given
    dob = base.date_of_birth
    estimated = base.dob_estimated
    if dob and len(dob) == 10 and dob[4] == "-":
        year, month, day = dob[:4], dob[5:7], dob[8:]
        roll = rng.random()
        if roll < 0.10 and int(day) <= 12:
            dob = f"{year}-{day}-{month}"
        elif roll < 0.20:
            dob = year
        elif roll < 0.30:
            dob, estimated = f"{int(year) + rng.choice((-2, -1, 1, 2)):04d}-01-01", True
        elif roll < 0.35:
            digits = list(dob.replace("-", ""))
            i = rng.choice((3, 5, 7))
            digits[i] = str((int(digits[i]) + rng.randint(1, 8)) % 10)
            candidate = f"{''.join(digits[:4])}-{''.join(digits[4:6])}-{''.join(digits[6:])}"
            if 1 <= int(candidate[5:7]) <= 12 and 1 <= int(candidate[8:]) <= 28:
                dob = candidate
        elif roll < 0.40:
            dob = None
    # People hold several documents and change phones: a duplicate may carry a number the original lacks.
    kept = tuple(i for i in range(len(base.documents)) if rng.random() < 0.5)
    added = (f"N{rng.randrange(10 ** 8):08d}",) if base.documents and rng.random() < 0.3 else ()
    types = base.document_types or ("",) * len(base.documents)
    return PersonRecord(
        documents=tuple(base.documents[i] for i in kept) + added,
        document_types=tuple(types[i] for i in kept) + ("",) * len(added),
        phones=tuple(p for p in base.phones if rng.random() < 0.4)
        + ((f"+2547{rng.randrange(10 ** 8):08d}",) if base.phones and rng.random() < 0.3 else ()),
        id=new_id, given_name=given or None, family_name=family or None, date_of_birth=dob,
        dob_estimated=estimated, sex=base.sex if rng.random() > 0.05 else None,
        nationality=base.nationality if rng.random() > 0.05 else None, place=_place(rng, base.place),
    )


def _place(rng: random.Random, place: str | None) -> str | None:
    roll = rng.random()
    if place is None or roll < 0.1:
        return None
    return _typo(rng, place) if roll < 0.2 else place


def generate_labelled(n: int, *, duplicate_share: float = 0.2, seed: int = 0, contacts: bool = False,
                      dirty: bool = False) -> LabelledSet:
    """n original people, and a duplicate (sometimes two) registered for duplicate_share of them.

    With contacts, records carry documents and phones too (a duplicate keeps each about half the time), as
    the registry has them; without, only the columns of the batch CSV. With dirty, 2% of the originals' and 6%
    of the duplicates' full dates are written as registries write them (_dirty_date).
    """
    rng = random.Random(seed + 7919)
    records: list[PersonRecord] = []
    true_pairs: set[tuple[str, str]] = set()
    for i, person in enumerate(generate_people(n, seed=seed)):
        base = PersonRecord(
            id=f"p{i:07d}", given_name=person.given_name, family_name=person.family_name,
            date_of_birth=(str(person.date_of_birth.year) if person.date_of_birth_estimated
                           else person.date_of_birth.isoformat()),
            dob_estimated=person.date_of_birth_estimated, sex=person.sex[0], nationality=person.nationality,
            place=rng.choice(_PLACES[person.region].split()).replace("-", " ") if rng.random() < 0.9 else None,
        )
        if contacts:
            base = replace(base, documents=tuple(_with_check_digit(d.type, d.number) for d in person.documents),
                           document_types=tuple(d.type for d in person.documents),
                           phones=(person.phone,) if person.phone else ())
        if dirty:
            # Generators of their own, so the other columns come out as they do without dirty dates.
            base = replace(base, date_of_birth=_dirty_date(random.Random(f"{seed}:{base.id}:dob"),
                                                           base.date_of_birth, 0.02))
        records.append(base)
        if rng.random() >= duplicate_share:
            continue
        copies = [base.id]
        for k in range(2 if rng.random() < 0.15 else 1):
            dup = _duplicate(rng, base, person.aliases, f"p{i:07d}d{k}")
            if contacts:
                # A generator of its own, so the other columns come out as they do without contacts.
                dup = _contacts(random.Random(f"{seed}:{dup.id}"), dup)
            if dirty:
                dup = replace(dup, date_of_birth=_dirty_date(random.Random(f"{seed}:{dup.id}:dob"),
                                                             dup.date_of_birth, 0.06))
            records.append(dup)
            copies.append(dup.id)
        for x in range(len(copies)):
            for y in range(x + 1, len(copies)):
                true_pairs.add((min(copies[x], copies[y]), max(copies[x], copies[y])))
    rng.shuffle(records)
    return LabelledSet(records, true_pairs)
