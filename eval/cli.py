"""The ``summarize-eval`` command: ``score``, ``faithfulness``, ``run``, ``compare`` and ``published``.

Exit status: 0 ok, 1 internal error, 2 bad usage or input, 3 some generations
failed (``run``, unless ``--allow-failures``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from summarize import __version__
from summarize.console import OneLineParser
from summarize.errors import InvalidInputError, SummarizeError
from summarize.inputs.records import read_jsonl, read_text_file
from summarize.languages import LANGUAGES
from summarize.generation import add_generation_arguments, generation_from_args
from summarize.options import add_arguments

from .metrics.rouge import Rouge
from .tokenizers import TOKENIZERS

PREDICTION_FIELDS = ("prediction", "summary", "text")
REFERENCE_FIELDS = ("reference", "summary", "text")
SOURCE_FIELDS = ("text", "article", "source", "document")


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="summarize-eval", description="Score and evaluate summaries (ROUGE done right for Cyrillic).")
    p.add_argument("--version", action="version", version=f"summarize-eval {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("score", help="score predictions against references")
    s.add_argument("--predictions", required=True, help="text file (one summary a line) or JSONL")
    s.add_argument("--references", required=True, help="text file (one summary a line) or JSONL")
    s.add_argument("--lang", required=True, choices=tuple(LANGUAGES), help="language of the summaries")
    s.add_argument("--tokenizer", choices=tuple(TOKENIZERS), default="xlsum", help="tokenisation scheme (default: xlsum)")
    s.add_argument("--id-field", default="id", help="JSONL: field matching predictions to references (default: id)")
    s.add_argument("--field", help=f"JSONL: field holding the summary (default: first of {', '.join(PREDICTION_FIELDS)} / {', '.join(REFERENCE_FIELDS)})")
    s.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples (default: 1000)")
    s.add_argument("--seed", type=int, default=0, help="bootstrap seed (default: 0)")
    s.add_argument("--format", choices=("json", "text"), default="text")
    s.add_argument("--no-language-check", action="store_true", help="score even if the summaries look like another language than --lang")

    f = sub.add_parser("faithfulness", help="check summaries' numbers, dates and names against their sources")
    f.add_argument("--sources", required=True, help="text file (one article a line) or JSONL (field text, article or source)")
    f.add_argument("--predictions", required=True, help="text file (one summary a line) or JSONL")
    f.add_argument("--source-lang", default="auto", choices=("auto", *LANGUAGES))
    f.add_argument("--summary-lang", default="auto", choices=("auto", *LANGUAGES))
    f.add_argument("--id-field", default="id", help="JSONL: field matching summaries to sources (default: id)")
    f.add_argument("--format", choices=("json", "text"), default="text")

    c = sub.add_parser("compare", help="paired significance tests between runs' systems (bootstrap and approximate randomization)")
    c.add_argument("runs", nargs="+", metavar="RUN_DIR", help="run directories over the same examples; the first is the baseline")
    c.add_argument("--with-baselines", action="store_true", help="also compare the first run's baselines (lead, TextRank, oracle) with it")
    c.add_argument("--resamples", type=int, default=1000, help="paired bootstrap resamples (default: 1000)")
    c.add_argument("--trials", type=int, default=10000, help="approximate randomization trials (default: 10000)")
    c.add_argument("--seed", type=int, default=0, help="seed of both tests (default: 0)")
    c.add_argument("--alpha", type=float, default=0.05, help="significance level (default: 0.05)")
    c.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    c.add_argument("--out", help="also write compare.json, compare.md and compare.png into this directory")

    u = sub.add_parser("published", help="run every preset's published row on a sample and write one table: published, measured, difference")
    u.add_argument("--out", help="directory: one run per row, then published.md and published.json")
    u.add_argument("--limit", type=int, help="a reproducible sample of N examples per row (default: whole test sets)")
    u.add_argument("--seed", type=int, default=0, help="sampling and bootstrap seed (default: 0)")
    u.add_argument("--rows", help="comma-separated row names (default: all; see --list)")
    u.add_argument("--list", action="store_true", help="print the rows and exit")
    add_arguments(u, ("device", "backend", "batch_size", "threads"), defaults={"backend": "torch"})
    u.add_argument("--bootstrap", type=int, default=1000)
    u.add_argument("--no-language-check", action="store_true", help="evaluate even if the data look like another language")
    u.add_argument("--quiet", "-q", action="store_true")

    r = sub.add_parser("run", help="generate with a model, score it and the baselines, write a report")
    r.add_argument("--dataset", required=True, help="hub dataset id (csebuetnlp/xlsum, csebuetnlp/CrossSum, IlyaGusev/gazeta, abisee/cnn_dailymail) or a local .jsonl/.csv/.parquet file")
    r.add_argument("--lang", required=True, choices=tuple(LANGUAGES))
    r.add_argument("--target-lang", choices=tuple(LANGUAGES))
    # The summarizer's flags come from its option schema; an evaluation runs
    # torch by default (the papers' fp32 generate) and truncates as they did.
    add_arguments(r, ("model", "method", "device", "backend", "batch_size", "threads", "long_input"),
                  defaults={"backend": "torch", "long_input": None},
                  helps={"long_input": "truncate input at the model's length, as the papers did (default), or chunk: evaluate the library's map-reduce"})
    add_generation_arguments(r, ("num_beams", "max_new_tokens"))
    r.add_argument("--split", help="dataset split (default: test)")
    r.add_argument("--config", help="a hub dataset's config (the built-in datasets pick theirs from --lang and --target-lang)")
    r.add_argument("--dataset-revision", help="a hub dataset's branch, tag or commit (default: the built-in dataset's pinned one, else main)")
    r.add_argument("--limit", type=int, help="score a reproducible random sample of N examples")
    r.add_argument("--seed", type=int, default=0, help="sampling and bootstrap seed (default: 0)")
    r.add_argument("--text-field")
    r.add_argument("--summary-field")
    r.add_argument("--id-field")
    r.add_argument("--tokenizer", choices=tuple(TOKENIZERS), help="ROUGE tokenisation (default: the dataset's published scheme: google for CNN/DailyMail, else xlsum)")
    r.add_argument("--compare-fast", action="store_true", help="also generate with the library's default fast path (CTranslate2, restricted vocabulary) and report the ROUGE difference")
    r.add_argument("--no-language-check", action="store_true", help="evaluate even if the articles or references look like another language than --lang/--target-lang")
    r.add_argument("--allow-failures", action="store_true", help="exit 0 even if some generations failed (they are left out of the scores either way)")
    r.add_argument("--bootstrap", type=int, default=1000)
    r.add_argument("--out", required=True, help="run directory")
    r.add_argument("--resume", action="store_true", help="continue an interrupted run in --out")
    r.add_argument("--quiet", "-q", action="store_true")
    r.add_argument("--ray", action="store_true", help="generate on Ray Data (pip install 'summarize[ray]')")
    r.add_argument("--ray-address", help="Ray cluster address (default: a local Ray)")
    r.add_argument("--concurrency", type=int, default=1, help="--ray: actors (default: 1)")
    r.add_argument("--num-gpus", type=float, default=0, help="--ray: GPUs per actor (default: 0)")
    return p


def _read_summaries(path: str, fields: Sequence[str], id_field: str) -> tuple[list[str], list[str] | None]:
    """(summaries, ids or None): JSONL by extension, else one summary a line."""
    if path.endswith(".jsonl"):
        try:
            stream = open(path, "rb")
        except OSError as exc:
            raise InvalidInputError(f"{path}: {exc.strerror or exc}") from None
        texts, ids = [], []
        with stream:
            for record in read_jsonl(stream, path, text_field=None, id_field=id_field):
                if record.error:
                    raise InvalidInputError(record.error)
                obj = record.fields
                field = next((f for f in fields if f in obj), None)
                if field is None or not isinstance(obj[field], str):
                    raise InvalidInputError(f"{path} line {record.line}: no string field {' or '.join(map(repr, fields))}")
                texts.append(obj[field])
                ids.append(record.key)
        if not texts:
            raise InvalidInputError(f"{path}: empty file")
        return texts, ids
    text = read_text_file(path)
    if not text:
        raise InvalidInputError(f"{path}: empty file")  # one empty line is one empty summary, not this
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.rstrip("\r") for line in lines], None


def _paired(pred_path: str, ref_path: str, pred_fields, ref_fields, id_field: str) -> tuple[list[str], list[str]]:
    """Two files' texts, matched by id (JSONL) or by line (text)."""
    preds, pred_ids = _read_summaries(pred_path, pred_fields, id_field)
    refs, ref_ids = _read_summaries(ref_path, ref_fields, id_field)
    if (pred_ids is None) != (ref_ids is None):
        raise InvalidInputError("give both files as JSONL (matched by id) or both as text (matched by line)")
    if pred_ids is not None and ref_ids is not None:
        by_id = dict(zip(pred_ids, preds))
        missing = [i for i in ref_ids if i not in by_id]
        extra = set(pred_ids) - set(ref_ids)
        if missing or extra:
            raise InvalidInputError(
                f"ids differ: {len(missing)} reference id(s) have no prediction (first: {missing[:1]}), "
                f"{len(extra)} prediction id(s) have no reference"
            )
        preds = [by_id[i] for i in ref_ids]
    return preds, refs


