from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from summarize import UnsupportedLanguageError, detect_language, split_sentences
from summarize.languages import get_language, sentence_spans
from summarize.languages.words import content_stems, get_stemmer, lemmatize_ukrainian, words

DATA = Path(__file__).parent / "data"


def _lines(name):
    return [line for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("lang", ["uk", "ru"])
def test_identifies_ukrainian_and_russian_sentences_at_98_percent(lang):
    # Parallel sentence sets written for these tests (the same news in both
    # languages, so the words give little away); many Russian ones have none
    # of ы э ё ъ, many Ukrainian ones none of ї є ґ. Measured: 59/59 Russian,
    # 58/59 Ukrainian ("Ракета збита над областю." reads as Russian).
    sentences = _lines(f"langid_{lang}.txt")
    assert len(sentences) >= 50
    wrong = [s for s in sentences if detect_language(s) != lang]
    assert len(wrong) / len(sentences) <= 0.02, wrong


def _table(name):
    return [tuple(line.split("\t", 1)) for line in _lines(name)]


def test_identifies_short_headlines():
    # 3 to 8 words, 20 per language, written for these tests. Measured: 60/60.
    headlines = _table("langid_headlines.tsv")
    wrong = [(lang, text, detect_language(text)) for lang, text in headlines if detect_language(text) != lang]
    assert len(headlines) == 60 and len(wrong) <= 1, wrong


def test_english_news_full_of_ukrainian_names_is_english():
    # Names mislead n-gram models on short text (lingua alone refused 5 of
    # these 12 as Slovak, Turkish...); English words decide. Measured: 12/12.
    assert {detect_language(s) for s in _lines("langid_en_names.txt")} == {"en"}


def test_refuses_every_neighbouring_language():
    # German, French, Polish, Croatian, Bulgarian, Belarusian, Serbian... one
    # sentence each or two: none may be summarised as English or Russian.
    accepted = []
    for lang, text in _table("langid_refuse.tsv"):
        try:
            accepted.append((lang, text, detect_language(text)))
        except UnsupportedLanguageError:
            pass
    assert accepted == []


@pytest.mark.parametrize(
    "text, lang",
    [
        ("The government approved a new budget.", "en"),
        ("Kyiv and Moscow are in early talks, the FT reported.", "en"),
        ("П'ять сіл залишилися без світла.", "uk"),
        ("Ціни зросли", "uk"),
        ("Цены выросли", "ru"),
        ("Он сказал, что это правда.", "ru"),
        ("Україна та Financial Times (FT) повідомили про переговори.", "uk"),
        ("Газета Financial Times сообщила о переговорах в Катаре.", "ru"),
    ],
)
def test_detect_language_table(text, lang):
    assert detect_language(text) == lang


@pytest.mark.parametrize(
    "text, named",
    [
        ("Die Regierung hat den Haushalt für das nächste Jahr beschlossen.", "German"),
        ("Le gouvernement a adopté le budget pour l'année prochaine.", "French"),
        ("Урад ўхваліў новы бюджэт на наступны год, паведамілі ў Мінску.", "Belarusian"),
        ("Правительство ја утврдило буџет, рекао је министар.", "Serbian"),
        ("政府批准了明年的预算。", "CJK"),
        ("Η κυβέρνηση ενέκρινε τον προϋπολογισμό.", "Greek"),
    ],
)
def test_other_languages_are_refused_naming_the_supported_ones(text, named):
    with pytest.raises(UnsupportedLanguageError) as err:
        detect_language(text)
    message = str(err.value)
    assert named in message
    assert "'en', 'uk', 'ru'" in message


@pytest.mark.parametrize("text", ["", "   ", "12345 67,8", "!!! ... ???", "—"])
def test_text_without_letters_is_refused(text):
    with pytest.raises(UnsupportedLanguageError, match="no letters"):
        detect_language(text)


def test_unknown_language_code_lists_supported():
    with pytest.raises(UnsupportedLanguageError, match="'en', 'uk' or 'ru'"):
        get_language("de")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("One. Two.", ["One.", "Two."]),
        ("Mr. Smith met Dr. Jones. They talked.", ["Mr. Smith met Dr. Jones.", "They talked."]),
        ("J. K. Rowling wrote it. She agreed.", ["J. K. Rowling wrote it.", "She agreed."]),
        ("Prices rose 13.5 percent. Wages fell.", ["Prices rose 13.5 percent.", "Wages fell."]),
        ("Ціна 13,5 грн. Вона зросла.", ["Ціна 13,5 грн.", "Вона зросла."]),
        ("Про це заявив В. Зеленський. Він додав.", ["Про це заявив В. Зеленський.", "Він додав."]),
        ("На вул. Хрещатик перекрили рух. Водіїв попередили.", ["На вул. Хрещатик перекрили рух.", "Водіїв попередили."]),
        ("Це сталося у 2022 р. Відтоді минуло два роки.", ["Це сталося у 2022 р.", "Відтоді минуло два роки."]),
        ("Восени 2023 р. сторони дійшли згоди.", ["Восени 2023 р. сторони дійшли згоди."]),
        ("Это было в 2022 г. Потом всё изменилось.", ["Это было в 2022 г.", "Потом всё изменилось."]),
        ("Заводы, шахты и т. д. остановились.", ["Заводы, шахты и т. д. остановились."]),
        ("«Чому?» — запитав він. Відповіді не було.", ["«Чому?» — запитав він.", "Відповіді не було."]),
        ("«Ми готові». Так сказав міністр.", ["«Ми готові».", "Так сказав міністр."]),
        ("He said: “We are ready.” Then he left.", ["He said: “We are ready.”", "Then he left."]),
        ("Він сказав: «Ми готові!» Потім пішов.", ["Він сказав: «Ми готові!»", "Потім пішов."]),
        ("Об'єкти пошкоджено. Ремонт триває.", ["Об'єкти пошкоджено.", "Ремонт триває."]),
        ("Об’єкти пошкоджено. Ремонт триває.", ["Об’єкти пошкоджено.", "Ремонт триває."]),
        ("Обʼєкти пошкоджено. Ремонт триває.", ["Обʼєкти пошкоджено.", "Ремонт триває."]),
        ("Wait... What happened? Nobody knows!", ["Wait...", "What happened?", "Nobody knows!"]),
        ("Headline without a stop\nFirst sentence. Second.", ["Headline without a stop", "First sentence.", "Second."]),
        ("He moved to the U.S. Then he left.", ["He moved to the U.S.", "Then he left."]),
        ("Talks in the U.S. and the U.K. ended.", ["Talks in the U.S. and the U.K. ended."]),
        ("They chose Plan B. The vote was close.", ["They chose Plan B.", "The vote was close."]),
        ("It began after World War I. Then peace came.", ["It began after World War I.", "Then peace came."]),
        ("Висота стіни 5 м. Потім її добудують.", ["Висота стіни 5 м.", "Потім її добудують."]),
        ("Мешканці м. Київ вийшли на вулиці.", ["Мешканці м. Київ вийшли на вулиці."]),
        ("Робота триває 3 год. Потім перерва.", ["Робота триває 3 год.", "Потім перерва."]),
        ("", []),
        ("   \n  ", []),
        ("...", ["..."]),
        ("one", ["one"]),
    ],
)
def test_sentence_splitting_table(text, expected):
    assert split_sentences(text) == expected


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_sentence_spans_cover_every_non_space_character_in_order(text):
    spans = sentence_spans(text)
    position = 0
    for start, end in spans:
        assert position <= start < end <= len(text)
        assert text[position:start].strip() == ""
        assert text[start:end] == text[start:end].strip()
        position = end
    assert text[position:].strip() == ""


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_language_identification_never_raises_anything_but_its_own_error(text):
    try:
        assert detect_language(text) in ("en", "uk", "ru")
    except UnsupportedLanguageError:
        pass


