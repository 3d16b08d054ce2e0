"""Named presets: a pretrained checkpoint plus the settings it was evaluated with.

``PRESETS`` maps a name to a :class:`Preset`. Any other value of ``model=`` is
a hub id or a local checkpoint directory, served with the checkpoint's own
settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping


@dataclass(frozen=True)
class PublishedScore:
    """ROUGE F1 (x100) reported by a checkpoint's authors.

    ``None`` where a number was not published (CrossSum reports ROUGE-2 in
    plots only).
    """

    dataset: str
    lang: str
    target_lang: str
    rouge1: float | None
    rouge2: float | None
    rougeL: float | None
    source: str


@dataclass(frozen=True)
class Preset:
    """A named, pretrained summarisation checkpoint.

    Attributes:
        name: the preset's name (``model="xlsum"``).
        model_id: the Hugging Face hub id.
        languages: source languages it serves.
        target_languages: summary languages it can write.
        cross_lingual: whether the summary language may differ from the source.
        max_input_tokens: the input length the checkpoint was trained with.
        generation: decoding settings it was evaluated with (overriding the
            checkpoint's own generation_config).
        description: one line for ``--list-models``.
        published: the authors' scores, for reports.
    """

    name: str
    model_id: str
    languages: tuple[str, ...]
    target_languages: tuple[str, ...]
    cross_lingual: bool
    max_input_tokens: int
    generation: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    description: str = ""
    published: tuple[PublishedScore, ...] = ()


_XLSUM_PAPER = "Hasan et al., 2021, XL-Sum (Findings of ACL)"

PRESETS: dict[str, Preset] = {
    "xlsum": Preset(
        name="xlsum",
        model_id="csebuetnlp/mT5_multilingual_XLSum",
        languages=("en", "uk", "ru"),
        target_languages=("en", "uk", "ru"),
        cross_lingual=False,
        max_input_tokens=512,
        generation=MappingProxyType(
            {"num_beams": 4, "no_repeat_ngram_size": 2, "max_new_tokens": 84}
        ),
        description="mT5-base fine-tuned on XL-Sum (45 languages); summary in the source language",
        published=(
            PublishedScore("xlsum", "en", "en", 37.60, 15.15, 29.88, _XLSUM_PAPER),
            PublishedScore("xlsum", "ru", "ru", 32.22, 13.64, 26.17, _XLSUM_PAPER),
            PublishedScore("xlsum", "uk", "uk", 23.99, 10.14, 20.92, _XLSUM_PAPER),
        ),
    ),
    "crosssum": Preset(
        name="crosssum",
        model_id="csebuetnlp/mT5_m2m_crossSum",
        languages=("en", "uk", "ru"),
        target_languages=("en", "uk", "ru"),
        cross_lingual=True,
        max_input_tokens=512,
        generation=MappingProxyType(
            {"num_beams": 4, "no_repeat_ngram_size": 2, "max_new_tokens": 84}
        ),
        description="mT5-base fine-tuned on CrossSum; any of en/uk/ru in, any out",
        published=(
            # Read off the paper's plots, ROUGE-2 only.
            PublishedScore("crosssum", "ru", "en", None, 12.0, None, "Bhattacharjee et al., 2023, CrossSum (ACL), approx."),
            PublishedScore("crosssum", "uk", "en", None, 11.5, None, "Bhattacharjee et al., 2023, CrossSum (ACL), approx."),
            PublishedScore("crosssum", "en", "ru", None, 9.0, None, "Bhattacharjee et al., 2023, CrossSum (ACL), approx."),
        ),
    ),
    "bart-cnn": Preset(
        name="bart-cnn",
        model_id="facebook/bart-large-cnn",
        languages=("en",),
        target_languages=("en",),
        cross_lingual=False,
        max_input_tokens=1024,
        generation=MappingProxyType(
            {
                "num_beams": 4,
                "length_penalty": 2.0,
                "max_new_tokens": 141,
                "min_new_tokens": 55,
                "no_repeat_ngram_size": 3,
            }
        ),
        description="BART-large fine-tuned on CNN/DailyMail; English only",
        published=(
            PublishedScore("cnn_dailymail", "en", "en", 44.16, 21.28, 40.90, "Lewis et al., 2020, BART (ACL)"),
        ),
    ),
    "gazeta": Preset(
        name="gazeta",
        model_id="IlyaGusev/mbart_ru_sum_gazeta",
        languages=("ru",),
        target_languages=("ru",),
        cross_lingual=False,
        max_input_tokens=600,
        generation=MappingProxyType({"no_repeat_ngram_size": 4}),
        description="mBART-large fine-tuned on Gazeta; Russian only",
        published=(
            PublishedScore("gazeta", "ru", "ru", 32.4, 14.3, 28.0, "Gusev, 2020, Dataset for Automatic Summarization of Russian News"),
        ),
    ),
}

DEFAULT_PRESET = "xlsum"


def presets_for(lang: str, target_lang: str | None = None) -> list[str]:
    """Names of the presets that summarise ``lang`` into ``target_lang``.

    >>> presets_for("uk")
    ['xlsum', 'crosssum']
    >>> presets_for("uk", "en")
    ['crosssum']
    """
    target = target_lang or lang
    return [
        p.name
        for p in PRESETS.values()
        if lang in p.languages
        and target in p.target_languages
        and (target == lang or p.cross_lingual)
    ]


def check_languages(
    source: str,
    target: str,
    *,
    method: str = "abstractive",
    model: str | None = None,
    preset: Preset | None = None,
    lang_tokens: Mapping[str, int] | None = None,
) -> None:
    """The language policy: raise unless this method and model can summarise ``source`` into ``target``.

    Args:
        source, target: language codes.
        method: ``"abstractive"`` or an extractive method (which copies
            sentences, so writes in the source language only).
        model: the model's name, for messages.
        preset: the model's preset, if any (it lists the languages served).
        lang_tokens: the checkpoint's language tokens (cross-lingual models);
            ``None`` when the checkpoint is not loaded yet (only the preset
            is checked then).

    Raises:
        UnsupportedLanguageError: naming the presets that can.

    >>> check_languages("uk", "en", model="facebook/bart-large-cnn", preset=PRESETS["bart-cnn"])
    Traceback (most recent call last):
    ...
    summarize.errors.UnsupportedLanguageError: model 'bart-cnn' does not serve ukrainian ('uk'); it serves 'en'. Presets that serve 'uk': xlsum, crosssum (or use method='lead'/'textrank')
    """
    from .errors import UnsupportedLanguageError, choices
    from .languages import LANGUAGES

    if method != "abstractive":
        if target != source:
            raise UnsupportedLanguageError(
                f"method {method!r} copies sentences, so its summary is in the source "
                f"language ({source!r}); for a {target!r} summary use model='crosssum'"
            )
        return
    if preset is not None and source not in preset.languages:
        raise UnsupportedLanguageError(
            f"model {preset.name!r} does not serve {LANGUAGES[source].name} ({source!r}); "
            f"it serves {choices(preset.languages)}. Presets that serve {source!r}: "
            f"{', '.join(presets_for(source)) or 'none'} (or use method='lead'/'textrank')"
        )
    cross = preset.cross_lingual if lang_tokens is None and preset is not None else bool(lang_tokens)
    if target != source and not cross:
        if lang_tokens is None and preset is None:
            return  # not known before the checkpoint is read
        raise UnsupportedLanguageError(
            f"model {model!r} writes summaries in the language of the input; for a "
            f"{target!r} summary of {source!r} text use a cross-lingual model: "
            f"{', '.join(presets_for(source, target)) or 'crosssum'}"
        )
    for code in {source, target}:
        if lang_tokens and code not in lang_tokens:
            raise UnsupportedLanguageError(
                f"model {model!r} has no language token for {code!r}; its langid_map "
                f"covers {choices(sorted(lang_tokens))}"
            )
