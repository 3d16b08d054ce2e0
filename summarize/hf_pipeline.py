"""``pipeline("summarization")`` as transformers 4 had it, on this library.

Transformers 5 removed the summarization pipeline; code written for it
(course notebooks, services, libraries) fails with ``KeyError: Unknown task
summarization``. Replace the import and nothing else::

    from summarize import pipeline            # was: from transformers import pipeline

    summarizer = pipeline("summarization", model="facebook/bart-large-cnn")
    summarizer(article, max_length=130, min_length=30, do_sample=False)
    # [{'summary_text': ' The tower is 324 metres ...'}]

What it keeps from transformers 4: the call (a string or a list, ``max_length``
and ``min_length`` counting the decoder's start token, ``num_beams``,
``do_sample``, ``return_text``, ``return_tensors``,
``clean_up_tokenization_spaces``, ``batch_size``, ``truncation``), the shape of
the answer, and the decoding settings transformers 4 read: the checkpoint's
generation config, then its ``task_specific_params["summarization"]``
(prefix, lengths, beams), else transformers' own defaults, never this
library's presets; the full vocabulary; the default checkpoint when none is
given. With ``backend="torch"`` the summaries are transformers 4.57's, token
for token (``benchmarks/v4_parity.py`` checks it).

What differs: a text longer than the model's input is summarised window by
window (transformers 4 failed on it; ``truncation=True`` still cuts it);
the default backend is CTranslate2 (faster; greedy output is the same, beam
search can differ where a token is banned mid-search, see the migration
guide); a summary can be checked against its source with
:func:`summarize.check_faithfulness`.
"""

from __future__ import annotations

import warnings
from typing import Any

from .errors import InvalidInputError, InvalidOptionError, choices
from .generation import GenerationSettings

TASKS = ("summarization",)
# transformers 4.57's default for the task.
DEFAULT_MODEL, DEFAULT_REVISION = "sshleifer/distilbart-cnn-12-6", "a4f8f3e"
# transformers 4's GenerationConfig() defaults (transformers 5's are all None).
V4_DEFAULTS = {"max_length": 20, "max_new_tokens": None, "min_length": 0, "min_new_tokens": None, "num_beams": 1,
               "no_repeat_ngram_size": 0, "length_penalty": 1.0, "do_sample": False, "early_stopping": False,
               "temperature": 1.0, "top_k": 50, "top_p": 1.0}
# transformers 4.57's summarization pipeline's own defaults, under the model's.
V4_PIPELINE_DEFAULTS = {"max_new_tokens": 256, "num_beams": 4}
_SETTINGS = ("num_beams", "no_repeat_ngram_size", "length_penalty", "do_sample", "temperature", "top_k", "top_p")


def pipeline(task: str = "summarization", model: str | None = None, *, device: Any = None, revision: str | None = None,
             backend: str = "auto", batch_size: int = 1, tokenizer: Any = None, framework: str | None = None,
             **kwargs: Any) -> SummarizationPipeline:
    """transformers 4's ``pipeline("summarization", ...)``, returning a :class:`SummarizationPipeline`.

    Args:
        task: ``"summarization"`` (the only task here).
        model: a hub id or a local checkpoint directory (default: transformers
            4's, ``sshleifer/distilbart-cnn-12-6``).
        device: transformers 4's forms: ``-1`` or ``"cpu"``, ``0`` or
            ``"cuda:0"``, a ``torch.device``; ``None`` picks as this library does.
        revision: hub revision.
        backend: ``"auto"`` (CTranslate2 where installed) or ``"torch"``
            (transformers' ``generate``: its summaries exactly).
        batch_size: documents generated together.
        tokenizer, framework: accepted for compatibility; the checkpoint's own
            tokenizer and PyTorch are used.
        **kwargs: default call arguments (``max_length``, ``num_beams``...).

    >>> pipeline("translation")
    Traceback (most recent call last):
    ...
    summarize.errors.InvalidOptionError: task 'translation' is not served here; this library serves 'summarization'
    """
    if task not in TASKS:
        raise InvalidOptionError(f"task {task!r} is not served here; this library serves {choices(TASKS)}")
    if tokenizer is not None and not isinstance(tokenizer, str):
        raise InvalidOptionError("tokenizer: pass the checkpoint's id or directory as model; its own tokenizer is used")
    if framework not in (None, "pt"):
        raise InvalidOptionError(f"framework {framework!r}: only PyTorch ('pt') checkpoints are read")
    if model is None:
        model, revision = DEFAULT_MODEL, revision or DEFAULT_REVISION
    return SummarizationPipeline(model, device=_device(device), revision=revision, backend=backend,
                                 batch_size=batch_size, defaults=kwargs)