@pytest.mark.parametrize(
    "forms",
    [
        ["переговори", "переговорів", "переговорах", "переговорами"],
        ["енергетичної", "енергетичну", "енергетичний"],
        ["атакують", "атакуємо"],
    ],
)
def test_ukrainian_stemmer_conflates_inflected_forms(forms):
    assert len({lemmatize_ukrainian(f) for f in forms}) == 1


def test_stemmers_and_words():
    assert get_stemmer("en")("talks") == "talk"
    assert get_stemmer("ru")("переговоры") == get_stemmer("ru")("переговорах")
    assert words("П'ять «нових» об’єктів") == ["п'ять", "нових", "об’єктів"]
    assert content_stems("і та що", "uk") == []


@pytest.mark.parametrize(
    "text, lang",
    [
        # Mixed-language text: the language with more letters wins.
        ("Officials said the money would repair roads and schools. Ціни зросли на 13,5 відсотка", "en"),
        ("Ціни на енергоносії у жовтні зросли на 13,5 відсотка, повідомила статслужба. Prices rose.", "uk"),
        ("Цены выросли, сообщила газета Financial Times со ссылкой на источники в Киеве.", "ru"),
    ],
)
def test_mixed_language_text_goes_to_the_majority(text, lang):
    assert detect_language(text) == lang


def test_ukrainian_lemmatiser_joins_word_forms_and_keeps_words_apart():
    from itertools import combinations

    groups = [line.split("\t") for line in _lines("uk_word_forms.tsv")]
    same = [lemmatize_ukrainian(a) == lemmatize_ukrainian(b) for g in groups for a, b in combinations(g, 2)]
    words = [(w, i) for i, g in enumerate(groups) for w in g]
    merged = [(a, b) for (a, i), (b, j) in combinations(words, 2) if i != j and lemmatize_ukrainian(a) == lemmatize_ukrainian(b)]
    assert sum(same) >= 119 and merged == []  # measured: 119 of 147; the old suffix stripper joined 108


def test_a_long_text_is_identified_from_its_first_letters_not_a_table_of_figures_before_them():
    from summarize import detect_language

    table = "12,5 | 13,1 | 4 | " * 200
    assert detect_language(table + "Правительство утвердило новый бюджет на следующий год после долгих дебатов.") == "ru"
    assert detect_language(table + "The government approved a new budget for next year after a long debate.") == "en"
