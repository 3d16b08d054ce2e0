"""Tiny checkpoints built offline, for tests, examples and smoke benchmarks.

Nothing here downloads anything. :func:`build_tiny_checkpoint` trains a real
SentencePiece tokenizer on a few paragraphs of news-like text in English,
Ukrainian and Russian, builds a randomly initialised mT5 (or BART) model of a
chosen size, and saves both with ``save_pretrained``, so that the result loads
through exactly the path a downloaded checkpoint takes::

    >>> import tempfile
    >>> path = build_tiny_checkpoint(tempfile.mkdtemp())  # doctest: +SKIP
    >>> Summarizer(model=path).summarize("...")           # doctest: +SKIP

The summaries of a random model are gibberish; what tests check is everything
around them (loading, languages, batching, chunking, metadata, files).

From the shell, ``python -m summarize.testing DIR`` builds one (a few
seconds, under 1 MB) and prints the command that summarises with it: the
whole abstractive path, offline, on any machine.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .checkpoints.quiet import quiet_transformers

# Written for this library: short news-like passages, a few per language.
CORPUS = {
    "en": [
        "The city council approved a new budget on Tuesday after a long debate.",
        "Officials said the funds would repair roads and schools before winter.",
        "Energy prices rose by 13.5 percent in October, the statistics office reported.",
        "Dr. Jane Smith, an economist, warned that inflation could slow growth next year.",
        "Talks between the two governments resumed in Geneva on Monday.",
        "The minister said a deal on grain exports was close but not yet signed.",
        "Heavy rain flooded several villages, and rescue teams evacuated 200 people.",
        "The central bank kept its key interest rate unchanged at 4 percent.",
    ],
    "uk": [
        "Міська рада у вівторок ухвалила новий бюджет після тривалих дебатів.",
        "Посадовці заявили, що кошти підуть на ремонт доріг і шкіл до зими.",
        "Ціни на енергоносії у жовтні зросли на 13,5 відсотка, повідомила статслужба.",
        "Економістка Олена Коваль попередила, що інфляція може сповільнити зростання.",
        "Переговори між двома урядами відновилися в Женеві в понеділок.",
        "Міністр сказав, що угода щодо експорту зерна близька, але ще не підписана.",
        "Сильні дощі затопили кілька сіл, рятувальники евакуювали 200 людей.",
        "Національний банк зберіг облікову ставку на рівні 4 відсотків.",
        "П'ять об'єктів енергетики пошкоджено, а ремонт триватиме тиждень.",
    ],
    "ru": [
        "Городской совет во вторник утвердил новый бюджет после долгих дебатов.",
        "Чиновники заявили, что средства пойдут на ремонт дорог и школ до зимы.",
        "Цены на энергоносители в октябре выросли на 13,5 процента, сообщила статслужба.",
        "Экономист Елена Коваль предупредила, что инфляция может замедлить рост.",
        "Переговоры между двумя правительствами возобновились в Женеве в понедельник.",
        "Министр сказал, что сделка по экспорту зерна близка, но ещё не подписана.",
        "Сильные дожди затопили несколько сёл, спасатели эвакуировали 200 человек.",
        "Центральный банк сохранил ключевую ставку на уровне 4 процентов.",
    ],
}

LANG_TOKENS = {"english": "<2en>", "ukrainian": "<2uk>", "russian": "<2ru>"}


def train_sentencepiece(directory: str | Path, vocab_size: int = 400, extra_symbols: tuple[str, ...] = ()) -> Path:
    """Train a unigram SentencePiece model on :data:`CORPUS`; return ``spiece.model``'s path.

    Ids follow mT5: 0 pad, 1 eos, 2 unk.
    """
    import sentencepiece as spm

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    lines = [s for sentences in CORPUS.values() for s in sentences]
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines * 4),
        model_prefix=str(directory / "spiece"),
        vocab_size=vocab_size,
        model_type="unigram",
        pad_id=0,
        eos_id=1,
        unk_id=2,
        bos_id=-1,
        character_coverage=1.0,
        hard_vocab_limit=False,
        user_defined_symbols=list(extra_symbols),
        minloglevel=2,
    )
    (directory / "spiece.vocab").unlink(missing_ok=True)
    return directory / "spiece.model"


def build_tiny_checkpoint(
    directory: str | Path,
    *,
    cross_lingual: bool = False,
    d_model: int = 32,
    layers: int = 2,
    heads: int = 4,
    d_ff: int = 64,
    vocab_size: int = 400,
    max_input_tokens: int | None = None,
    generation: dict | None = None,
    seed: int = 0,
    t5_prefix: str | None = None,
    filler_pieces: int = 0,
) -> str:
    """Save a random-weight mT5 with a real SentencePiece tokenizer to ``directory``.

    Args:
        directory: where to write (created if missing).
        cross_lingual: add language tokens and a CrossSum-style ``langid_map``
            (``config.task_specific_params["langid_map"]``).
        d_model: hidden size.
        layers: layers in the encoder, and in the decoder.
        heads: attention heads.
        d_ff: feed-forward size.
        vocab_size: SentencePiece vocabulary size (the model matches it).
        max_input_tokens: ``model_max_length`` written into the tokenizer config.
        generation: values for ``generation_config.json``.
        seed: weights are drawn from this seed.
        t5_prefix: build an original-T5-style checkpoint (``model_type="t5"``)
            whose config asks for this input prefix (``"summarize: "``).
        filler_pieces: add this many rarely used Latin and Cyrillic pieces
            (before the language tokens), for a vocabulary as large as real
            ones: 100,000 or more is restricted by default
            (:mod:`summarize.backends.vocabulary`).

    Returns:
        The directory, as a string, ready for ``Summarizer(model=...)``.
    """
    import torch
    from transformers import GenerationConfig, MT5Config, MT5ForConditionalGeneration, T5Config, T5ForConditionalGeneration

    directory = Path(directory)
    train_sentencepiece(directory, vocab_size=vocab_size)
    if filler_pieces:
        _append_pieces(directory / "spiece.model", _fillers(filler_pieces), score=-30.0, user_defined=False)
    if cross_lingual:
        # At the top of the vocabulary, as CrossSum's language tokens are: ids
        # that a candidate list (the vocabulary restriction) must translate.
        _append_pieces(directory / "spiece.model", LANG_TOKENS.values())
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(directory / "spiece.model"))
    n_pieces = sp.get_piece_size()
    tokenizer_config = {"tokenizer_class": "T5Tokenizer", "extra_ids": 0}
    if max_input_tokens:
        tokenizer_config["model_max_length"] = max_input_tokens
    (directory / "tokenizer_config.json").write_text(json.dumps(tokenizer_config))

    params: dict = {}
    if cross_lingual:
        params["langid_map"] = {name: [i, tok] for i, (name, tok) in enumerate(LANG_TOKENS.items())}
    if t5_prefix is not None:
        params["summarization"] = {"prefix": t5_prefix}
    config_class, model_class = (T5Config, T5ForConditionalGeneration) if t5_prefix is not None else (MT5Config, MT5ForConditionalGeneration)
    config = config_class(
        vocab_size=n_pieces,
        d_model=d_model,
        d_kv=d_model // heads,
        d_ff=d_ff,
        num_layers=layers,
        num_decoder_layers=layers,
        num_heads=heads,
        decoder_start_token_id=0,
        pad_token_id=0,
        eos_token_id=1,
        task_specific_params=params or None,
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = model_class(config)
    # Default init gives near-uniform logits, so a random model repeats one
    # token; wider weights make its outputs vary with the input, which the
    # tests need (batching must not change them, chunking must show).
    with torch.no_grad():
        for param in model.parameters():
            if param.dim() > 1:
                param.normal_(0.0, 0.5)
    model.generation_config = GenerationConfig(
        decoder_start_token_id=0, pad_token_id=0, eos_token_id=1, **(generation or {})
    )
    with quiet_transformers():
        model.save_pretrained(directory)
    if t5_prefix is None:
        untie_output_layer(directory, seed=seed + 1, std=0.5)
    return str(directory)


def _append_pieces(model_file: Path, pieces, score: float = 0.0, user_defined: bool = True) -> None:
    """Add pieces at the end of a SentencePiece model (the highest ids): user-defined, or normal with ``score``."""
    from sentencepiece import sentencepiece_model_pb2 as pb

    proto = pb.ModelProto()
    proto.ParseFromString(model_file.read_bytes())
    kind = pb.ModelProto.SentencePiece.USER_DEFINED if user_defined else pb.ModelProto.SentencePiece.NORMAL
    existing = {p.piece for p in proto.pieces}
    for text in pieces:
        if text in existing:
            continue
        piece = proto.pieces.add()
        piece.piece, piece.score, piece.type = text, score, kind
    model_file.write_bytes(proto.SerializeToString())


def _fillers(n: int) -> list[str]:
    """``n`` distinct word-start pieces, alternately Latin and Cyrillic letters (``▁qab``, ``▁жаб``...)."""
    alphabets = ("qxzjwvkbf", "жщшфцчъэю")
    out = []
    for i in range(n):
        letters, digits = alphabets[i % 2], []
        value = i // 2
        while True:
            digits.append(letters[value % len(letters)])
            value //= len(letters)
            if not value:
                break
        out.append("▁" + letters[0] + "".join(digits))
    return out


ARCHITECTURES = ("mt5", "bart", "mbart", "pegasus")


def build_tiny_bart_family(
    directory: str | Path,
    architecture: str,
    *,
    d_model: int = 32,
    layers: int = 2,
    heads: int = 4,
    d_ff: int = 64,
    vocab_size: int = 400,
    max_input_tokens: int = 64,
    generation: dict | None = None,
    seed: int = 0,
) -> str:
    """Save a random-weight BART, mBART or Pegasus with a tokenizer trained on the spot.

    Each is built the way its released checkpoints are: BART with a byte-level
    BPE tokenizer, starting the decoder with ``</s>`` and forcing ``<s>`` first
    (as ``facebook/bart-large-cnn``); mBART with a SentencePiece tokenizer and
    language codes (as ``IlyaGusev/mbart_ru_sum_gazeta``); Pegasus with a
    SentencePiece tokenizer, starting with ``<pad>``.

    Returns:
        The directory, as a string, ready for ``Summarizer(model=...)``.
    """
    import torch
    import transformers
    from transformers import GenerationConfig

    if architecture not in ARCHITECTURES[1:]:
        raise ValueError(f"architecture must be 'bart', 'mbart' or 'pegasus', got {architecture!r}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    lines = [s for sentences in CORPUS.values() for s in sentences]
    if architecture == "bart":
        from tokenizers import ByteLevelBPETokenizer

        bpe = ByteLevelBPETokenizer()
        bpe.train_from_iterator(lines * 4, vocab_size=vocab_size + 200, min_frequency=1, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
        merges = [tuple(pair) for pair in json.loads(bpe._tokenizer.to_str())["model"]["merges"]]
        tokenizer = transformers.BartTokenizer(vocab=bpe.get_vocab(), merges=merges)
    else:
        import sentencepiece as spm

        model_file = train_sentencepiece(directory / "spm", vocab_size=vocab_size)
        sp = spm.SentencePieceProcessor(model_file=str(model_file))
        pieces = [(sp.id_to_piece(i), sp.get_score(i)) for i in range(sp.get_piece_size())]
        if architecture == "mbart":
            tokenizer = transformers.MBartTokenizer(vocab=pieces, src_lang="ru_RU", tgt_lang="ru_RU")
        else:
            tokenizer = transformers.PegasusTokenizer(vocab=pieces)
        import shutil

        shutil.rmtree(directory / "spm")
    tokenizer.model_max_length = max_input_tokens
    tokenizer.save_pretrained(directory)

    ids = {"pad_token_id": tokenizer.pad_token_id, "eos_token_id": tokenizer.eos_token_id}
    shape = dict(
        vocab_size=len(tokenizer), d_model=d_model, encoder_layers=layers, decoder_layers=layers,
        encoder_attention_heads=heads, decoder_attention_heads=heads, encoder_ffn_dim=d_ff, decoder_ffn_dim=d_ff,
        max_position_embeddings=max_input_tokens * 2,
    )
    if architecture == "bart":
        # As facebook/bart-large-cnn: </s> starts, <s> is forced first and </s> last (at the length limit).
        start = {"decoder_start_token_id": tokenizer.eos_token_id, "bos_token_id": tokenizer.bos_token_id,
                 "forced_bos_token_id": tokenizer.bos_token_id, "forced_eos_token_id": tokenizer.eos_token_id}
        config = transformers.BartConfig(**shape, **ids, **start)
        model_class = transformers.BartForConditionalGeneration
    elif architecture == "mbart":
        # As IlyaGusev/mbart_ru_sum_gazeta, which forces </s> last too.
        start = {"decoder_start_token_id": tokenizer.eos_token_id, "bos_token_id": tokenizer.bos_token_id,
                 "forced_eos_token_id": tokenizer.eos_token_id}
        config = transformers.MBartConfig(**shape, **ids, **start, tokenizer_class="MBartTokenizer", scale_embedding=True)
        model_class = transformers.MBartForConditionalGeneration
    else:
        start = {"decoder_start_token_id": tokenizer.pad_token_id}
        config, model_class = transformers.PegasusConfig(**shape, **ids, **start, scale_embedding=True), transformers.PegasusForConditionalGeneration
    torch.manual_seed(seed)
    model = model_class(config)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if param.dim() > 1 and "embed_positions" not in name:
                param.normal_(0.0, 0.5)
    model.generation_config = GenerationConfig(**ids, **start, **(generation or {}))
    with quiet_transformers():
        model.save_pretrained(directory)
    return str(directory)


def untie_output_layer(directory: str | Path, *, seed: int = 1, std: float = 0.05) -> None:
    """Give a saved mT5 its own output layer (``lm_head``), as released mT5 checkpoints have.

    transformers 5 builds mT5 with the output layer tied to the input
    embeddings and saves only one; released mT5 checkpoints (XL-Sum, CrossSum)
    carry both, untied, and transformers keeps them apart when both are in the
    file. Tiny and benchmark checkpoints are made the same way, so that tests
    load what users load and benchmarks read as many weights per step.
    """
    import torch
    from safetensors.torch import load_file, save_file

    directory = Path(directory)
    weights = load_file(directory / "model.safetensors")
    generator = torch.Generator().manual_seed(seed)
    shared = weights["shared.weight"]
    weights["lm_head.weight"] = torch.randn(shared.shape, generator=generator, dtype=shared.dtype) * std
    save_file(weights, directory / "model.safetensors", metadata={"format": "pt"})
    config = json.loads((directory / "config.json").read_text())
    config["tie_word_embeddings"] = False
    (directory / "config.json").write_text(json.dumps(config, indent=2))


def main(argv: list[str] | None = None) -> int:
    """``python -m summarize.testing DIR [--cross-lingual]``: build a tiny checkpoint and say how to use it."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m summarize.testing",
        description="Build a tiny random-weight mT5 checkpoint offline (real tokenizer, real files), to try the abstractive path.",
    )
    parser.add_argument("directory", help="where to write it (created; must be empty or missing)")
    parser.add_argument("--cross-lingual", action="store_true", help="with CrossSum-style language tokens (summaries in another language)")
    args = parser.parse_args(argv)
    directory = Path(args.directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        parser.exit(2, f"python -m summarize.testing: error: {directory} exists and is not an empty directory\n")
    path = build_tiny_checkpoint(directory, cross_lingual=args.cross_lingual)
    size = sum(f.stat().st_size for f in directory.iterdir()) / 1e6
    target = " --target-lang en" if args.cross_lingual else ""
    sys.stdout.write(
        f"A tiny random-weight mT5 ({size:.1f} MB) is in {path}. Its summaries are random words: it tries\n"
        "every step around the model (loading, languages, batching, long input, the faithfulness check),\n"
        "not the quality. Try:\n\n"
        f"    echo 'Уряд ухвалив новий бюджет у вівторок.' | summarize --model {path}{target}\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
