"""A whole evaluation: generate, score, compare with baselines and published numbers.

By default a run follows the published protocol of the model's preset
(:class:`summarize.presets.Protocol`): its decoding settings, its input
length with longer input *truncated* as the papers did, and the dataset's
published scoring scheme (``xlsum`` for XL-Sum and CrossSum; ``google`` for
CNN/DailyMail, whose published ROUGE-L is ROUGE-Lsum). ``long_input="chunk"``
evaluates the library's map-reduce instead.

``run_evaluation`` writes into one directory:

* ``examples.jsonl`` and ``rows.jsonl`` (``rows/`` on Ray): the generation
  is a :class:`summarize.jobs.Job` over the examples, run by
  :func:`summarize.jobs.executors.run_job` like any ``summarize`` job, its rows
  appended and synced block by block; ``resume=True`` regenerates nothing
  already there but the transient failures (:mod:`summarize_eval.predictions`);
* ``predictions.jsonl``: ``id``, ``prediction``, ``reference``, ``seconds``,
  ``truncated``, ``chunked`` (or ``error`` and ``error_kind``), one per
  example, written from the rows;
* ``scores.json``: every system's scores with signatures, the protocol, the
  model, its revision and generation settings, library versions, the device,
  wall time and docs/s, and the failures;
* ``report.md`` and ``scores.png``.

A failed generation is never scored as an empty summary: every system is
scored on the examples that have a prediction, and the failures are counted
in ``scores.json`` and the report.
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from summarize import __version__
from summarize.errors import InvalidInputError
from summarize.generation import GenerationLimits
from summarize.options import CallOptions, SummarizerOptions, check_call
from summarize.presets import PRESETS

from .baselines import baseline_predictions
from .datasets import DATASETS, check_languages, load_data
from . import predictions as predictions_module
from .predictions import prediction, write_predictions
from .metrics.rouge import Rouge
from .scoring import generation_signature, score_systems, signed_scores
from .report import write_chart, write_report


def _versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {"summarize": __version__, "python": platform.python_version()}
    for name in ("torch", "transformers", "datasets", "rouge-score", "ctranslate2"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def _preset(model: str):
    return PRESETS.get(model) or next((p for p in PRESETS.values() if p.model_id == model), None)


def _published(model: str, dataset: str, lang: str, target: str, split: str, revision: str | None) -> list[dict[str, Any]]:
    preset = _preset(model)
    if preset is None or split != "test":
        return []
    short = dataset.split("/")[-1].lower()
    return [
        {"source": p.source, "rouge1": p.rouge1, "rouge2": p.rouge2, p.rouge_l: p.rougeL, "approximate": p.approximate}
        for p in preset.published
        if p.dataset == short and p.lang == lang and p.target_lang == target
        and (p.data_revision is None or p.data_revision == revision)
    ]


def default_scoring(dataset: str) -> str:
    """The tokenisation scheme a dataset's published numbers were scored with.

    >>> default_scoring("abisee/cnn_dailymail"), default_scoring("csebuetnlp/xlsum")
    ('google', 'xlsum')
    """
    spec = DATASETS.get(dataset)
    return spec.scoring if spec else "xlsum"


def run_evaluation(
    *,
    dataset: str,
    lang: str,
    model: str,
    out_dir: str | Path,
    target_lang: str | None = None,
    method: str = SummarizerOptions.method,
    split: str | None = None,
    limit: int | None = None,
    seed: int = 0,
    device: str = SummarizerOptions.device,
    backend: str = "torch",  # the papers' fp32 generate, not the library's default
    batch_size: int = SummarizerOptions.batch_size,
    threads: int = SummarizerOptions.threads,
    resume: bool = False,
    tokenizer: str | None = None,
    long_input: str | None = None,
    n_bootstrap: int = 1000,
    text_field: str | None = None,
    summary_field: str | None = None,
    id_field: str | None = None,
    progress: bool = False,
    generation_options: dict[str, Any] | None = None,
    ray: bool = False,
    ray_address: str | None = None,
    concurrency: int = 1,
    num_gpus: float = 0,
    check_language: bool = True,
    vocabulary: str | int = "full",
    compare_fast: bool = False,
    config: str | None = None,
    dataset_revision: str | None = None,
) -> dict[str, Any]:
    """Run one evaluation into ``out_dir`` and return what ``scores.json`` holds.

    With ``ray=True`` generation runs on Ray Data (``concurrency`` actors,
    ``num_gpus`` each, at ``ray_address`` or on a local Ray): the same job,
    its examples split into a file an actor and its rows written as shards
    (``rows/``), so ``resume`` works the same (on the executor that began the
    run). The driver reads the checkpoint's config, not its weights, for the
    run's metadata. ``wall_seconds`` and ``docs_per_second`` time the
    generation, without loading the model here.

    ``tokenizer`` (the ROUGE scheme) defaults to the dataset's published one
    (:func:`default_scoring`); ``long_input`` to the preset's protocol
    (``"truncate"``, as the papers did; also for models without a preset).
    ``check_language`` refuses a dataset whose articles or references are
    not in ``lang`` / ``target_lang`` (stemming and baselines depend on it).
    ``vocabulary`` is ``"full"`` by default, as published; ``compare_fast``
    also generates with the library's default fast path (``backend="auto"``,
    ``vocabulary="auto"``) on the same examples and reports the ROUGE
    difference.
    """
    target = target_lang or lang
    preset = _preset(model) if method == "abstractive" else None
    long_input = long_input or (preset.protocol.long_input if preset else "truncate")
    options = SummarizerOptions.of(dict(
        model=model, method=method, device=device, backend=backend, batch_size=batch_size, threads=threads, long_input=long_input,
        **({"vocabulary": vocabulary} if method == "abstractive" else {}), **(generation_options or {}),
    ))
    call = CallOptions(lang, target)
    check_call(options, call, limits=GenerationLimits())  # the library's one check of a call (with the command
    # line's ceilings), before any data is read or model loaded
    if split is None and Path(dataset).exists():
        split = "file"  # a local file has no splits; say so in the report
    out = Path(out_dir)
    tokenizer = tokenizer or default_scoring(dataset)
    rouge = Rouge(lang=target, tokenizer=tokenizer, n_bootstrap=n_bootstrap, seed=seed)
    data = load_data(
        dataset, lang=lang, target_lang=target, split=split, limit=limit, seed=seed,
        text_field=text_field, summary_field=summary_field, id_field=id_field, config=config, revision=dataset_revision,
    )
    examples = data.examples
    if check_language:
        check_languages(dataset, examples, lang, target)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    on_ray = {"address": ray_address, "concurrency": concurrency, "num_gpus": num_gpus} if ray else None
    rows, job = predictions_module.generate(examples, options, call, out, resume=resume, ray=on_ray, progress=progress)
    generated = job.ok + job.failed
    wall = time.perf_counter() - started - job.load_seconds  # generation, as before: not loading the model
    references = {e.id: e.summary for e in examples}
    predictions = {i: prediction(row, references[i]) for i, row in rows.items() if i in references}
    write_predictions(out / "predictions.jsonl", [predictions[e.id] for e in examples if e.id in predictions])

    missing = [e.id for e in examples if e.id not in predictions]
    if missing:
        raise InvalidInputError(f"{len(missing)} examples have no prediction (first: {missing[0]!r}); rerun with --resume")
    failed = [e.id for e in examples if "error" in predictions[e.id]]
    scored_examples = [e for e in examples if "error" not in predictions[e.id]]
    if not scored_examples:
        first = predictions[failed[0]]["error"]
        raise InvalidInputError(f"every generation failed ({len(failed)}; first: {first}); nothing to score")
    refs = [e.summary for e in scored_examples]
    ck, settings = _model_info(options)
    made = _made_with(options, ck, rows.values(), cuda=bool(num_gpus) if ray else _cuda_devices() > 0, ran=job.backend)
    system_name = method if method != "abstractive" else Path(ck.name).name
    systems = {system_name: [predictions[e.id]["prediction"] for e in scored_examples]}
    if target == lang:
        # Extractive baselines copy source sentences, so they only make sense
        # when the summary language is the source language.
        systems.update(baseline_predictions([e.text for e in scored_examples], refs, lang, tokenizer))
    # Every system's facts against the articles, the references' too; each example's numbers for compare.
    scored, faithfulness = score_systems(
        rouge, systems, ids=[e.id for e in scored_examples], references=refs, articles=[e.text for e in scored_examples],
        lang=lang, target=target, data=data.source.signature(), sample=str(limit or "all"), out=out,
        generations={system_name: made.signature},
    )
    done = [predictions[e.id] for e in scored_examples]
    protocol = {
        "long_input": long_input,
        "max_input_tokens": ck.max_input_tokens if ck else None,
        "scoring": tokenizer,
        "source": preset.protocol.source if preset else None,
        "truncated_docs": sum(bool(p.get("truncated")) for p in done),
        "chunked_docs": sum(bool(p.get("chunked")) for p in done),
    }

    device_name = "cpu"
    dev, dtype = made.device, made.dtype
    if dev.startswith("cuda"):
        import torch

        device_name = torch.cuda.get_device_name(torch.device(dev))
    else:
        device_name = platform.processor() or platform.machine()
    scores = {
        "run": {
            "dataset": dataset,
            "split": split or "test",
            "lang": lang,
            "target_lang": target,
            "limit": limit,
            "seed": seed,
            "examples": len(examples),
            "data": data.source.to_dict(),
            "duplicates_left_out": data.duplicates,
            "scored": len(scored_examples),
            "failed": len(failed),
            "failed_ids": failed[:20],
            "protocol": protocol,
            "model": ck.name if ck else method,
            "system": system_name,
            "revision": ck.revision if ck else None,
            "backend": backend if ck else None,
            "generation": settings.as_dict() if ck else None,
            "device": dev,
            "device_name": device_name,
            "dtype": dtype,
            "vocabulary": made.vocabulary if ck else vocabulary,
            "batch_size": batch_size,
            **_speed(out, generated, wall),
            "versions": _versions(),
        },
        "systems": scored,
        "faithfulness": faithfulness,
        "published": _published(model, dataset, lang, target, split or "test", data.source.revision),
    }
    if compare_fast and method == "abstractive":
        own = dict(zip([e.id for e in scored_examples], systems[system_name]))
        scores["compare_fast"] = _compare_fast(options, call, ck, scored_examples, own, rouge, out, on_ray)
    (out / "scores.json").write_text(json.dumps(scores, ensure_ascii=False, indent=2), encoding="utf-8")
    write_report(out, scores)
    write_chart(out, scores)
    return scores


def _model_info(options: SummarizerOptions) -> tuple[Any, Any]:
    """(checkpoint, generation settings) for the report: the checkpoint's config and tokenizer, not its weights.

    The settings are layered as the summarizer layers them (here, or in Ray's actors).
    """
    if options.method != "abstractive":
        return None, None
    from summarize.checkpoints import load_checkpoint
    from summarize.generation import resolve_settings

    ck = load_checkpoint(options.model, revision=options.revision)
    return ck, resolve_settings(ck, dict(options.generation))


@dataclass(frozen=True)
class _MadeWith:
    """What generated a model's summaries: for its ROUGE signature and the report."""

    backend: str | None
    device: str
    dtype: str | None
    vocabulary: str | None

    @property
    def signature(self) -> str | None:
        return generation_signature(self.backend, self.dtype, self.vocabulary) if self.backend else None


def _made_with(options: SummarizerOptions, ck: Any, rows: Any, *, cuda: bool, ran: dict[str, str] | None = None) -> _MadeWith:
    """What generated the rows: the backend this process ran (``ran``), else (Ray's actors, or a run
    that generated nothing now) the backend and vocabulary the rows name, with the device and
    precision the options resolve to there."""
    if ck is None:
        return _MadeWith(None, "cpu", None, None)
    if ran is not None:
        return _MadeWith(ran["name"], ran["device"], ran["dtype"], ran["vocabulary"])
    from summarize.backends import resolve_backend
    from summarize.backends.vocabulary import resolve

    made = next((r for r in rows if r.get("backend")), None)
    device = options.device if options.device != "auto" else "cuda" if cuda else "cpu"
    backend = made["backend"] if made else resolve_backend(options.backend, device=device, dtype=options.dtype)
    if backend == "torch":
        from summarize.backends.torch import resolve_dtype

        dtype = resolve_dtype(options.dtype, device, ck.model_type)
    else:
        from summarize.backends.conversion import import_ctranslate2
        from summarize.backends.precision import int8_library, resolve_compute_type

        library = int8_library(import_ctranslate2()) if device == "cpu" else "mkl"
        dtype = resolve_compute_type(options.compute_type, device, ck.model_type, library)
    if made:
        vocabulary = made.get("vocabulary") or "full"
    else:
        k = resolve(options.vocabulary, ck.config.vocab_size)
        vocabulary = "full" if k is None else f"top-{k}"
    return _MadeWith(backend, device, dtype, vocabulary)


def _cuda_devices() -> int:
    try:
        import torch
    except ImportError:
        return 0
    return torch.cuda.device_count()


def _compare_fast(options: SummarizerOptions, call: CallOptions, ck: Any, examples: Sequence[Any], predictions: dict[str, str],
                  rouge: Any, out: Path, ray: dict[str, Any] | None) -> dict[str, Any]:
    """The same examples through the library's default fast path, scored against the model's own run.

    Both are scored on the examples both summarised: a failed fast
    generation is counted, never scored as an empty summary.
    """
    fast = options.replace(backend="auto", vocabulary="auto")
    rows, job = predictions_module.generate(examples, fast, call, out, name="predictions-fast", resume=True, ray=ray)
    both = [e for e in examples if rows.get(e.id, {}).get("summary") is not None]
    references = [e.summary for e in both]
    made = _made_with(fast, ck, rows.values(), cuda=bool(ray.get("num_gpus")) if ray else _cuda_devices() > 0, ran=job.backend)
    fast_result = rouge.score(predictions=[rows[e.id]["summary"] for e in both], references=references)
    scored = signed_scores(rouge, fast_result, generation=made.signature)
    baseline = rouge.score(predictions=[predictions[e.id] for e in both], references=references).to_dict()
    return {
        "backend": made.backend,
        "compute_type": made.dtype,
        "vocabulary": made.vocabulary,
        "examples": len(both),
        "failed": len(examples) - len(both),
        "systems": {"fast": scored},
        "difference": {t: round(scored[t]["f1"] - baseline[t]["f1"], 4) for t in scored if t in baseline},
    }


def _speed(out: Path, generated: int, wall: float) -> dict[str, Any]:
    """Wall time and docs/s of the generation; a resume that generated nothing keeps the earlier run's."""
    if generated == 0 and (out / "scores.json").is_file():
        try:
            earlier = json.loads((out / "scores.json").read_text(encoding="utf-8"))["run"]
            speed = {k: earlier[k] for k in ("wall_seconds", "docs_per_second")}
            return {**speed, "generated_this_run": 0, "speed_from": earlier.get("speed_from", "an earlier run")}
        except (KeyError, ValueError):
            pass
    return {
        "wall_seconds": wall,
        "generated_this_run": generated,
        "docs_per_second": generated / wall if generated and wall > 0 else 0.0,
    }
