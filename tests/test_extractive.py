"""Lead and TextRank: titles are not sentences, and TextRank's windowed graph is the paper's on news-length text."""

import math
import random

import numpy as np
import pytest

from summarize import Summarizer
from summarize.extractive.textrank import WINDOW, overlap_graph, textrank
from summarize.languages import split_sentences, split_title
from summarize.languages.words import content_stems

from .conftest import TEXTS


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Grain deal extended\n\nUkraine and Turkey agreed on Thursday.", "Grain deal extended"),
        ("Grain deal extended\r\nUkraine and Turkey agreed on Thursday.", "Grain deal extended"),
        ("  Чи втримається угода?\nУкраїна і Туреччина домовилися.", "Чи втримається угода?"),
        ("«Ціни зростуть»\nУряд попередив.", "«Ціни зростуть»"),
        ("Prices rose.\nThe government said nothing.", None),  # a sentence, not a headline
        ("Цены выросли, сообщил министр:\nон назвал три причины.", None),
        ("A headline with nothing after it", None),
        ("x" * 251 + "\nBody.", None),  # too long for a headline
        ("* * *\nBody text.", None),
    ],
)
def test_split_title(text, title):
    got, body = split_title(text)
    assert got == title
    assert body == (text.strip() if title is None else text.strip().split("\n", 1)[1].strip())


@pytest.mark.parametrize("method", ["lead", "textrank"])
def test_a_headline_is_kept_as_the_title_and_never_picked_as_a_sentence(method):
    headline = "Black Sea grain shipments expand as Ukraine and Turkey agree"
    # The headline shares words with every sentence: TextRank would rank it first.
    text = (
        f"{headline}\n\n"
        "Ukraine and Turkey agreed to expand grain shipments on Thursday. "
        "The Black Sea grain route will carry more ships. "
        "A cat slept in the sun."
    )
    summary = Summarizer(method=method, sentences=1).summarize(text, lang="en")
    assert summary.title == headline
    assert headline not in summary.text
    assert summary.text in {"Ukraine and Turkey agreed to expand grain shipments on Thursday.",
                            "The Black Sea grain route will carry more ships."}
    assert summary.to_dict()["title"] == headline


def test_a_text_without_a_headline_has_no_title():
    summary = Summarizer(method="lead", sentences=1).summarize(TEXTS["en"], lang="en")
    assert summary.title is None and summary.text == split_sentences(TEXTS["en"])[0]


def _paper_textrank(sentences, lang, k):
    """The paper's graph, every pair, dense: the reference the windowed graph must equal on short text."""
    n = len(sentences)
    if n <= k:
        return list(range(n))
    bags = [set(content_stems(s, lang)) for s in sentences]
    weights = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            common = len(bags[i] & bags[j])
            if common:
                weights[i, j] = weights[j, i] = common / (math.log(len(bags[i]) + 1) + math.log(len(bags[j]) + 1))
    out = weights.sum(axis=1)
    transition = np.where(out[:, None] > 0, weights / np.where(out[:, None] > 0, out[:, None], 1), 1.0 / n)
    scores = np.full(n, 1.0 / n)
    for _ in range(100):
        new = 0.15 / n + 0.85 * transition.T @ scores
        if np.abs(new - scores).sum() < 1e-10:
            scores = new
            break
        scores = new
    order = sorted(range(n), key=lambda i: (-round(scores[i], 12), i))
    return sorted(order[:k])


@pytest.mark.parametrize("lang", ["en", "uk", "ru"])
def test_textrank_ranks_as_the_paper_on_documents_within_the_window(lang):
    rng = random.Random(7)
    sentences = split_sentences(TEXTS[lang]) + ["A cat slept.", "Кіт спав.", "Кот спал."]
    for _ in range(60):
        doc = rng.sample(sentences * 4, rng.randint(2, min(30, len(sentences) * 4)))
        k = rng.randint(1, 4)
        assert textrank(doc, lang, k) == _paper_textrank(doc, lang, k), doc


def test_the_graph_links_only_sentences_within_the_window():
    bags = [{"gas"}] * 6 + [{"cat"}]
    rows, cols, weights = overlap_graph(bags, window=2)
    pairs = sorted(zip(rows.tolist(), cols.tolist()))
    assert pairs == [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3), (2, 4), (3, 4), (3, 5), (4, 5)]
    assert np.allclose(weights, 1 / (2 * math.log(2)))
    full = overlap_graph(bags, window=WINDOW)
    assert len(full[0]) == 15  # every pair of the six "gas" sentences


def test_textrank_on_a_long_document_stays_linear_in_links():
    # 30 windows of repeated sentences: the graph holds at most n * WINDOW links, not n^2 / 2.
    rng = random.Random(3)
    base = split_sentences(TEXTS["en"])
    doc = [rng.choice(base) for _ in range(WINDOW * 30)]
    bags = [set(content_stems(s, "en")) for s in doc]
    rows, cols, _ = overlap_graph(bags)
    assert len(rows) <= len(doc) * WINDOW < len(doc) * (len(doc) - 1) // 2
    assert int((cols - rows).max()) <= WINDOW
    chosen = textrank(doc, "en", 3)
    assert len(chosen) == 3 and chosen == sorted(chosen)