def cmd_faithfulness(args: argparse.Namespace, stdout: IO[str]) -> int:
    from .metrics.faithfulness import score_faithfulness

    summaries, sources = _paired(args.predictions, args.sources, PREDICTION_FIELDS, SOURCE_FIELDS, args.id_field)
    result = score_faithfulness(sources=sources, summaries=summaries, source_lang=args.source_lang, summary_lang=args.summary_lang)
    if args.format == "json":
        stdout.write(json.dumps(result.to_dict(with_examples=True), ensure_ascii=False, indent=2) + "\n")
    else:
        stdout.write(f"{result}\n")
        for number, facts in enumerate(result.unsupported, start=1):
            if facts:
                stdout.write(f"{number}: {'; '.join(facts)}\n")
    return 0


def cmd_score(args: argparse.Namespace, stdout: IO[str]) -> int:
    pred_fields = (args.field,) if args.field else PREDICTION_FIELDS
    ref_fields = (args.field,) if args.field else REFERENCE_FIELDS
    preds, refs = _paired(args.predictions, args.references, pred_fields, ref_fields, args.id_field)
    if not args.no_language_check and len(preds) == len(refs):
        from .datasets import check_language_of

        check_language_of("references", refs[:20], args.lang, "--lang", action="score")
        check_language_of("predictions", preds[:20], args.lang, "--lang", action="score")
    rouge = Rouge(lang=args.lang, tokenizer=args.tokenizer, n_bootstrap=args.bootstrap, seed=args.seed)
    result = rouge.score(predictions=preds, references=refs)
    if args.format == "json":
        payload = {
            name: {
                "f1": s.f1, "ci95": [s.low, s.high], "mid": s.mid, "precision": s.precision,
                "recall": s.recall, "n": s.n, "signature": s.signature,
            }
            for name, s in result.scores.items()
        }
        stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        for s in result.scores.values():
            stdout.write(f"{s}\n")
    return 0


