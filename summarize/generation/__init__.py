"""Decoding settings: what they are, which values are valid, how they combine.

Settings come from four places, later ones winning: the library's defaults,
the checkpoint's own ``generation_config``, the preset (the settings a
checkpoint was evaluated with) and the caller's keyword arguments.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from collections.abc import Sequence
from typing import Any

from ..errors import InvalidOptionError, choices, did_you_mean


@dataclass(frozen=True)
class GenerationSettings:
    """Decoding settings for abstractive summarisation.

    Attributes:
        num_beams: beam width; 1 is greedy search.
        max_new_tokens: most tokens a summary may have.
        min_new_tokens: fewest tokens a summary may have.
        no_repeat_ngram_size: forbid repeating any n-gram of this size (0: off).
        length_penalty: exponent on length in beam scores (> 1 favours long).
        do_sample: sample instead of searching (off by default: summaries
            should be reproducible).
        temperature, top_k, top_p: sampling settings, used with do_sample.
    """

    num_beams: int = 4
    max_new_tokens: int = 128
    min_new_tokens: int = 0
    no_repeat_ngram_size: int = 3
    length_penalty: float = 1.0
    do_sample: bool = False
    temperature: float = 1.0
    top_k: int = 50
    top_p: float = 1.0

    def replace(self, **options: Any) -> GenerationSettings:
        """Return a copy with ``options`` applied, after validating them.

        >>> GenerationSettings().replace(num_beams=1).num_beams
        1
        >>> GenerationSettings().replace(beams=2)
        Traceback (most recent call last):
        ...
        summarize.errors.InvalidOptionError: unknown generation option 'beams'; did you mean 'num_beams'? valid options are 'do_sample', 'length_penalty', 'max_new_tokens', 'min_new_tokens', 'no_repeat_ngram_size', 'num_beams', 'temperature', 'top_k' or 'top_p'
        """
        options = validate_options(options)
        new = dataclasses.replace(self, **options)
        # Lowering one bound past the other one inherited from a preset moves
        # that one along (max_new_tokens=5 on bart-cnn, whose minimum is 55).
        if new.min_new_tokens > new.max_new_tokens and "min_new_tokens" not in options:
            new = dataclasses.replace(new, min_new_tokens=new.max_new_tokens)
        elif new.min_new_tokens > new.max_new_tokens and "max_new_tokens" not in options:
            new = dataclasses.replace(new, max_new_tokens=new.min_new_tokens)
        if new.min_new_tokens > new.max_new_tokens:
            raise InvalidOptionError(
                f"min_new_tokens ({new.min_new_tokens}) is larger than "
                f"max_new_tokens ({new.max_new_tokens})"
            )
        return new

    def as_dict(self) -> dict[str, Any]:
        """The settings as a plain dict (for reports and JSON)."""
        return dataclasses.asdict(self)


OPTION_NAMES = tuple(sorted(f.name for f in dataclasses.fields(GenerationSettings)))

# transformers 4's names for what these settings are called here: a caller who
# brings one is told the name, and how its meaning differs.
V4_NAMES = {
    "max_length": "max_new_tokens (max_length counted the decoder's start token: max_new_tokens = max_length - 1)",
    "min_length": "min_new_tokens (min_length counted the decoder's start token: min_new_tokens = min_length - 1)",
    "early_stopping": "nothing: beam search here stops when num_beams hypotheses have finished",
    "truncation": "long_input='truncate' on the Summarizer (by default a long input is summarised window by window)",
    "clean_up_tokenization_spaces": "nothing: summaries are decoded as their tokenizer does",
}


@dataclass(frozen=True)
class GenerationLimits:
    """Ceilings on what one call may ask of the model: a service's operator sets them.

    A summary's cost grows with its length (quadratically, with attention) and
    with the beam; without ceilings one request could hold the only worker
    for days. The defaults are above every preset's protocol (at most 142
    tokens and 4 beams).

    >>> GenerationLimits().check(GenerationSettings(num_beams=64))
    Traceback (most recent call last):
    ...
    summarize.errors.InvalidOptionError: num_beams is 64, over the limit of 16 here
    """

    max_new_tokens: int = 1024
    num_beams: int = 16

    def __post_init__(self) -> None:
        for name in ("max_new_tokens", "num_beams"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidOptionError(f"the limit on {name} must be an integer >= 1, got {value!r}")

    def check(self, settings: GenerationSettings) -> None:
        """Raise :class:`InvalidOptionError` naming the first setting over its ceiling."""
        for name in ("max_new_tokens", "num_beams"):
            value, ceiling = getattr(settings, name), getattr(self, name)
            if value > ceiling:
                raised = " (min_new_tokens raises it)" if name == "max_new_tokens" and settings.min_new_tokens == value else ""
                raise InvalidOptionError(f"{name} is {value}{raised}, over the limit of {ceiling} here")

# name -> (type, lowest accepted value, highest accepted value, description)
_RULES: dict[str, tuple[type, float | None, float | None, str]] = {
    "num_beams": (int, 1, None, "an integer >= 1"),
    "max_new_tokens": (int, 1, None, "an integer >= 1"),
    "min_new_tokens": (int, 0, None, "an integer >= 0"),
    "no_repeat_ngram_size": (int, 0, None, "an integer >= 0 (0 turns it off)"),
    "length_penalty": (float, None, None, "a number"),
    "do_sample": (bool, None, None, "True or False"),
    "temperature": (float, 1e-6, None, "a number > 0"),
    "top_k": (int, 0, None, "an integer >= 0"),
    "top_p": (float, 1e-6, 1.0, "a number in (0, 1]"),
}


# What each setting does, for command lines (``--num-beams``...).
HELP = {
    "num_beams": "beam width", "max_new_tokens": "longest summary in tokens", "min_new_tokens": "shortest summary in tokens",
    "no_repeat_ngram_size": "forbid repeated n-grams of this size", "length_penalty": "beam length penalty",
    "do_sample": "sample instead of searching", "temperature": "sampling temperature", "top_k": "sample from the k most likely",
    "top_p": "sample from the smallest set of this probability",
}
# The settings the command lines take; the rest stay at the preset's.
CLI_OPTIONS = ("num_beams", "max_new_tokens", "min_new_tokens", "no_repeat_ngram_size", "length_penalty")


def add_generation_arguments(parser: Any, names: Sequence[str] = CLI_OPTIONS) -> None:
    """Add ``--num-beams`` and the other settings named; unset, each stays at the preset's value."""
    for name in names:
        parser.add_argument("--" + name.replace("_", "-"), type=_RULES[name][0], help=f"{HELP[name]} (default: the preset's)")


