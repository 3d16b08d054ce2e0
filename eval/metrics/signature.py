"""Signatures: what produced a number, written ``name|key:value|...`` as sacrebleu writes its own.

A ROUGE score's names the scoring, then what generated the summaries, the
data and the sample::

    rouge1|lang:uk|tok:xlsum|stem:none|bs:1000|seed:0|v:0.1.0|gen:ctranslate2/float32/top-32000|data:...|sample:500

Each kind of signature is a frozen dataclass whose fields are written in
their order (a field that is ``None`` is left out) by :meth:`Signature.format`
and read back by :meth:`Signature.parse`, so that a ``scores.json`` written
before this module reads as it did.

Values may hold ``:`` (a field's key ends at its first colon, and ``data:``
values have always held one) and ``|``, which is written twice. A key never
starts with ``|``, so a doubled bar cannot be a separator followed by a
field; and a signature written before could not hold a ``|`` in a value, so
no old signature reads differently.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, TypeVar

from summarize.errors import InvalidInputError, choices

S = TypeVar("S", bound="Signature")


def key(name: str, kind: Callable[[str], Any] = str, **default: Any) -> Any:
    """A signature's field, written ``name:value``; ``kind`` reads the value back (``int`` for a number)."""
    return field(metadata={"key": name, "kind": kind}, **default)


@dataclass(frozen=True, kw_only=True)
class Signature:
    """A signature: its name, then the fields a subclass declares with :func:`key`, in their order.

    >>> sig = RougeSignature(name="rouge1", lang="uk", tokenizer="xlsum", stemming="none", bootstrap=1000, seed=0,
    ...                      version="0.1.0", data="/data/a|b.jsonl@0123:file")
    >>> sig.format()
    'rouge1|lang:uk|tok:xlsum|stem:none|bs:1000|seed:0|v:0.1.0|data:/data/a||b.jsonl@0123:file'
    >>> RougeSignature.parse(sig.format()) == sig
    True
    """

    name: str = key("name")

    def format(self, *, omit: Collection[str] = ()) -> str:
        """The signature as text; ``omit`` leaves out the fields of those keys (``"name"`` for the name)."""
        parts = [] if "name" in omit else [_escape(self.name)]
        for spec in fields(self)[1:]:
            value = getattr(self, spec.name)
            if value is not None and spec.metadata["key"] not in omit:
                parts.append(f"{spec.metadata['key']}:{_escape(value)}")
        return "|".join(parts)

    def __str__(self) -> str:
        return self.format()

    def as_dict(self) -> dict[str, Any]:
        """Every field by its key, the name's included, ``None`` where one is absent."""
        return {spec.metadata["key"]: getattr(self, spec.name) for spec in fields(self)}

    @classmethod
    def parse(cls: type[S], text: str) -> S:
        """Read back what :meth:`format` wrote.

        Raises:
            InvalidInputError: a field is not ``key:value``, is not one of this
                signature's, is there twice or is not of its kind (a number),
                or a field that is always written is missing.
        """
        name, *pairs = _split(text)
        by_key = {spec.metadata["key"]: spec for spec in fields(cls)[1:]}
        values: dict[str, Any] = {"name": name}
        for pair in pairs:
            found, colon, value = pair.partition(":")
            spec = by_key.get(found)
            if not colon:
                raise InvalidInputError(f"signature {text!r}: field {pair!r} is not key:value")
            if spec is None:
                raise InvalidInputError(f"signature {text!r}: unknown field {found!r}; its fields are {choices(by_key)}")
            if spec.name in values:
                raise InvalidInputError(f"signature {text!r} has {found}: twice")
            try:
                values[spec.name] = spec.metadata["kind"](value)
            except ValueError:
                raise InvalidInputError(f"signature {text!r}: {found}:{value} is not a number") from None
        missing = [k for k, spec in by_key.items() if spec.name not in values and spec.default is MISSING]
        if missing:
            raise InvalidInputError(f"signature {text!r} has no {choices(missing)} field")
        return cls(**values)


@dataclass(frozen=True, kw_only=True)
class RougeSignature(Signature):
    """What produced a ROUGE score (the name is the ROUGE type): built by :meth:`summarize_eval.Rouge.signature`.

    ``generation`` (what generated a model's summaries: backend, compute
    type, vocabulary), ``data`` and ``sample`` are added by an evaluation run.
    """

    lang: str = key("lang")
    tokenizer: str = key("tok")
    stemming: str = key("stem")
    bootstrap: int = key("bs", int)
    seed: int = key("seed", int)
    version: str = key("v")
    generation: str | None = key("gen", default=None)
    data: str | None = key("data", default=None)
    sample: str | None = key("sample", default=None)


def _escape(value: object) -> str:
    return str(value).replace("|", "||")


def _split(text: str) -> list[str]:
    """The fields of a signature: ``||`` is a bar in a value, a lone ``|`` ends a field (read left to right)."""
    # The pattern tries the doubled bar first at every position, so "a|||b" is "a|" then "b".
    pieces = re.split(r"(\|\|)|\|", text)
    found = [pieces[0]]
    for bar, piece in zip(pieces[1::2], pieces[2::2]):
        if bar:
            found[-1] += "|" + piece
        else:
            found.append(piece)
    return found
