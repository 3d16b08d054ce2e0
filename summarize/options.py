"""The summarizer's options, written once.

:class:`SummarizerOptions` is a frozen, typed record of every
:class:`~summarize.Summarizer` option other than the decoding settings
(those are :class:`~summarize.generation.GenerationSettings`, with their own
rules). Each field carries its default, its accepted values (a closed set,
a lowest value, or a check) and its help, and everything else derives from it:
the constructor's checks, the command lines' flags (:func:`add_arguments`)
and the cache key of :func:`summarize.summarize`. Every front end (the
library, the command line, Ray jobs, the evaluation harness, the service)
builds one and hands it on; none keeps its own defaults.

:class:`CallOptions` is what one call asks (languages, decoding settings for
that call), and :func:`check_call` the one check of a call, which every door
runs before work is queued or a model downloaded.

>>> SummarizerOptions(method="lead", sentences=2).sentences
2
>>> SummarizerOptions(batch_size=0)
Traceback (most recent call last):
...
summarize.errors.InvalidOptionError: batch_size must be an integer >= 1, got 0
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .backends import BACKENDS, DTYPE_NAMES, check_device
from .backends.precision import check_compute_type
from .errors import InvalidOptionError, choices, did_you_mean
from .extractive import METHODS
from .faithfulness import MODES as FAITHFULNESS_MODES
from .generation import GenerationLimits, GenerationSettings, validate_options
from .generation.long_input import LONG_INPUT_MODES
from .presets import DEFAULT_PRESET, PRESETS, check_languages, check_model_name
from .backends.vocabulary import resolve as _resolve_vocabulary

METHOD_NAMES = ("abstractive", *METHODS)
# About 500 pages of text. Longer "documents" are nearly always a file read
# whole by mistake (an archive, a dump); refusing them early keeps memory bounded.
MAX_INPUT_CHARS = 1_000_000


def _option(default: Any, help: str, *, choices: Iterable[Any] | Callable[[], tuple[Any, ...]] | None = None, minimum: int | None = None,
            check: Callable[[Any], Any] | None = None, plural: str = "values", note: str = "",
            parse: Callable[[str], Any] | None = None, cli: bool = True) -> Any:
    return field(default=default, metadata={
        "help": help, "choices": choices if callable(choices) or choices is None else tuple(choices), "minimum": minimum,
        "check": check, "plural": plural, "note": note, "parse": parse, "cli": cli,
    })


Settings = tuple[tuple[str, Any], ...]


def _refuse_unknown(options: Mapping[str, Any]) -> None:
    """A name that is neither an option nor a decoding setting, refused with the closest of both."""
    from .generation import OPTION_NAMES as SETTINGS, V4_NAMES

    known = sorted(n for n in OPTION_NAMES if n != "generation") + list(SETTINGS)
    for name in options:
        if name in OPTION_NAMES or name in SETTINGS or name in V4_NAMES:
            continue  # transformers 4's names are answered with their names here, by the settings' check
        raise InvalidOptionError(f"unknown option {name!r}; {did_you_mean(name, known)}options are {choices(known)}")


def _settings(value: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> Settings:
    """Decoding settings, checked, as sorted ``(name, value)`` pairs."""
    try:
        pairs = dict(value.items() if isinstance(value, Mapping) else value)
    except (TypeError, ValueError):
        raise InvalidOptionError(f"decoding settings must be a mapping such as {{'num_beams': 4}}, got {value!r}") from None
    return tuple(sorted(validate_options(pairs).items()))


def _vocabulary(value: str | int) -> str | int:
    """``--vocabulary 16000`` is a number of pieces; other values are names."""
    return int(value) if isinstance(value, str) and value.isdigit() else value


@dataclass(frozen=True)
class SummarizerOptions:
    """Every :class:`~summarize.Summarizer` option but the decoding settings, checked on creation.

    Raises:
        InvalidOptionError: naming the option, the value and what is accepted.
    """

    model: str = _option(DEFAULT_PRESET, f"preset ({', '.join(PRESETS)}), hub id or checkpoint directory",
                         check=check_model_name)
    method: str = _option("abstractive", "abstractive (a model) or an extractive method", choices=METHOD_NAMES, plural="methods")
    device: str = _option("auto", "auto, cpu, cuda, cuda:N or mps", check=check_device)
    dtype: str = _option("auto", "model dtype of the torch backend", choices=DTYPE_NAMES, plural="dtypes")
    backend: str = _option("auto", "generation backend: auto (CTranslate2 where installed, else torch), torch or ctranslate2",
                           choices=lambda: ("auto", *BACKENDS), plural="backends")  # read when checked: a registered backend counts
    batch_size: int = _option(8, "documents generated together", minimum=1)
    long_input: str = _option("chunk", "chunk (map-reduce) or truncate", choices=LONG_INPUT_MODES)
    max_depth: int = _option(3, "most summarise-the-summaries levels for long input", minimum=1, cli=False)
    sentences: int = _option(3, "sentences in an extractive summary", minimum=1)
    revision: str | None = _option(None, "hub revision of the model (branch, tag or commit)")
    max_input_chars: int = _option(MAX_INPUT_CHARS, "longest document accepted, in characters", minimum=1)
    compute_type: str = _option("auto", "ctranslate2 backend precision: auto (int8 on Intel CPUs, float32 on other CPUs "
                                "and for mT5 on CUDA), int8, int8_bfloat16, float32...", check=check_compute_type)
    cache_dir: str | None = _option(None, "where the ctranslate2 backend keeps converted models", cli=False)
    faithfulness: str = _option("check", "check each summary's numbers, dates and names against its document; rerank: "
                                "return the beam hypothesis with the fewest unsupported facts; off",
                                choices=FAITHFULNESS_MODES)
    vocabulary: str | int = _option("auto", "output vocabulary: auto (restricted to the served scripts for mT5-size "
                                    "vocabularies), full, or the number of script pieces to keep",
                                    check=lambda v: _resolve_vocabulary(v, 0), parse=_vocabulary)
    threads: int = _option(0, "CPU threads (0: every core for ctranslate2, all but one for torch)", minimum=0,
                           note=" (0: every core)")
    generation: Settings = _option((), "default decoding settings (num_beams=...), see GenerationSettings",
                                   check=lambda v: None, cli=False)

    def __post_init__(self) -> None:
        # A mapping is accepted and kept as sorted pairs: the options stay hashable (a cache key).
        object.__setattr__(self, "generation", _settings(self.generation))
        if isinstance(self.model, os.PathLike):  # a checkpoint directory as a Path
            object.__setattr__(self, "model", os.fspath(self.model))
        for f in dataclasses.fields(self):
            _check(f, getattr(self, f.name))
        _check_generation_applies(self.method, self.generation)

    @classmethod
    def of(cls, options: Mapping[str, Any]) -> SummarizerOptions:
        """Options from keyword arguments as :class:`~summarize.Summarizer` takes them: decoding settings go to ``generation``.

        >>> SummarizerOptions.of({"method": "lead", "sentences": 1}).sentences
        1
        >>> SummarizerOptions.of({"num_beams": 2}).generation
        (('num_beams', 2),)
        """
        _refuse_unknown(options)
        mine = {k: v for k, v in options.items() if k in OPTION_NAMES and k != "generation"}
        rest = {**dict(_settings(options.get("generation", ()))), **{k: v for k, v in options.items() if k not in OPTION_NAMES}}
        return cls(**mine, generation=rest)

    @classmethod
    def split(cls, options: Mapping[str, Any]) -> tuple[SummarizerOptions, dict[str, Any]]:
        """Summarizer options, and the decoding settings given beside them (for one call), both checked.

        >>> opts, generation = SummarizerOptions.split({"batch_size": 2, "num_beams": 2})
        >>> opts.batch_size, opts.generation, generation
        (2, (), {'num_beams': 2})
        """
        _refuse_unknown(options)
        mine = {k: v for k, v in options.items() if k in OPTION_NAMES}
        return cls(**mine), dict(_settings({k: v for k, v in options.items() if k not in OPTION_NAMES}))

    def replace(self, **changes: Any) -> SummarizerOptions:
        """A copy with ``changes`` (options or decoding settings) applied, checked.

        >>> SummarizerOptions().replace(batch_size=2, num_beams=1).generation
        (('num_beams', 1),)
        >>> SummarizerOptions(generation={"num_beams": 1}).replace(generation={"max_new_tokens": 9}).generation
        (('max_new_tokens', 9),)
        """
        current = self.as_dict()
        if "generation" in changes:  # given whole: it replaces the decoding settings, not adds to them
            current = {k: v for k, v in current.items() if k in OPTION_NAMES}
        return SummarizerOptions.of({**current, **changes})

    def as_dict(self) -> dict[str, Any]:
        """The options as keyword arguments for :class:`~summarize.Summarizer` (decoding settings flat among them)."""
        flat = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "generation"}
        return {**flat, **dict(self.generation)}


OPTION_NAMES = frozenset(f.name for f in dataclasses.fields(SummarizerOptions))


def check_option(name: str, value: Any) -> None:
    """Check one summarizer option alone, as the options check it: for a door that takes one of them (a request's method).

    >>> check_option("method", "magic")
    Traceback (most recent call last):
    ...
    summarize.errors.InvalidOptionError: unknown method 'magic'; valid methods are 'abstractive', 'lead' or 'textrank'
    """
    _check(_FIELDS[name], value)


_FIELDS = {f.name: f for f in dataclasses.fields(SummarizerOptions)}


def _check(f: dataclasses.Field, value: Any) -> None:
    meta = f.metadata
    if meta["minimum"] is not None:
        if isinstance(value, bool) or not isinstance(value, int) or value < meta["minimum"]:
            raise InvalidOptionError(f"{f.name} must be an integer >= {meta['minimum']}{meta['note']}, got {value!r}")
    elif meta["choices"] is not None:
        accepted = _choices(f)
        if value not in accepted:
            raise InvalidOptionError(f"unknown {f.name} {value!r}; valid {meta['plural']} are {choices(accepted)}")
    elif meta["check"] is not None:
        meta["check"](value)
    elif value is not None and not isinstance(value, str):
        raise InvalidOptionError(f"{f.name} must be a string, got {value!r}")


ERROR_MODES = ("raise", "return")


@dataclass(frozen=True)
class CallOptions:
    """What one call asks of a summarizer: the languages, and decoding settings for this call only.

    Every door builds one (the library from ``summarize``'s keywords, the
    command line from its flags, the service from a request's fields), and
    :func:`check_call` checks it against the summarizer's options.

    >>> CallOptions(lang="uk", target_lang="en").target_lang
    'en'
    >>> CallOptions(lang="pl")
    Traceback (most recent call last):
    ...
    summarize.errors.UnsupportedLanguageError: lang must be 'auto', 'en', 'uk' or 'ru', got 'pl'
    """

    lang: str = "auto"
    target_lang: str | None = None
    generation: Settings = ()

    def __post_init__(self) -> None:
        from .errors import UnsupportedLanguageError
        from .languages import LANGUAGES

        object.__setattr__(self, "generation", _settings(self.generation))
        for name, accepted in (("lang", ("auto", *LANGUAGES)), ("target_lang", (None, *LANGUAGES))):
            value = getattr(self, name)
            if not isinstance(value, (str, type(None))) or value not in accepted:
                raise UnsupportedLanguageError(f"{name} must be {choices([a for a in accepted if a])}, got {value!r}")

    @classmethod
    def of(cls, options: Mapping[str, Any]) -> CallOptions:
        """From :meth:`~summarize.Summarizer.summarize`'s keywords: ``lang``, ``target_lang``, decoding settings.

        >>> CallOptions.of({"lang": "ru", "num_beams": 1}).generation
        (('num_beams', 1),)
        """
        rest = {k: v for k, v in options.items() if k not in ("lang", "target_lang")}
        return cls(options.get("lang", "auto"), options.get("target_lang"), rest)

    def as_dict(self) -> dict[str, Any]:
        """Keyword arguments for :meth:`~summarize.Summarizer.summarize`."""
        return {"lang": self.lang, "target_lang": self.target_lang, **dict(self.generation)}


def _choices(f: dataclasses.Field) -> tuple[Any, ...]:
    accepted = f.metadata["choices"]
    return tuple(accepted()) if callable(accepted) else accepted


def check_call(options: SummarizerOptions, call: CallOptions, *, errors: str = "raise",
               limits: GenerationLimits | None = None, loaded: Any = None) -> GenerationSettings:
    """The one check of a call, before any work is queued or a model downloaded; the settings it decodes with.

    The library runs it on every call (with ``loaded``, the
    :class:`~summarize.Summarizer`: its resolved settings and its
    checkpoint's languages); the command line and Ray jobs run it before the
    model is loaded (the preset's settings and language policy); the service
    before it queues a request (with its ``limits``). So the same bad value
    gets the same error through every door.

    Raises:
        InvalidOptionError: decoding settings for an extractive method, a value
            over ``limits``, an unknown ``errors`` mode.
        UnsupportedLanguageError: a language pair the model does not serve.

    >>> check_call(SummarizerOptions(model="bart-cnn"), CallOptions(lang="uk"))
    Traceback (most recent call last):
    ...
    summarize.errors.UnsupportedLanguageError: model 'bart-cnn' does not serve ukrainian ('uk'); it serves 'en'. Presets that serve 'uk': xlsum, crosssum (or use method='lead'/'textrank')
    >>> check_call(SummarizerOptions(), CallOptions(generation={"num_beams": 64}), limits=GenerationLimits())
    Traceback (most recent call last):
    ...
    summarize.errors.InvalidOptionError: num_beams is 64, over the limit of 16 here
    """
    if errors not in ERROR_MODES:
        raise InvalidOptionError(f"errors must be {choices(ERROR_MODES)}, got {errors!r}")
    generation = dict(call.generation)
    _check_generation_applies(options.method, call.generation)
    base = loaded.settings if loaded is not None else _preset_settings(options)
    settings = base.replace(**generation) if generation else base
    if limits is not None:
        limits.check(settings)
    if call.lang != "auto":
        if loaded is not None:
            loaded.check_languages(call.lang, call.target_lang or call.lang)
        else:
            check_languages(call.lang, call.target_lang or call.lang, method=options.method,
                            model=options.model, preset=preset_of(options))
    return settings


def _check_generation_applies(method: str, generation: Settings) -> None:
    if generation and method != "abstractive":
        names = ", ".join(name for name, _ in generation)
        raise InvalidOptionError(f"generation options ({names}) apply to method='abstractive' only, not {method!r}")


def preset_of(options: SummarizerOptions) -> Any:
    """The options' preset (``None`` for a hub id or directory, and for extractive methods), without loading anything.

    Raises:
        ModelNotAvailableError: a bare name that is no preset (a typo).
    """
    if options.method != "abstractive":
        return None
    from .checkpoints.loading import resolve_model

    return resolve_model(options.model)[0]


def _preset_settings(options: SummarizerOptions) -> GenerationSettings:
    """The settings before the model is loaded: the preset's, then the options'."""
    if options.method != "abstractive":
        return GenerationSettings()
    preset = preset_of(options)
    return GenerationSettings().replace(**dict(preset.generation if preset else {})).replace(**dict(options.generation))


# -- command lines -------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser, names: Iterable[str] | None = None, *,
                  defaults: Mapping[str, Any] | None = None, helps: Mapping[str, str] | None = None) -> None:
    """Add a ``--flag`` for each named option (default: every option a command line takes).

    ``defaults`` and ``helps`` override the schema's for one command (the
    evaluation harness defaults to the torch backend, as the papers ran).
    Values are checked by the schema when the options are built, so both
    command lines give the library's messages.
    """
    defaults, helps = dict(defaults or {}), dict(helps or {})
    chosen = list(names) if names is not None else [f.name for f in dataclasses.fields(SummarizerOptions) if f.metadata["cli"]]
    by_name = {f.name: f for f in dataclasses.fields(SummarizerOptions)}
    for name in chosen:
        f = by_name[name]
        default = defaults.get(name, f.default)
        kind = f.metadata["parse"] or (int if f.metadata["minimum"] is not None else str)
        shown = f"{default:,}" if isinstance(default, int) and not isinstance(default, bool) else default
        suffix = f" (default: {shown})" if default is not None else ""
        parser.add_argument(
            "--" + name.replace("_", "-"), type=kind, default=default,
            choices=_choices(f) if f.metadata["choices"] is not None and f.metadata["parse"] is None else None,
            help=helps.get(name, f.metadata["help"]) + suffix,
        )


def options_from_args(args: argparse.Namespace, names: Iterable[str] | None = None) -> dict[str, Any]:
    """The summarizer options a parsed command line holds (those :func:`add_arguments` added)."""
    chosen = names if names is not None else [f.name for f in dataclasses.fields(SummarizerOptions) if f.metadata["cli"]]
    return {name: getattr(args, name) for name in chosen if hasattr(args, name)}
