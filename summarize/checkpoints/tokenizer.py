"""A checkpoint's tokenizer without transformers (or torch) behind it.

The CTranslate2 backend saves the checkpoint's fast tokenizer
(``tokenizer.json``) beside its conversion. Later runs load it with the
``tokenizers`` library alone, through :class:`StandaloneTokenizer`, which
offers the part of the transformers tokenizer API the library uses; a
process that summarises with CTranslate2 then never imports torch (about
200 MB less resident memory, and seconds less start-up).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any


class StandaloneTokenizer:
    """``tokenizers.Tokenizer`` with the methods :class:`~summarize.Summarizer` calls."""

    def __init__(self, path: str | Path, *, pad_token_id: int, eos_token_id: int, unk_token_id: int | None):
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(path))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        self.pad_token_id = pad_token_id
        self.eos_token_id = eos_token_id
        self.unk_token_id = unk_token_id

    def __call__(self, text: str | Sequence[str], add_special_tokens: bool = True, **unused: Any):
        if isinstance(text, str):
            ids: Any = self._tokenizer.encode(text, add_special_tokens=add_special_tokens).ids
        else:
            ids = [e.ids for e in self._tokenizer.encode_batch(list(text), add_special_tokens=add_special_tokens)]
        return SimpleNamespace(input_ids=ids)

    def decode(self, ids: Sequence[int], skip_special_tokens: bool = False, clean_up_tokenization_spaces: bool = False) -> str:
        text = self._tokenizer.decode(list(ids), skip_special_tokens=skip_special_tokens)
        if clean_up_tokenization_spaces:  # transformers' clean-up, for the same text as its tokenizers give
            for before, after in ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                                  (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")):
                text = text.replace(before, after)
        return text

    def convert_ids_to_tokens(self, ids: int | Sequence[int]):
        if isinstance(ids, int):
            return self._tokenizer.id_to_token(ids)
        return [self._tokenizer.id_to_token(i) for i in ids]

    def convert_tokens_to_ids(self, tokens: str | Sequence[str]):
        def one(token: str) -> int:
            found = self._tokenizer.token_to_id(token)
            return self.unk_token_id if found is None else found

        return one(tokens) if isinstance(tokens, str) else [one(t) for t in tokens]
