"""The summarizer's options, written once.

:class:`SummarizerOptions` is a frozen, typed record of every
:class:`~summarize.Summarizer` option other than the decoding settings
(those are :class:`~summarize.generation.GenerationSettings`, with their own
rules). Each field carries its default, its accepted values (a closed set,
a lowest value, or a check) and its help, and everything else derives from it:
the constructor's checks, :func:`check_options` (what front ends run before
anything is loaded: Ray actors, a job's deferred summarizer), the command
lines' flags (:func:`add_arguments`) and the cache key of
:func:`summarize.summarize`.

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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .backends import BACKENDS, DTYPE_NAMES, check_device
from .backends.precision import check_compute_type
from .errors import InvalidOptionError, choices
from .extractive import METHODS
from .faithfulness import MODES as FAITHFULNESS_MODES
from .generation import validate_options
from .long_input import LONG_INPUT_MODES
from .presets import DEFAULT_PRESET, PRESETS
from .vocabulary import resolve as _resolve_vocabulary

METHOD_NAMES = ("abstractive", *METHODS)
# About 500 pages of text. Longer "documents" are nearly always a file read
# whole by mistake (an archive, a dump); refusing them early keeps memory bounded.
MAX_INPUT_CHARS = 1_000_000


def _option(default: Any, help: str, *, choices: Iterable[Any] | None = None, minimum: int | None = None,
            check: Callable[[Any], Any] | None = None, plural: str = "values", note: str = "",
            parse: Callable[[str], Any] | None = None, cli: bool = True) -> Any:
    return field(default=default, metadata={
        "help": help, "choices": tuple(choices) if choices is not None else None, "minimum": minimum,
        "check": check, "plural": plural, "note": note, "parse": parse, "cli": cli,
    })


def _vocabulary(value: str | int) -> str | int:
    """``--vocabulary 16000`` is a number of pieces; other values are names."""
    return int(value) if isinstance(value, str) and value.isdigit() else value


@dataclass(frozen=True)
class SummarizerOptions:
    """Every :class:`~summarize.Summarizer` option but the decoding settings, checked on creation.

    Raises:
        InvalidOptionError: naming the option, the value and what is accepted.
    """

    model: str = _option(DEFAULT_PRESET, f"preset ({', '.join(PRESETS)}), hub id or checkpoint directory")
    method: str = _option("abstractive", "abstractive (a model) or an extractive method", choices=METHOD_NAMES, plural="methods")
    device: str = _option("auto", "auto, cpu, cuda, cuda:N or mps", check=check_device)
    dtype: str = _option("auto", "model dtype of the torch backend", choices=DTYPE_NAMES, plural="dtypes")
    backend: str = _option("auto", "generation backend: auto (CTranslate2 where installed, else torch), torch or ctranslate2",
                           choices=("auto", *BACKENDS), plural="backends")
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

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            _check(f, getattr(self, f.name))

    @classmethod
    def split(cls, options: Mapping[str, Any]) -> tuple[SummarizerOptions, dict[str, Any]]:
        """Summarizer options and generation options, both checked.

        >>> opts, generation = SummarizerOptions.split({"method": "lead", "num_beams": 2})
        >>> opts.method, generation
        ('lead', {'num_beams': 2})
        """
        names = {f.name for f in dataclasses.fields(cls)}
        mine = {k: v for k, v in options.items() if k in names}
        return cls(**mine), validate_options({k: v for k, v in options.items() if k not in names})

    def as_dict(self) -> dict[str, Any]:
        """The options as keyword arguments for :class:`~summarize.Summarizer`."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


OPTION_NAMES = frozenset(f.name for f in dataclasses.fields(SummarizerOptions))


def _check(f: dataclasses.Field, value: Any) -> None:
    meta = f.metadata
    if meta["minimum"] is not None:
        if isinstance(value, bool) or not isinstance(value, int) or value < meta["minimum"]:
            raise InvalidOptionError(f"{f.name} must be an integer >= {meta['minimum']}{meta['note']}, got {value!r}")
    elif meta["choices"] is not None:
        if value not in meta["choices"]:
            raise InvalidOptionError(f"unknown {f.name} {value!r}; valid {meta['plural']} are {choices(meta['choices'])}")
    elif meta["check"] is not None:
        meta["check"](value)
    elif value is not None and not isinstance(value, str):
        raise InvalidOptionError(f"{f.name} must be a string, got {value!r}")


def check_options(options: Mapping[str, Any]) -> None:
    """Check :class:`~summarize.Summarizer` keyword arguments without loading anything.

    For front ends that build the summarizer elsewhere (Ray actors, a job's
    deferred summarizer), so that a bad value fails before the job starts.

    >>> check_options({"method": "extractive"})
    Traceback (most recent call last):
    ...
    summarize.errors.InvalidOptionError: unknown method 'extractive'; valid methods are 'abstractive', 'lead' or 'textrank'
    """
    SummarizerOptions.split(options)


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
            choices=f.metadata["choices"] if f.metadata["parse"] is None else None,
            help=helps.get(name, f.metadata["help"]) + suffix,
        )


def options_from_args(args: argparse.Namespace, names: Iterable[str] | None = None) -> dict[str, Any]:
    """The summarizer options a parsed command line holds (those :func:`add_arguments` added)."""
    chosen = names if names is not None else [f.name for f in dataclasses.fields(SummarizerOptions) if f.metadata["cli"]]
    return {name: getattr(args, name) for name in chosen if hasattr(args, name)}