def cmd_compare(args: argparse.Namespace, stdout: IO[str]) -> int:
    from .compare import compare_runs, format_comparison, write_comparison_chart

    if not 0 < args.alpha < 1:
        raise InvalidInputError(f"--alpha must be between 0 and 1, got {args.alpha}")
    result = compare_runs(args.runs, with_baselines=args.with_baselines, resamples=args.resamples,
                          trials=args.trials, seed=args.seed, alpha=args.alpha)
    stdout.write(format_comparison(result, args.format))
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "compare.json").write_text(format_comparison(result, "json"), encoding="utf-8")
        (out / "compare.md").write_text(format_comparison(result, "markdown"), encoding="utf-8")
        write_comparison_chart(result, out / "compare.png")
    return 0


def cmd_published(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    from summarize.backends.cpu import tune_process

    from .published import format_published, published_rows, run_published

    if args.list:
        for row in published_rows():
            stdout.write(f"{row.name}\t{row.dataset}{'@' + row.revision if row.revision else ''}\t{row.published.source}\n")
        return 0
    if not args.out:
        raise InvalidInputError("--out is required (the directory for the runs and the table)")
    if args.limit is not None and args.limit < 1:
        raise InvalidInputError(f"--limit must be >= 1, got {args.limit}")
    tune_process(args.threads)
    table = run_published(
        args.out, rows=[r.strip() for r in args.rows.split(",") if r.strip()] if args.rows else None,
        limit=args.limit, seed=args.seed, device=args.device, backend=args.backend, batch_size=args.batch_size,
        threads=args.threads, n_bootstrap=args.bootstrap, check_language=not args.no_language_check,
        progress=not args.quiet and stderr.isatty(),
    )
    stdout.write(format_published(table))
    failed = [r["row"] for r in table["rows"] if "error" in r]
    if failed:
        stderr.write(f"summarize-eval: {len(failed)} of {len(table['rows'])} rows failed ({', '.join(failed)}); "
                     "the table says why; rerun the same command to retry them\n")
        return 3
    return 0


def cmd_run(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    from summarize.backends.cpu import tune_process

    from .runs import run_evaluation

    tune_process(args.threads)  # process-wide: the command's to choose, not the library's

    options = generation_from_args(args, ("num_beams", "max_new_tokens"))
    scores = run_evaluation(
        dataset=args.dataset, lang=args.lang, target_lang=args.target_lang, model=args.model,
        method=args.method, split=args.split, limit=args.limit, seed=args.seed, device=args.device,
        backend=args.backend, batch_size=args.batch_size, threads=args.threads, resume=args.resume, tokenizer=args.tokenizer, long_input=args.long_input,
        n_bootstrap=args.bootstrap, text_field=args.text_field, summary_field=args.summary_field,
        id_field=args.id_field, out_dir=args.out, generation_options=options,
        ray=args.ray, ray_address=args.ray_address, concurrency=args.concurrency, num_gpus=args.num_gpus,
        check_language=not args.no_language_check, compare_fast=args.compare_fast,
        config=args.config, dataset_revision=args.dataset_revision,
        progress=not args.quiet and stderr.isatty(),
    )
    stdout.write((Path(args.out) / "report.md").read_text(encoding="utf-8"))
    failed = scores["run"]["failed"]
    if failed and not args.allow_failures:
        stderr.write(
            f"summarize-eval: {failed} of {scores['run']['examples']} generations failed and were left out of the "
            "scores; rerun with --resume to retry the transient ones, or pass --allow-failures\n"
        )
        return 3
    return 0


def _interrupted(args: argparse.Namespace) -> str:
    """What Ctrl-C left behind, and how to go on."""
    if args.command not in ("run", "published") or not getattr(args, "out", None):
        return "interrupted"
    from .predictions import kept_rows

    out = Path(args.out)
    runs = [out] if args.command == "run" else sorted(p for p in out.glob("*") if p.is_dir())
    done = sum(kept_rows(run) for run in runs)
    flag = " --resume" if args.command == "run" else ""
    return (f"interrupted; {done:,} predictions are kept in {out}: rerun the same command{flag} to continue "
            "(nothing written is generated again)")


def main(argv: Sequence[str] | None = None, *, stdout: IO[str] | None = None, stderr: IO[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    from summarize.console import QuietOutput, print_traceback

    # One "summarize-eval:" line per event; no progress bars or library advice.
    with QuietOutput(args, stderr, prefix="summarize-eval"):
        try:
            if args.command == "score":
                return cmd_score(args, stdout)
            if args.command == "faithfulness":
                return cmd_faithfulness(args, stdout)
            if args.command == "compare":
                return cmd_compare(args, stdout)
            if args.command == "published":
                return cmd_published(args, stdout, stderr)
            return cmd_run(args, stdout, stderr)
        except SummarizeError as exc:
            print_traceback(args, stderr)
            stderr.write(f"summarize-eval: error: {exc}\n")
            return 2
        except KeyboardInterrupt:
            print_traceback(args, stderr)
            stderr.write(f"summarize-eval: {_interrupted(args)}\n")
            return 130
        except Exception as exc:  # noqa: BLE001
            print_traceback(args, stderr)
            hint = "" if args.debug else " (rerun as summarize-eval --debug ... for the traceback)"
            stderr.write(f"summarize-eval: internal error: {type(exc).__name__}: {exc}{hint}\n")
            return 1


if __name__ == "__main__":
    sys.exit(main())
