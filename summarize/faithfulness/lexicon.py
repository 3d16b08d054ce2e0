"""Word knowledge the fact checker needs, from maintained libraries, cached.

* Lemmas of Ukrainian and Russian words: pymorphy3 with its ``uk`` and ``ru``
  dictionaries (every parse's normal form counts, so ``Рогу`` gives both
  ``рог`` and ``ріг`` and matches ``Ріг``); English: simplemma.
* Whether a word is a name: pymorphy3's tags (``Name``, ``Surn``, ``Geox``,
  ``Orgn``, ``Abbr``...) or an unknown word; for English, a word simplemma
  does not know.
* Latin keys for comparing names across scripts: Unidecode, then a few
  merges that make the common English spellings of Ukrainian and Russian
  names meet (``h``/``g``, ``y``/``i``/``j``, doubled vowels), so
  ``Shmyhal``, ``Шмигаль`` and ``Шмыгаль`` share a key.
* Country names in English, Ukrainian and Russian from pycountry's ISO 3166
  translations, plus the short forms news uses (``Russia``/``Росія``) and the
  exonyms of cities that transliteration cannot reach (``Vienna``/``Відень``,
  ``Rome``/``Рим``).

Everything is cached per word: a news-length pair costs milliseconds once
its words have been seen.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..languages.morphology import morph, parses, require as _require

_NAME_TAGS = ("Name", "Surn", "Patr", "Geox", "Orgn", "Trad", "Abbr")


@lru_cache(maxsize=262144)
def lemmas(word: str, lang: str) -> frozenset[str]:
    """Every dictionary form a lower-case word may be of (the word itself included).

    >>> sorted(lemmas("чернігова", "uk"))
    ['чернігова', 'чернігів']
    """
    if lang in ("uk", "ru"):
        return frozenset({word} | {p.normal_form for p in parses(word, lang)[:6]})
    simplemma = _require("simplemma", "simplemma")
    return frozenset({word, simplemma.lemmatize(word, lang="en")})


@lru_cache(maxsize=262144)
def is_name_word(word: str, lang: str) -> bool:
    """Whether a capitalised word at a sentence start reads as a name (not a common word)."""
    lower = word.lower()
    if len(lower) < 4:
        return False  # short words opening a sentence are function words far more often than names
    if lang in ("uk", "ru"):
        found = parses(lower, lang)
        if not found or not morph(lang).word_is_known(lower):
            return True
        grammemes = found[0].tag.grammemes  # the dictionaries differ in which tags they have
        return any(tag in grammemes for tag in _NAME_TAGS)
    simplemma = _require("simplemma", "simplemma")
    return not simplemma.is_known(lower, lang="en")


@lru_cache(maxsize=262144)
def is_adjective(word: str, lang: str) -> bool:
    """Whether a lower-case Ukrainian or Russian word is most likely an adjective or participle."""
    return lang in ("uk", "ru") and any(p.tag.POS in ("ADJF", "PRTF") for p in parses(word, lang)[:3])


_MERGES = (("th", "t"), ("dzh", "j"), ("q", "k"), ("kh", "h"), ("h", "g"), ("y", "i"), ("j", "i"), ("w", "v"), ("ck", "k"), ("x", "ks"), ("ts", "c"), ("ie", "e"), ("ye", "e"))


@lru_cache(maxsize=262144)
def latin_key(word: str) -> str:
    """A spelling-tolerant Latin key for a name in any of the three languages.

    >>> latin_key("Shmyhal") == latin_key("Шмигаль") == latin_key("Шмыгаль")
    True
    """
    from unidecode import unidecode

    key = re.sub(r"[^a-z]", "", unidecode(word).lower())
    for a, b in _MERGES:
        key = key.replace(a, b)
    return re.sub(r"([aeiou])\1+", r"\1", key)


# Short forms and exonyms that neither pycountry's official names nor
# transliteration give. Each row: English, Ukrainian, Russian (dictionary forms).
_EXTRA_PLACES = (
    ("Russia", "Росія", "Россия"),
    ("United States", "США", "США"),
    ("America", "Америка", "Америка"),
    ("USA", "Сполучені Штати", "Соединенные Штаты"),
    ("Britain", "Британія", "Британия"),
    ("UK", "Велика Британія", "Великобритания"),
    ("Moldova", "Молдова", "Молдавия"),
    ("Belarus", "Білорусь", "Беларусь"),
    ("Czechia", "Чехія", "Чехия"),
    ("Turkey", "Туреччина", "Турция"),
    ("Vienna", "Відень", "Вена"),
    ("Rome", "Рим", "Рим"),
    ("Moscow", "Москва", "Москва"),
    ("Kyiv", "Київ", "Киев"),
    ("Warsaw", "Варшава", "Варшава"),
    ("Geneva", "Женева", "Женева"),
    ("Brussels", "Брюссель", "Брюссель"),
    ("Washington", "Вашингтон", "Вашингтон"),
    ("Berlin", "Берлін", "Берлин"),
    ("Paris", "Париж", "Париж"),
    ("London", "Лондон", "Лондон"),
    ("Prague", "Прага", "Прага"),
    ("Beijing", "Пекін", "Пекин"),
    ("Minsk", "Мінськ", "Минск"),
    ("Kharkiv", "Харків", "Харьков"),
    ("Odesa", "Одеса", "Одесса"),
    ("Lviv", "Львів", "Львов"),
    ("Dnipro", "Дніпро", "Днепр"),
    ("Crimea", "Крим", "Крым"),
    ("Istanbul", "Стамбул", "Стамбул"),
    ("Bosporus", "Босфор", "Босфор"),
    ("Black Sea", "Чорне море", "Черное море"),
    ("Sea of Azov", "Азовське море", "Азовское море"),
    ("Chornomorsk", "Чорноморськ", "Черноморск"),
    ("Pivdennyi", "Південний", "Южный"),
    ("Mykolaiv", "Миколаїв", "Николаев"),
    ("Zaporizhzhia", "Запоріжжя", "Запорожье"),
    ("Donbas", "Донбас", "Донбасс"),
    ("Europe", "Європа", "Европа"),
    ("European Union", "Європейський Союз", "Европейский союз"),
    ("EU", "ЄС", "ЕС"),
    ("NATO", "НАТО", "НАТО"),
    ("UN", "ООН", "ООН"),
)


@lru_cache(maxsize=1)
def places() -> dict[str, str]:
    """Latin key of each known place's name (every language, dictionary form) -> the place's id."""
    import gettext

    pycountry = _require("pycountry", "pycountry")
    table: dict[str, str] = {}
    translations = {}
    for lang in ("uk", "ru"):
        try:
            translations[lang] = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
        except OSError:
            translations[lang] = gettext.NullTranslations()
    for country in pycountry.countries:
        names = {country.name, getattr(country, "common_name", None), getattr(country, "official_name", None)}
        for name in [n for n in names if n]:
            for lang, tr in translations.items():
                names = names | {tr.gettext(name)}
        for name in names:
            if name:
                table.setdefault(_place_key(name), country.alpha_2)
    for row in _EXTRA_PLACES:
        keys = [_place_key(name) for name in row]
        # One id for every name of a place, the country's where pycountry has it.
        place = next((table[k] for k in keys if k in table), keys[0])
        for key in keys:
            table[key] = place
    return table


# Adjectives of places, which English capitalises ("Russian forces") and
# Ukrainian and Russian do not ("російські", "российские"): the English word,
# then the start every form of the Ukrainian and Russian adjective has.
_ADJECTIVES = {
    "Russia": ("russian", "російськ", "российск"),
    "Ukraine": ("ukrainian", "українськ", "украинск"),
    "Poland": ("polish", "польськ", "польск"),
    "United States": ("american", "американськ", "американск"),
    "Germany": ("german", "німецьк", "немецк"),
    "France": ("french", "французьк", "французск"),
    "Britain": ("british", "британськ", "британск"),
    "Italy": ("italian", "італійськ", "итальянск"),
    "Belarus": ("belarusian", "білоруськ", "белорусск"),
    "China": ("chinese", "китайськ", "китайск"),
    "Turkey": ("turkish", "турецьк", "турецк"),
    "Europe": ("european", "європейськ", "европейск"),
    "Moldova": ("moldovan", "молдовськ", "молдавск"),
    "Georgia": ("georgian", "грузинськ", "грузинск"),
    "Hungary": ("hungarian", "угорськ", "венгерск"),
    "Romania": ("romanian", "румунськ", "румынск"),
}


def adjective_place(word: str) -> tuple[str, tuple[str, ...]] | None:
    """For an English adjective of a place: (the place's id, the starts of its adjectives).

    >>> adjective_place("Polish")[1]
    ('polish', 'польськ', 'польск')
    """
    lower = word.lower()
    for country, forms in _ADJECTIVES.items():
        if lower == forms[0]:
            return places().get(_place_key(country), _place_key(country)), forms
    return None


def _place_key(name: str) -> str:
    return " ".join(latin_key(w) for w in re.findall(r"[^\W\d_]+", name))


def place_id(words: tuple[str, ...], lang: str) -> str | None:
    """The id of the place a run of capitalised words names, in any inflection; None if unknown.

    >>> place_id(("Відні",), "uk") == place_id(("Vienna",), "en") == place_id(("Вене",), "ru")
    True
    """
    table = places()
    forms: list[set[str]] = []
    for w in words:
        found = {w.lower()}
        # Dictionary forms of short words invite false matches (усе -> уса -> USA).
        if len(w) >= 4 and (lang in ("uk", "ru") or re.search(r"[а-яіїєґё]", w.lower())):
            for code in ("uk", "ru") if lang not in ("uk", "ru") else (lang,):
                found |= lemmas(w.lower(), code)
        forms.append(found)
    # The whole run first ("Велика Британія"), then its last word alone.
    for candidate in _combinations(forms):
        key = " ".join(latin_key(w) for w in candidate)
        if key in table:
            return table[key]
    return None


def _combinations(forms: list[set[str]], limit: int = 16):
    combos: list[list[str]] = [[]]
    for options in forms:
        combos = [c + [o] for c in combos for o in sorted(options)][:limit]
    return combos