class SummarizationPipeline:
    """A loaded checkpoint that answers transformers 4's summarization call.

    Build it with :func:`pipeline`. Calling it returns ``[{"summary_text": ...}]``
    for a string, and a list of those dicts, in order, for a list.
    """

    def __init__(self, model: str, *, device: str, revision: str | None, backend: str, batch_size: int, defaults: dict[str, Any]):
        from transformers import AutoConfig, GenerationConfig

        from .summarizer import Summarizer

        self.summarizer = Summarizer(model, device=device, revision=revision, backend=backend, batch_size=batch_size,
                                     vocabulary="full", faithfulness="off", long_input="chunk")
        ck = self.summarizer.checkpoint
        self.model = ck.name
        # A CTranslate2 conversion loads without the model's config: read it, as transformers 4 did.
        config = ck.config or AutoConfig.from_pretrained(ck.source, revision=revision, local_files_only=ck.local_files_only)
        try:
            model_config = GenerationConfig.from_pretrained(ck.source, revision=revision, local_files_only=ck.local_files_only)
        except OSError:
            model_config = GenerationConfig.from_model_config(config)
        task = dict(((getattr(config, "task_specific_params", None) or {}).get("summarization") or {}))
        self.prefix = task.pop("prefix", None)
        if self.prefix is None:
            self.prefix = getattr(config, "prefix", None) or ""
        self._config = v4_generation_config(model_config, task)
        self._defaults = dict(defaults)
        # The checkpoint's prefix as transformers 4 read it ("summarize: " for T5), on every input.
        ck.prefix = self.prefix
        self.summarizer._budget = self.summarizer._window_budget()
        base = getattr(self.summarizer.backend, "_base_config", None)
        if base is not None:  # the torch backend: what the settings do not carry (early_stopping...) as transformers 4 had it
            base.update(**{k: v for k, v in self._config.items() if k in ("early_stopping", "repetition_penalty")})

    def __repr__(self) -> str:
        return f"SummarizationPipeline(model={self.model!r}, backend={self.summarizer.backend.name!r})"

    def __call__(self, inputs: str | list[str], *, max_length: int | None = None, min_length: int | None = None,
                 max_new_tokens: int | None = None, min_new_tokens: int | None = None, num_beams: int | None = None,
                 do_sample: bool | None = None, truncation: bool | str = False, return_text: bool = True,
                 return_tensors: bool = False, clean_up_tokenization_spaces: bool = False,
                 batch_size: int | None = None, **generate_kwargs: Any) -> list[Any]:
        """Summarise a string (``[{"summary_text": ...}]``) or a list of them (a list of those dicts)."""
        single = isinstance(inputs, str)
        texts = [inputs] if single else inputs
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise InvalidInputError(f"inputs must be a str or a list of str, got {type(inputs).__name__}")
        asked = {**self._defaults, **{k: v for k, v in dict(
            max_length=max_length, min_length=min_length, max_new_tokens=max_new_tokens, min_new_tokens=min_new_tokens,
            num_beams=num_beams, do_sample=do_sample, **generate_kwargs).items() if v is not None}}
        settings = self._settings(asked)
        results = self._generate(texts, settings, truncation=bool(truncation), batch_size=batch_size)
        tok = self.summarizer.checkpoint.tokenizer
        answers = []
        for ids in results:
            answer: dict[str, Any] = {}
            if return_text:
                answer["summary_text"] = tok.decode(ids, skip_special_tokens=True,
                                                    clean_up_tokenization_spaces=clean_up_tokenization_spaces)
            if return_tensors:
                answer["summary_token_ids"] = list(ids)
            answers.append(answer)
        return answers  # a string gives a list of one, as in transformers 4

    def _settings(self, call: dict[str, Any]) -> GenerationSettings:
        """The library's settings for a transformers 4 call, lengths as ``generate`` reads them."""
        config = {**self._config}
        max_length_given = "max_length" in call
        for name in (*_SETTINGS, "max_length", "min_length", "max_new_tokens", "min_new_tokens"):
            if name in call:
                config[name] = call.pop(name)
        if call:
            raise InvalidOptionError(f"unknown argument(s) {', '.join(map(repr, sorted(call)))} of the summarization call")
        options = {k: config[k] for k in _SETTINGS}
        options["max_new_tokens"], options["min_new_tokens"] = new_tokens(config, max_length_given=max_length_given)
        if max_length_given and config.get("max_new_tokens") is not None and "max_new_tokens" not in self._defaults:
            # transformers 4.57 warned here too: its pipeline's 256 new tokens win over a max_length.
            warnings.warn(
                f"max_length={config['max_length']} is ignored, as transformers 4.57 ignored it: this checkpoint's "
                f"generation config sets no max_length, so the pipeline's max_new_tokens={config['max_new_tokens']} "
                "wins; pass max_new_tokens to shorten the summary", UserWarning, stacklevel=3)
        return GenerationSettings().replace(**options)

    def _generate(self, texts: list[str], settings: Any, *, truncation: bool, batch_size: int | None) -> list[list[int]]:
        from .summarizer import _Doc

        # No language is identified or checked: transformers 4 did not, and a
        # checkpoint serves whatever it serves. None asks for the model's own start token.
        docs = [_Doc(i, text, None, None, False) for i, text in enumerate(texts)]
        for doc in docs:
            if not doc.text.strip():
                raise InvalidInputError(f"text {doc.index} is empty: nothing to summarise")
        jobs = self.summarizer._run_jobs(docs, settings, long_input="truncate" if truncation else "chunk", batch_size=batch_size)
        for job in jobs:
            if job.error is not None:
                raise job.error
        return [job.output[0] for job in jobs]


