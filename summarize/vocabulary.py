"""Output vocabulary restriction: score only the pieces an English, Ukrainian or Russian summary can use.

mT5's output layer has 250,112 rows; at every step, for every beam, the
decoder multiplies its state by all of them, though most are pieces of
scripts a summary here never uses (CJK, Arabic, Devanagari...). Vocabulary
trimming (Ushio et al., 2023) shows a model keeps its quality on a subset;
CTranslate2's vocabulary mapping (``use_vmap``) scores a candidate set per
batch. This module builds that set, the same for both backends:

* the special tokens (pad, end, unknown, language tokens...), and pieces that
  are digits or punctuation;
* the ``k`` most likely pieces (by the tokenizer's own unigram scores, or the
  BPE merge order) among pieces written in the served languages' scripts
  (Latin for English, Cyrillic for Ukrainian and Russian);
* every piece of the batch's source documents (summaries copy names and rare
  words from the source).

Greedy search gives exactly the full model's output whenever that output's
tokens are all candidates. Beam search renormalises over the candidates, so
its scores (and, rarely, its choice) can differ from the full model's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import InvalidOptionError
from .languages.scripts import word_script

DEFAULT_K = 32_000
# Restriction is on by default only where the output layer dominates decoding.
LARGE_VOCABULARY = 100_000
MODES = ("auto", "full")


def resolve(vocabulary: str | int, vocab_size: int) -> int | None:
    """``vocabulary=`` as the number of script pieces kept (``None``: the full vocabulary).

    >>> resolve("auto", 250_112), resolve("auto", 32_128), resolve("full", 250_112), resolve(16_000, 250_112)
    (32000, None, None, 16000)
    """
    if isinstance(vocabulary, bool) or not (vocabulary in MODES or (isinstance(vocabulary, int) and vocabulary > 0)):
        raise InvalidOptionError(
            f"vocabulary must be 'auto', 'full' or a number of pieces to keep (an integer >= 1), got {vocabulary!r}"
        )
    if vocabulary == "full":
        return None
    if vocabulary == "auto":
        return DEFAULT_K if vocab_size >= LARGE_VOCABULARY else None
    return int(vocabulary)


def _script_of(piece: str) -> str | None:
    """``"latin"``, ``"cyrillic"``, ``"neutral"`` (digits, punctuation, the space marker) or None (another script, or mixed)."""
    script = word_script(piece.replace("▁", ""))
    return script if script in ("latin", "cyrillic", "neutral") else None


@dataclass(frozen=True)
class Candidates:
    """The fixed part of the candidate set of a tokenizer, for ``k`` script pieces."""

    fixed: frozenset[int]
    k: int
    vocab_size: int

    def for_batch(self, batch: Iterable[Sequence[int]], extra: Iterable[int] = ()) -> list[int]:
        """Sorted candidate ids: the fixed set, every source piece, and ``extra`` (start tokens)."""
        ids = set(self.fixed)
        for row in batch:
            ids.update(row)
        ids.update(i for i in extra if i is not None)
        return sorted(i for i in ids if 0 <= i < self.vocab_size)


def candidates(tokenizer: Any, k: int, vocab_size: int) -> Candidates:
    """The fixed candidates of ``tokenizer``: special tokens, digits and punctuation, and the top ``k`` script pieces."""
    return _candidates(_pieces_and_scores(tokenizer), tuple(sorted(_special_ids(tokenizer))), k, vocab_size)


@lru_cache(maxsize=8)
def _candidates(pieces: tuple[tuple[str, float], ...], special: tuple[int, ...], k: int, vocab_size: int) -> Candidates:
    fixed = set(special)
    ranked = []
    for i, (piece, score) in enumerate(pieces):
        script = _script_of(piece)
        if script == "neutral":
            fixed.add(i)
        elif script in ("latin", "cyrillic"):
            ranked.append((-score, i))
    fixed.update(i for _, i in sorted(ranked)[:k])
    return Candidates(frozenset(i for i in fixed if i < vocab_size), k, vocab_size)


def _pieces_and_scores(tokenizer: Any) -> tuple[tuple[str, float], ...]:
    """Every piece with its score: a unigram model's log probability, else minus its rank (BPE: merge order)."""
    backend = getattr(tokenizer, "backend_tokenizer", None) or getattr(tokenizer, "_tokenizer", None)
    if backend is not None:
        model = json.loads(backend.to_str()).get("model", {})
        if model.get("type") == "Unigram":
            return tuple((piece, float(score)) for piece, score in model["vocab"])
        vocab = model.get("vocab") or {}
        if isinstance(vocab, dict) and vocab:
            size = max(vocab.values()) + 1
            pieces = [""] * size
            for piece, i in vocab.items():
                pieces[i] = piece
            return tuple((piece, -float(i)) for i, piece in enumerate(pieces))
    size = len(tokenizer)
    return tuple((tokenizer.convert_ids_to_tokens(i) or "", -float(i)) for i in range(size))


def _special_ids(tokenizer: Any) -> set[int]:
    ids = set()
    for name in ("pad_token_id", "eos_token_id", "unk_token_id", "bos_token_id"):
        value = getattr(tokenizer, name, None)
        if isinstance(value, int):
            ids.add(value)
    ids.update(getattr(tokenizer, "all_special_ids", None) or [])
    added = getattr(tokenizer, "added_tokens_decoder", None)
    if added is None:  # a tokenizers.Tokenizer without transformers (a cached conversion)
        backend = getattr(tokenizer, "_tokenizer", None)
        added = backend.get_added_tokens_decoder() if hasattr(backend, "get_added_tokens_decoder") else {}
    ids.update(int(i) for i in added)
    return ids


def write_vmap(path: Path, tokenizer: Any, fixed: Candidates) -> None:
    """A CTranslate2 vocabulary map: the fixed candidates always, and each piece maps to itself.

    Every source piece being its own candidate gives the same set as
    :meth:`Candidates.for_batch`.
    """
    pieces = [p for p, _ in _pieces_and_scores(tokenizer)][: fixed.vocab_size]

    def piece(i: int) -> str:
        # Added tokens (mBART's language codes, Pegasus' masks) lie past the model's own pieces.
        return pieces[i] if i < len(pieces) else tokenizer.convert_ids_to_tokens(i)

    lines = ["\t" + " ".join(piece(i) for i in sorted(fixed.fixed))]
    lines += [f"{piece}\t{piece}" for piece in pieces if piece and not any(c.isspace() for c in piece)]
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)
