"""An independent multi-script test set: people registered twice, made by another generator than the engine's.

The engine's own synthetic set (crossroads/dedup/engine/synthetic.py) draws on crossroads.people.synthetic's
names and transliteration tables, and the shipped model was trained on it. This one shares neither: its own
name lists, its spelling variants taken from published variant lists (the usual romanisations that
name-variant references and passport practice give for Arabic, Persian/Dari/Pashto, Tigrinya and Somali
names, Somali's official orthography with c and x included), its own places, and another error model —
OCR-like misreadings of a scanned form (rn/m, l/1, O/0, cl/d, e/c, h/b), an "Al-"/"El-" article kept or
dropped, a name written in its native script, names run together or split, dates read from a form with a
digit wrong, the year alone, a missing field. The engine is never tuned on it: it is a held-out set.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

__all__ = ["HeldoutPerson", "generate"]

# Each entry: the spellings a registry sees for one name — the native script first where one is used, then
# romanisations. A duplicate may take any spelling of the same entry; the first record takes a Latin one.
_GIVEN = {
    "arabic": [
        ["محمد", "Muhammad", "Mohammed", "Mohamed", "Mohamad", "Muhammed", "Mohammad", "Mouhamed"],
        ["أحمد", "Ahmad", "Ahmed", "Ahmet", "Ahmaad"],
        ["حسين", "Hussein", "Husayn", "Hussain", "Husein", "Houssein"],
        ["خالد", "Khalid", "Khaled", "Chaled"],
        ["عمر", "Omar", "Umar", "Omer"],
        ["يوسف", "Youssef", "Yusuf", "Yousef", "Yusef", "Youcef"],
        ["إبراهيم", "Ibrahim", "Ebrahim", "Ibraheem", "Brahim"],
        ["مصطفى", "Mustafa", "Mostafa", "Moustafa", "Mustapha"],
        ["عبدالله", "Abdullah", "Abdallah", "Abdulla", "Abd Allah"],
        ["فاطمة", "Fatima", "Fatimah", "Fatma", "Fatmeh"],
        ["عائشة", "Aisha", "Aysha", "Aicha", "Ayesha"],
        ["زينب", "Zainab", "Zaynab", "Zeinab"],
        ["مريم", "Mariam", "Maryam", "Meryem"],
        ["خديجة", "Khadija", "Khadijah", "Khadidja", "Hatice"],
        ["سعاد", "Souad", "Suad", "Soad"],
        ["طارق", "Tariq", "Tarek", "Tarik"],
    ],
    "persian": [
        ["فرید", "Farid", "Fareed", "Fered"],
        ["زهرا", "Zahra", "Zahraa", "Zehra"],
        ["حبیب", "Habib", "Habeeb", "Habibullah"],
        ["رحیم", "Rahim", "Raheem", "Rahem"],
        ["نسرین", "Nasrin", "Nasreen", "Nesrin"],
        ["جواد", "Jawad", "Javad", "Jawed"],
        ["شبنم", "Shabnam", "Shabnum", "Chabnam"],
        ["ذبیح", "Zabih", "Zabiullah", "Zabeeh"],
        ["گلالی", "Gulalai", "Gulalay", "Ghulalai"],
        ["وحید", "Wahid", "Vahid", "Waheed"],
        ["پروین", "Parwin", "Parvin", "Parveen"],
        ["نجیب", "Najib", "Najeeb", "Nadjib"],
    ],
    "tigrinya": [
        ["ተስፋይ", "Tesfay", "Tesfai", "Tesfaye"],
        ["ዮሃንስ", "Yohannes", "Yohanes", "Johannes", "Yohanis"],
        ["ሰላም", "Selam", "Salam", "Selamawit"],
        ["ብርሃነ", "Berhane", "Birhane", "Berhani", "Brhane"],
        ["ሃብተ", "Habte", "Habtai", "Hapte"],
        ["ኪዳነ", "Kidane", "Kidani", "Kedane"],
        ["ሰናይት", "Senait", "Senayit", "Snait"],
        ["ሃይለ", "Haile", "Hayle", "Haili"],
    ],
    "somali": [
        ["Cabdi", "Abdi", "Abdii"],
        ["Xasan", "Hassan", "Hasan", "Xassan"],
        ["Maxamuud", "Mohamud", "Mahmoud", "Mahamud"],
        ["Cali", "Ali", "Aly"],
        ["Xaawo", "Hawa", "Hawo", "Haawo"],
        ["Hodan", "Hodon", "Hoodan"],
        ["Ayaan", "Ayan", "Ayanle"],
        ["Cismaan", "Osman", "Usman", "Ismaan"],
        ["Faadumo", "Fadumo", "Fatuma"],
        ["Jaamac", "Jama", "Jamac"],
    ],
}
_FAMILY = {
    "arabic": [
        ["حداد", "Haddad", "Hadad", "Al-Haddad"],
        ["خوري", "Khoury", "Khouri", "Khury", "El-Khoury"],
        ["منصور", "Mansour", "Mansur", "Mansoor"],
        ["صالح", "Saleh", "Salih", "Salah"],
        ["ناصر", "Nasser", "Nasir", "Naser", "Al-Nasser"],
        ["حمدان", "Hamdan", "Hamdane", "Al-Hamdan"],
        ["قاسم", "Qasim", "Kassem", "Qassem", "Kasim"],
        ["عوض", "Awad", "Awadh", "Aouad"],
        ["درويش", "Darwish", "Darwich", "Darweesh"],
        ["شريف", "Sharif", "Cherif", "Shareef", "Al-Sharif"],
        ["زيدان", "Zidane", "Zaidan", "Zeidan"],
        ["عثمان", "Othman", "Uthman", "Osman"],
    ],
    "persian": [
        ["احمدزی", "Ahmadzai", "Ahmadzay", "Ahmedzai"],
        ["رحیمی", "Rahimi", "Rahimy", "Raheemi"],
        ["حسینی", "Hosseini", "Husseini", "Hosaini", "Hussaini"],
        ["کریمی", "Karimi", "Karimy", "Kareemi"],
        ["نوری", "Noori", "Nouri", "Nuri"],
        ["سلطانی", "Sultani", "Soltani", "Sultany"],
        ["وردک", "Wardak", "Wardag", "Wardaq"],
        ["صافی", "Safi", "Saafi", "Safy"],
        ["پوپل", "Popal", "Popalzai", "Popul"],
        ["یوسفزی", "Yousafzai", "Yusufzai", "Yousufzai"],
    ],
    "tigrinya": [
        ["ገብረ", "Gebre", "Ghebre", "Gebreh", "Gebru"],
        ["ወልደ", "Welde", "Wolde", "Weldai"],
        ["ተኽለ", "Tekle", "Tecle", "Teklai"],
        ["ሃይሉ", "Hailu", "Haylu", "Hailou"],
        ["ኣስመሮም", "Asmerom", "Asmarom", "Esmerom"],
        ["መብራህቱ", "Mebrahtu", "Mebrahtom", "Mibrahtu"],
    ],
    "somali": [
        ["Warsame", "Warsama", "Warsan"],
        ["Faarax", "Farah", "Fara", "Faarah"],
        ["Nuur", "Nur", "Noor"],
        ["Jaamac", "Jama", "Jamaac"],
        ["Xuseen", "Hussein", "Huseen", "Xusseen"],
        ["Cumar", "Omar", "Umar", "Cumaar"],
        ["Yuusuf", "Yusuf", "Yousuf"],
        ["Dahir", "Daahir", "Tahir"],
    ],
}
_PLACES = {
    "arabic": "Nyala El-Fasher Geneina Kassala Gedaref Port-Sudan Kadugli Atbara Dongola Hodeidah Ibb Dhamar "
              "Mukalla Marib Deir-ez-Zor Latakia Tartus Zarqa Irbid Sabha Misrata Zawiya",
    "persian": "Farah Zaranj Lashkar-Gah Khost Gardez Pul-e-Khumri Faizabad Charikar Taloqan Maymana Sheberghan "
               "Qalat Zahedan Kerman Yazd",
    "tigrinya": "Assab Nakfa Senafe Agordat Gondar Bahir-Dar Humera Adwa Mai-Tsebri Ghinda",
    "somali": "Burao Berbera Erigavo Luuq Bardera Dhusamareb Afgooye Qardho Borama Las-Anod Buuhoodle",
}
_NATIONALITY = {"arabic": ["SDN", "YEM", "SYR", "JOR", "LBY"], "persian": ["AFG", "IRN"],
                "tigrinya": ["ERI", "ETH"], "somali": ["SOM", "ETH", "KEN"]}
# Letters a scanner or a tired eye misreads, each way round.
_OCR = [("rn", "m"), ("m", "rn"), ("l", "1"), ("I", "l"), ("O", "0"), ("o", "0"), ("cl", "d"), ("d", "cl"),
        ("e", "c"), ("h", "b"), ("u", "v"), ("a", "o"), ("S", "5"), ("B", "8")]
_REGIONS = ("arabic", "persian", "tigrinya", "somali")


@dataclass(frozen=True, slots=True)
class HeldoutPerson:
    id: str
    entity: str
    given_name: str
    family_name: str
    date_of_birth: str
    sex: str
    nationality: str
    place: str


def _latin(rng: random.Random, spellings: list[str]) -> str:
    latin = [s for s in spellings if s.isascii()]
    return rng.choice(latin)


def _ocr(rng: random.Random, text: str) -> str:
    options = [(a, b) for a, b in _OCR if a in text]
    if not options:
        return text
    a, b = rng.choice(options)
    at = [i for i in range(len(text)) if text.startswith(a, i)]
    i = rng.choice(at)
    return text[:i] + b + text[i + len(a):]


def _article(rng: random.Random, name: str) -> str:
    for prefix in ("Al-", "El-"):
        if name.startswith(prefix):
            return name[len(prefix):]
    return rng.choice(("Al-", "El-", "Al ")) + name


def _date(rng: random.Random) -> tuple[int, int, int]:
    return rng.randint(1950, 2020), rng.randint(1, 12), rng.randint(1, 28)


def _written(year: int, month: int, day: int, *, year_only: bool) -> str:
    return f"{year:04d}" if year_only else f"{year:04d}-{month:02d}-{day:02d}"


def _copy(rng: random.Random, base: dict[str, object], given: list[str], family: list[str]) -> dict[str, object]:
    rec = dict(base)
    errors = rng.choice((1, 1, 2, 2, 3))
    kinds = ["variant", "variant", "native", "ocr", "ocr", "article", "date_digit", "year_only", "date_swap",
             "missing", "missing", "join", "order"]
    for kind in rng.sample(kinds, errors):
        if kind == "variant":
            field, spellings = rng.choice((("given_name", given), ("family_name", family)))
            rec[field] = _latin(rng, spellings)
        elif kind == "native":
            field, spellings = rng.choice((("given_name", given), ("family_name", family)))
            if not spellings[0].isascii():
                rec[field] = spellings[0]
        elif kind == "ocr":
            field = rng.choice(("given_name", "family_name", "place"))
            rec[field] = _ocr(rng, str(rec[field]))
        elif kind == "article":
            rec["family_name"] = _article(rng, str(rec["family_name"]))
        elif kind == "date_digit":
            year, month, day = base["dob"]  # type: ignore[misc]
            choice = rng.random()
            if choice < 0.4:
                year += rng.choice((-1, 1))
            elif choice < 0.7:
                day = min(28, max(1, day + rng.choice((-1, 1, -10, 10))))
            else:
                month = min(12, max(1, month + rng.choice((-1, 1))))
            rec["date_of_birth"] = _written(year, month, day, year_only=False)
        elif kind == "year_only":
            rec["date_of_birth"] = str(base["dob"][0])  # type: ignore[index]
        elif kind == "date_swap":
            year, month, day = base["dob"]  # type: ignore[misc]
            if day <= 12:
                rec["date_of_birth"] = _written(year, day, month, year_only=False)
        elif kind == "missing":
            rec[rng.choice(("date_of_birth", "place", "sex", "nationality"))] = ""
        elif kind == "join":
            rec["given_name"] = f"{rec['given_name']} {rec['family_name']}"
            rec["family_name"] = ""
        elif kind == "order":
            rec["given_name"], rec["family_name"] = rec["family_name"], rec["given_name"]
    return rec


def generate(people: int, *, seed: int = 1, duplicate_share: float = 0.25) -> list[HeldoutPerson]:
    """People, a share of them registered again (once or twice) with this generator's errors; ids shuffled."""
    rng = random.Random(seed)
    rows: list[HeldoutPerson] = []
    for n in range(people):
        region = rng.choice(_REGIONS)
        given = rng.choice(_GIVEN[region])
        family = rng.choice(_FAMILY[region])
        year, month, day = _date(rng)
        base: dict[str, object] = {
            "given_name": _latin(rng, given), "family_name": _latin(rng, family), "dob": (year, month, day),
            "date_of_birth": _written(year, month, day, year_only=rng.random() < 0.15),
            "sex": rng.choice("mf") if rng.random() > 0.05 else "",
            "nationality": rng.choice(_NATIONALITY[region]),
            "place": rng.choice(_PLACES[region].split()) if rng.random() > 0.2 else "",
        }
        copies = [base]
        if rng.random() < duplicate_share:
            copies += [_copy(rng, base, given, family) for _ in range(rng.choice((1, 1, 1, 2)))]
        for c in copies:
            rows.append(HeldoutPerson(id="", entity=f"e{n}", given_name=str(c["given_name"]),
                                      family_name=str(c["family_name"]), date_of_birth=str(c["date_of_birth"]),
                                      sex=str(c["sex"]), nationality=str(c["nationality"]), place=str(c["place"])))
    rng.shuffle(rows)
    return [replace(r, id=f"h{i:06d}") for i, r in enumerate(rows)]