def v4_generation_config(model_config: Any, task: dict[str, Any]) -> dict[str, Any]:
    """The generation settings transformers 4.57's summarization pipeline starts a call with.

    Its own defaults (256 new tokens, 4 beams) fill in where the model's
    generation config keeps transformers' defaults; a model ``max_length``
    other than 20 drops the 256; ``task_specific_params["summarization"]``
    goes on top.

    >>> from transformers import GenerationConfig
    >>> c = v4_generation_config(GenerationConfig(max_length=142, min_length=56, num_beams=4), {})
    >>> c["max_new_tokens"], c["max_length"], c["min_length"], c["num_beams"]
    (None, 142, 56, 4)
    >>> v4_generation_config(GenerationConfig(), {"max_length": 200})["max_new_tokens"]
    256
    """
    config = {**V4_DEFAULTS, **V4_PIPELINE_DEFAULTS}
    for key, default in V4_DEFAULTS.items():
        value = getattr(model_config, key, None)
        if value is not None and value != default and config[key] == default:
            config[key] = value
    for key in ("repetition_penalty",):
        value = getattr(model_config, key, None)
        if value is not None:
            config[key] = value
    if config["max_new_tokens"] == V4_PIPELINE_DEFAULTS["max_new_tokens"] and config["max_length"] not in (None, 20):
        config["max_new_tokens"] = None
    config.update(task)
    return config


def new_tokens(config: dict[str, Any], *, max_length_given: bool) -> tuple[int, int]:
    """(most, fewest) new tokens, as transformers' ``generate`` reads ``config`` for an encoder-decoder model.

    ``max_new_tokens`` wins over ``max_length``; ``max_length`` counts the
    decoder's start token, except its default of 20, which ``generate``
    turns into 20 new tokens; ``min_length`` counts the start token too.

    >>> new_tokens({"max_new_tokens": None, "max_length": 142, "min_new_tokens": None, "min_length": 56}, max_length_given=False)
    (141, 55)
    >>> new_tokens({"max_new_tokens": None, "max_length": 20, "min_new_tokens": None, "min_length": 0}, max_length_given=False)
    (20, 0)
    """
    if config.get("max_new_tokens") is not None:
        most = int(config["max_new_tokens"])
    elif config.get("max_length") == V4_DEFAULTS["max_length"] and not max_length_given:
        most = int(config["max_length"])
    else:
        most = max(1, int(config["max_length"]) - 1)
    fewest = int(config["min_new_tokens"]) if config.get("min_new_tokens") is not None else max(0, int(config.get("min_length") or 0) - 1)
    return most, min(fewest, most)


def _device(device: Any) -> str:
    """transformers 4's device forms as this library's: -1 -> cpu, 0 -> cuda:0, torch.device -> its name."""
    if device is None:
        return "auto"
    if isinstance(device, bool):
        raise InvalidOptionError(f"device must be an integer, a string or a torch.device, got {device!r}")
    if isinstance(device, int):
        return "cpu" if device < 0 else f"cuda:{device}"
    return str(device)
