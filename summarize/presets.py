"""Named presets: a pretrained checkpoint plus the settings it was evaluated with.

``PRESETS`` maps a name to a :class:`Preset`. Any other value of ``model=`` is
a hub id or a local checkpoint directory, served with the checkpoint's own
settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping


@dataclass(frozen=True)
class PublishedScore:
    """ROUGE F1 (x100) reported by a checkpoint's authors.

    ``None`` where a number was not published. ``rouge_l`` says which ROUGE-L
    the third number is: ``"rougeL"`` (summary-level LCS) or ``"rougeLsum"``
    (sentence-split LCS, as BART's CNN/DailyMail numbers are). ``approximate``
    marks numbers read off a plot rather than a table. ``data_revision`` is
    the dataset's version the numbers were measured on, where it has several.
    """

    dataset: str
    lang: str
    target_lang: str
    rouge1: float | None
    rouge2: float | None
    rougeL: float | None
    source: str
    rouge_l: str = "rougeL"
    approximate: bool = False
    data_revision: str | None = None


@dataclass(frozen=True)
class Protocol:
    """How a checkpoint's published numbers were made, read from its authors' own files.

    Attributes:
        source: the repository and path the settings were read from.
        max_input_tokens: input length; longer input was handled by ``long_input``.
        long_input: ``"truncate"`` (the papers cut input at ``max_input_tokens``).
        generation: decoding settings in this library's terms. Lengths are new
            tokens: transformers 4.x counted the decoder start token in
            ``max_length``, so ``max_length=84`` is 83 new tokens.
        scoring: the ROUGE tokenisation scheme the numbers were scored with
            (see ``summarize_eval.tokenizers``).
        notes: what could not be checked, or differs.
    """

    source: str
    max_input_tokens: int
    long_input: str
    generation: Mapping[str, Any]
    scoring: str
    notes: str = ""


@dataclass(frozen=True)
class Preset:
    """A named, pretrained summarisation checkpoint.

    Attributes:
        name: the preset's name (``model="xlsum"``).
        model_id: the Hugging Face hub id.
        languages: source languages it serves.
        target_languages: summary languages it can write.
        cross_lingual: whether the summary language may differ from the source.
        protocol: how its published numbers were made; its decoding settings
            are the preset's (overriding the checkpoint's generation_config).
        description: one line for ``--list-models``.
        published: the authors' scores, for reports.
    """

    name: str
    model_id: str
    languages: tuple[str, ...]
    target_languages: tuple[str, ...]
    cross_lingual: bool
    protocol: Protocol
    description: str = ""
    published: tuple[PublishedScore, ...] = ()

    @property
    def generation(self) -> Mapping[str, Any]:
        """Decoding settings the checkpoint was evaluated with."""
        return self.protocol.generation

    @property
    def max_input_tokens(self) -> int:
        """The input length the checkpoint was evaluated with."""
        return self.protocol.max_input_tokens


_XLSUM_PAPER = "Hasan et al., 2021, XL-Sum (Findings of ACL)"
_CROSSSUM_PAPER = "Bhattacharjee et al., 2023, CrossSum (ACL), read off a plot"

# XL-Sum: seq2seq/evaluate.sh sets MAX_SOURCE_LENGTH=512,
# TEST_MAX_TARGET_LENGTH=84, eval_beams=4, length_penalty=0.6,
# no_repeat_ngram_size=2; pipeline.py truncates the source at 512 tokens.
XLSUM_PROTOCOL = Protocol(
    source="csebuetnlp/xl-sum: seq2seq/evaluate.sh",
    max_input_tokens=512,
    long_input="truncate",
    generation=MappingProxyType({"num_beams": 4, "length_penalty": 0.6, "no_repeat_ngram_size": 2, "max_new_tokens": 83}),
    scoring="xlsum",
)
# CrossSum: seq2seq/evaluator.py defaults max_source_length=512,
# max_target_length=84, beam_size=5, no_repeat_ngram_size=2,
# length_penalty=0.6, and decodes with --use_langid (the target language's
# token starts the summary).
CROSSSUM_PROTOCOL = Protocol(
    source="csebuetnlp/CrossSum: seq2seq/evaluator.py",
    max_input_tokens=512,
    long_input="truncate",
    generation=MappingProxyType({"num_beams": 5, "length_penalty": 0.6, "no_repeat_ngram_size": 2, "max_new_tokens": 83}),
    scoring="xlsum",
)
# BART CNN/DailyMail: the checkpoint's config (task_specific_params
# "summarization": num_beams 4, length_penalty 2.0, max_length 142,
# min_length 56, no_repeat_ngram_size 3, early_stopping); input 1024 tokens.
BART_CNN_PROTOCOL = Protocol(
    source="facebook/bart-large-cnn: config.json (task_specific_params.summarization)",
    max_input_tokens=1024,
    long_input="truncate",
    generation=MappingProxyType(
        {"num_beams": 4, "length_penalty": 2.0, "max_new_tokens": 141, "min_new_tokens": 55, "no_repeat_ngram_size": 3}
    ),
    scoring="google",
    notes="published ROUGE-L is ROUGE-Lsum, with Porter stemming (rouge-score)",
)
# Gazeta: the model card's usage truncates input at 600 tokens and decodes
# with no_repeat_ngram_size=4; beams and lengths are the checkpoint's own.
GAZETA_PROTOCOL = Protocol(
    source="IlyaGusev/mbart_ru_sum_gazeta: README.md (usage)",
    max_input_tokens=600,
    long_input="truncate",
    generation=MappingProxyType({"no_repeat_ngram_size": 4}),
    scoring="xlsum",
    notes="the paper's scoring script was not checked; beams and lengths come from the checkpoint",
)

PRESETS: dict[str, Preset] = {
    "xlsum": Preset(
        name="xlsum",
        model_id="csebuetnlp/mT5_multilingual_XLSum",
        languages=("en", "uk", "ru"),
        target_languages=("en", "uk", "ru"),
        cross_lingual=False,
        protocol=XLSUM_PROTOCOL,
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
        protocol=CROSSSUM_PROTOCOL,
        description="mT5-base fine-tuned on CrossSum; any of en/uk/ru in, any out",
        published=(
            PublishedScore("crosssum", "ru", "en", None, 12.0, None, _CROSSSUM_PAPER, approximate=True),
            PublishedScore("crosssum", "uk", "en", None, 11.5, None, _CROSSSUM_PAPER, approximate=True),
            PublishedScore("crosssum", "en", "ru", None, 9.0, None, _CROSSSUM_PAPER, approximate=True),
        ),
    ),
    "bart-cnn": Preset(
        name="bart-cnn",
        model_id="facebook/bart-large-cnn",
        languages=("en",),
        target_languages=("en",),
        cross_lingual=False,
        protocol=BART_CNN_PROTOCOL,
        description="BART-large fine-tuned on CNN/DailyMail; English only",
        published=(
            PublishedScore("cnn_dailymail", "en", "en", 44.16, 21.28, 40.90, "Lewis et al., 2020, BART (ACL)", rouge_l="rougeLsum"),
        ),
    ),
    "gazeta": Preset(
        name="gazeta",
        model_id="IlyaGusev/mbart_ru_sum_gazeta",
        languages=("ru",),
        target_languages=("ru",),
        cross_lingual=False,
        protocol=GAZETA_PROTOCOL,
        description="mBART-large fine-tuned on Gazeta; Russian only",
        published=(
            PublishedScore("gazeta", "ru", "ru", 32.4, 14.3, 28.0, "Gusev, 2020, Dataset for Automatic Summarization of Russian News",
                           data_revision="v1.0"),
            PublishedScore("gazeta", "ru", "ru", 28.7, 11.1, 24.4, "IlyaGusev/mbart_ru_sum_gazeta: model card (Gazeta v2)",
                           data_revision="v2.0"),
        ),
    ),
}

DEFAULT_PRESET = "xlsum"


def check_model_name(model: Any) -> None:
    """Refuse a ``model`` that names nothing: not a string, or blank.

    >>> check_model_name("")
    Traceback (most recent call last):
    ...
    summarize.errors.ModelNotAvailableError: model must be a preset name (xlsum, crosssum, bart-cnn, gazeta), a hub id or a checkpoint directory, got ''
    """
    if not isinstance(model, str) or not model.strip():
        from .errors import ModelNotAvailableError  # what an unknown model has always raised

        raise ModelNotAvailableError(
            f"model must be a preset name ({', '.join(PRESETS)}), a hub id or a checkpoint directory, got {model!r}")


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
                f"language ({source!r}); for a summary in {LANGUAGES[target].name.title()} ({target!r}) use model='crosssum'"
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
            f"model {model!r} writes summaries in the language of the input; for a summary in "
            f"{LANGUAGES[target].name.title()} ({target!r}) of {source!r} text use a cross-lingual model: "
            f"{', '.join(presets_for(source, target)) or 'crosssum'}"
        )
    for code in {source, target}:
        if lang_tokens and code not in lang_tokens:
            raise UnsupportedLanguageError(
                f"model {model!r} has no language token for {code!r}; its langid_map "
                f"covers {choices(sorted(lang_tokens))}"
            )
