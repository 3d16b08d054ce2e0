"""Output vocabulary restriction: score only the pieces an English, Ukrainian or Russian summary can use.

mT5's output layer has 250,112 rows; at every step, for every beam, the
decoder multiplies its state by all of them, though most are pieces of
scripts a summary here never uses (CJK, Arabic, Devanagari...). Vocabulary
trimming (Ushio et al., 2023) shows a model keeps its quality on a subset.
This module builds that subset, **one fixed list per loaded model**, the same
for every batch and both backends:

* the special tokens (pad, end, unknown, added tokens), and every token the
  checkpoint may force (its decoder start, forced first and last tokens, the
  language tokens of a cross-lingual checkpoint);
* pieces that are digits or punctuation;
* the ``k`` most likely pieces (by the tokenizer's own unigram scores, or the
  BPE merge order) among pieces written in the served languages' scripts
  (Latin for English, Cyrillic for Ukrainian and Russian).

Why fixed: a candidate list that grew with the batch's source pieces made a
document's summary depend on its batch mates (its candidates, and so its beam
scores, were the union of theirs), and it walked into a CTranslate2 defect:
with ``use_vmap`` the position of every forced token in the candidate list is
kept from the first mapped batch a replica ran (``_to_output_word_id`` in
``src/layers/decoder.cc`` is filled with ``emplace`` and never cleared), so a
later batch with another list forced the wrong token or raised
``IndexError``. With one list, positions never change and mates cannot matter:
a summary is a function of its document, its options and the model, by
construction.

Greedy search gives exactly the full model's output whenever that output's
tokens are all candidates. Beam search renormalises over the candidates, so
its scores (and, rarely, its choice) can differ from the full model's; the
evaluation's protocol path keeps the full vocabulary.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from ..errors import InvalidOptionError
from ..languages.scripts import word_script

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
    """The candidate list of a loaded model: sorted token ids, the same for every batch.

    Attributes:
        ids: the candidates, ascending (a candidate's position is its index here).
        k: script pieces kept by score (the ``vocabulary=`` option).
        vocab_size: rows of the model's output layer.
    """

    ids: tuple[int, ...]
    k: int
    vocab_size: int

    def __contains__(self, token: object) -> bool:
        return token in self._positions

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def _positions(self) -> dict[int, int]:
        return {token: i for i, token in enumerate(self.ids)}

    def position(self, token: int) -> int:
        """Where ``token`` is in :attr:`ids`.

        Raises:
            InvalidOptionError: ``token`` is not a candidate (a token the
                model was asked to force that the list was not built with).
        """
        try:
            return self._positions[token]
        except KeyError:
            raise InvalidOptionError(
                f"token {token} is not among the {len(self.ids):,} candidates of the restricted vocabulary; "
                "use vocabulary='full'"
            ) from None

    @property
    def label(self) -> str:
        """What a summary reports as its ``vocabulary``: ``"top-K"``."""
        return f"top-{self.k}"

    def digest(self) -> str:
        """A short hash of the list: part of the key of anything built from it (a CTranslate2 vocabulary map)."""
        import hashlib

        return hashlib.sha256(json.dumps([self.vocab_size, self.ids]).encode()).hexdigest()[:12]


def candidates(tokenizer: Any, k: int, vocab_size: int, forced: Iterable[int | None] = ()) -> Candidates:
    """The candidate list of ``tokenizer``: specials, ``forced`` tokens, digits and punctuation, the top ``k`` script pieces.

    ``forced`` are the ids a model may be made to emit whatever it scores
    (decoder start, forced first and last tokens, language tokens): they are
    candidates so that every batch shares one list.
    """
    forced_ids = tuple(sorted({int(i) for i in forced if i is not None}))
    return _candidates(_pieces_and_scores(tokenizer), tuple(sorted(_special_ids(tokenizer))), forced_ids, k, vocab_size)


@lru_cache(maxsize=8)
def _candidates(
    pieces: tuple[tuple[str, float], ...], special: tuple[int, ...], forced: tuple[int, ...], k: int, vocab_size: int
) -> Candidates:
    fixed = set(special) | set(forced)
    ranked = []
    first_of: dict[str, int] = {}
    for i, (piece, score) in enumerate(pieces):
        first_of.setdefault(piece, i)
        script = _script_of(piece)
        if script == "neutral":
            fixed.add(i)
        elif script in ("latin", "cyrillic"):
            ranked.append((-score, i))
    fixed.update(i for _, i in sorted(ranked)[:k])

    def writable(i: int) -> bool:
        # A CTranslate2 vocabulary map names pieces separated by spaces, and
        # reads each name back as its first id: a piece with white space in
        # it, or the second id of a repeated piece, could not be a candidate
        # there, so it is one on neither backend (added tokens past the
        # pieces are looked up by the backend).
        if i >= len(pieces):
            return True
        piece = pieces[i][0]
        return bool(piece) and not any(c.isspace() for c in piece) and first_of[piece] == i

    kept = {i for i in fixed if 0 <= i < vocab_size and (writable(i) or i in forced or i in special)}
    return Candidates(tuple(sorted(kept)), k, vocab_size)


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
    """A CTranslate2 vocabulary map whose one line is the candidate list.

    No source piece maps to anything, so CTranslate2's candidates for a batch
    are this line whatever the batch holds (plus the target prefixes, which
    are candidates already).
    """
    pieces = [p for p, _ in _pieces_and_scores(tokenizer)][: fixed.vocab_size]

    def piece(i: int) -> str:
        # Added tokens (mBART's language codes, Pegasus' masks) lie past the model's own pieces.
        return pieces[i] if i < len(pieces) else tokenizer.convert_ids_to_tokens(i)

    names = [piece(i) for i in fixed.ids]
    first: dict[str, int] = {}
    for i, name in enumerate(pieces):
        first.setdefault(name, i)
    # CTranslate2 reads each name back as the first id that has it: a name
    # with white space, or one an earlier id also has, would be another token there.
    bad = [name for i, name in zip(fixed.ids, names)
           if not name or any(c.isspace() for c in name) or first.get(name, i) != i]
    if bad:
        raise InvalidOptionError(
            f"the restricted vocabulary cannot name the token(s) {', '.join(map(repr, bad[:5]))} on CTranslate2; "
            "use vocabulary='full'"
        )
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\t" + " ".join(names) + "\n", encoding="utf-8")
    tmp.replace(path)


def for_checkpoint(checkpoint: Any, vocabulary: str | int, vocab_size: int) -> Candidates | None:
    """The candidate list a backend serving ``checkpoint`` uses for ``vocabulary=`` (``None``: the full vocabulary).

    One home for both backends: the same checkpoint gets the same list on
    torch and CTranslate2, with every token the checkpoint forces in it.
    """
    k = resolve(vocabulary, vocab_size)
    if k is None:
        return None
    tok = checkpoint.tokenizer
    forced = [
        checkpoint.decoder_start_token_id, checkpoint.forced_bos_token_id, checkpoint.forced_eos_token_id,
        *checkpoint.lang_tokens.values(), getattr(tok, "eos_token_id", None), getattr(tok, "pad_token_id", None),
    ]
    return candidates(tok, k, vocab_size, forced)