def generation_from_args(args: Any, names: Sequence[str] = CLI_OPTIONS) -> dict[str, Any]:
    """The settings a parsed command line gives (those left unset are not in it)."""
    return {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}


def validate_options(options: dict[str, Any]) -> dict[str, Any]:
    """Check generation options by name, type and range; return them normalised.

    Raises:
        InvalidOptionError: naming the option, the value and what is accepted.

    >>> validate_options({"num_beams": 4, "length_penalty": 2})
    {'num_beams': 4, 'length_penalty': 2.0}
    """
    clean: dict[str, Any] = {}
    for name, value in options.items():
        if name not in _RULES:
            if name in V4_NAMES:
                raise InvalidOptionError(f"{name!r} is transformers 4's name; here it is {V4_NAMES[name]}")
            raise InvalidOptionError(
                f"unknown generation option {name!r}; {did_you_mean(name, OPTION_NAMES)}valid options are {choices(OPTION_NAMES)}"
            )
        kind, low, high, accepted = _RULES[name]

        def bad() -> InvalidOptionError:  # built only when raised: a call's settings are checked on every call
            return InvalidOptionError(f"{name} must be {accepted}, got {_shown(value)}")

        if kind is bool:
            if not isinstance(value, bool):
                raise bad()
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad()
        elif isinstance(value, float) and not math.isfinite(value):
            raise bad()  # NaN or infinity: no setting means anything with it
        elif isinstance(value, int) and abs(value) > 2**31:
            raise bad()  # a 4,000-digit integer is no setting (and no float either: it would overflow)
        elif kind is int and (not float(value).is_integer() or abs(value) > 2**31):
            raise bad()  # 1e308 is no beam width: refused as what it is, not as a 309-digit integer
        value = kind(value)
        if (low is not None and value < low) or (high is not None and value > high):
            raise bad()
        clean[name] = value
    return clean


def _shown(value: Any) -> str:
    """A bad value as a message shows it: short, and an integer too long to print named as such.

    >>> _shown(0), _shown("x" * 50), _shown(10 ** 5000)
    ('0', "'xxxxxxxxxxx... (52 characters)", 'an integer of over 4,300 digits')
    """
    try:
        text = repr(value)
    except ValueError:  # Python refuses to print integers of over 4,300 digits
        return "an integer of over 4,300 digits"
    return text if len(text) <= 40 else f"{text[:12]}... ({len(text):,} characters)"


def settings_from_checkpoint(generation_config: Any) -> dict[str, Any]:
    """The decoding settings a checkpoint's ``generation_config`` sets explicitly.

    Only values that differ from transformers' defaults count (its default
    ``max_length`` of 20 is a placeholder, not a checkpoint's choice). Lengths
    are counted by transformers including the decoder's start token, hence the
    ``- 1``.
    """
    if generation_config is None:
        return {}
    diff = generation_config.to_diff_dict()
    found: dict[str, Any] = {}
    for name in ("num_beams", "no_repeat_ngram_size", "length_penalty"):
        if diff.get(name) is not None:
            found[name] = diff[name]
    if diff.get("max_new_tokens"):
        found["max_new_tokens"] = diff["max_new_tokens"]
    elif diff.get("max_length"):
        found["max_new_tokens"] = max(1, diff["max_length"] - 1)
    if diff.get("min_new_tokens"):
        found["min_new_tokens"] = diff["min_new_tokens"]
    elif diff.get("min_length"):
        found["min_new_tokens"] = max(0, diff["min_length"] - 1)
    try:
        return validate_options(found)
    except InvalidOptionError:
        return {}


def resolve_settings(checkpoint: Any, options: dict[str, Any]) -> GenerationSettings:
    """The settings a checkpoint decodes with: library defaults < its generation_config < its preset < ``options``."""
    preset = checkpoint.preset
    return (
        GenerationSettings()
        .replace(**checkpoint.generation_defaults)
        .replace(**(dict(preset.generation) if preset else {}))
        .replace(**options)
    )
