"""The ``summarize`` command: a thin layer over :class:`summarize.Summarizer`.

Exit status: 0 all documents summarised; 1 an unexpected internal error;
2 a usage error or bad input (nothing, or nothing more, was done);
3 the job finished but some records failed (each is an error record in the
output, and the count is on stderr).
"""

from __future__ import annotations

import argparse
import os
import json
import sys
from collections.abc import Sequence
from typing import IO, Any

from ._version import __version__
from .errors import SummarizeError
from .languages import LANGUAGES
from .inputs.outputs import check_output_path
from .inputs.webpages import allow_private_from_env
from .jobs.executors import check_output_among_inputs, run_job
from .jobs import Job
from .console import OneLineParser, QuietOutput, cli_wording, print_traceback
from .inputs.rows import error_message
from .presets import PRESETS
from .inputs import EXTENSIONS, INPUT_FORMATS, plan_inputs
from .generation import GenerationLimits, add_generation_arguments, generation_from_args
from .options import CallOptions, SummarizerOptions, add_arguments, check_call, options_from_args

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(
        prog="summarize",
        description="Summarise English, Ukrainian and Russian news text. "
                    "The HTTP service and its page: summarize serve (summarize serve --help).",
        epilog="Exit status: 0 ok, 1 internal error, 2 bad usage or input, 3 some records failed.",
    )
    p.add_argument("inputs", nargs="*", metavar="INPUT", help="text files or saved .html pages (one document each), http(s) URLs (the page's article), JSONL, CSV or Parquet files (records); a directory or a quoted pattern is its files; none or '-' reads stdin")
    p.add_argument("--input-format", choices=("auto", *INPUT_FORMATS), default="auto", help=f"auto (from the extension: {', '.join(EXTENSIONS)}; anything else and stdin are text), text (a file is a document), jsonl, csv or parquet (default: auto)")
    p.add_argument("--text-field", default="text", help="field holding the text in JSONL, CSV or Parquet records (default: text)")
    p.add_argument("--id-field", default="id", help="field holding the id (default: id; the line or row number if absent)")
    p.add_argument("--lang", default="auto", choices=("auto", *LANGUAGES), help="language of the input (default: auto)")
    p.add_argument("--target-lang", choices=tuple(LANGUAGES), help="language of the summary (default: the input's)")
    add_arguments(p, helps={"threads": "CPU threads (0: every core for ctranslate2, all but one for torch; with --ray, each actor's CPUs)"})
    add_generation_arguments(p)
    p.add_argument("--format", choices=("text", "json", "jsonl", "parquet"), help="output format (default: text; jsonl for JSONL/CSV/Parquet input; parquet shards with --ray); parquet writes shards into --output DIR")
    p.add_argument("--output", "-o", help="write results here instead of stdout (JSONL output is appended and flushed per batch)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted job: skip ids already in --output")
    p.add_argument("--overwrite", action="store_true", help="replace an --output file that exists (without it, an existing file is refused)")
    p.add_argument("--allow-private-urls", action="store_true", help="fetch URLs whose host is on a private or loopback network (refused by default)")
    p.add_argument("--ray", action="store_true", help="run on Ray Data; writes shards into --output DIR (pip install 'summarize[ray]')")
    p.add_argument("--ray-address", help="Ray cluster address (default: start a local Ray on this machine)")
    p.add_argument("--concurrency", type=int, default=1, help="--ray: actors, each with its own model (default: 1)")
    p.add_argument("--num-gpus", type=float, default=0, help="--ray: GPUs per actor (default: 0)")
    p.add_argument("--cpus-per-actor", type=float, default=1, help="--ray: CPUs (and threads) per actor (default: 1)")
    p.add_argument("--list-models", action="store_true", help="list the presets and exit")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar or counts: only warnings, errors and a failed job's counts")
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    p.add_argument("--version", action="version", version=f"summarize {__version__}")
    return p


def list_models(out: IO[str]) -> None:
    out.write(f"{'preset':<10} {'languages':<10} {'cross':<6} {'input':<6} model\n")
    for p in PRESETS.values():
        out.write(
            f"{p.name:<10} {','.join(p.languages):<10} {'yes' if p.cross_lingual else 'no':<6} "
            f"{p.max_input_tokens:<6} {p.model_id}\n    {p.description}\n"
        )


def job_from_args(args: argparse.Namespace) -> Job:
    """The job the command line describes (checked here, before anything is loaded)."""
    # Every executor reads this plan: a mistake in the inputs is found here, before anything is loaded.
    plan = plan_inputs(args.inputs, args.input_format)
    args.input_format = plan.format
    fmt = args.format or ("parquet" if args.ray else "jsonl" if args.input_format != "text" else "text")
    if fmt == "parquet" and args.output and args.output.lower().endswith((".parquet", ".pq")) and not os.path.isdir(args.output):
        raise SummarizeError(f"--format parquet writes shards into a directory, and --output {args.output!r} names a file: "
                             f"give a directory (--output {os.path.splitext(args.output)[0]}/)")
    if args.ray:
        from .jobs.distributed import ray_inputs

        ray_inputs(plan)
        if not args.output:
            raise SummarizeError("--ray needs --output DIR: the shards are written there")
        if fmt not in ("parquet", "jsonl"):
            raise SummarizeError(f"--ray writes parquet or jsonl shards, not {args.format!r}")
    else:
        if fmt == "parquet" and not args.output:
            raise SummarizeError("--format parquet writes shards into a directory: give --output DIR")
        if args.resume and (not args.output or fmt not in ("jsonl", "parquet")):
            raise SummarizeError("--resume needs --output FILE and JSONL output (--format jsonl)")
        if args.resume and args.overwrite:
            raise SummarizeError("--resume continues --output and --overwrite replaces it: give one of them")
    summarizer = SummarizerOptions.of({**options_from_args(args), **generation_from_args(args)})
    call = CallOptions(args.lang, args.target_lang)
    # The library's one check of a call, before any file is read or model downloaded, with the
    # service's default ceilings: a mistyped --max-new-tokens 100000000 would take the machine's memory.
    check_call(summarizer, call, limits=GenerationLimits())
    return Job(
        inputs=tuple(args.inputs),
        input_format=args.input_format,
        text_field=args.text_field,
        id_field=args.id_field,
        output=args.output,
        output_format=fmt,
        resume=args.resume,
        summarizer=summarizer,
        options=call,
        executor="ray" if args.ray else "local",
        ray={"address": args.ray_address, "concurrency": args.concurrency, "num_gpus": args.num_gpus, "num_cpus": args.cpus_per_actor},
        allow_private_urls=args.allow_private_urls or allow_private_from_env(),  # the job's, never the process's
    )


def _progress(args: argparse.Namespace, stderr: IO[str], *, many: bool):
    from tqdm import tqdm

    disable = args.quiet or not many or not getattr(stderr, "isatty", lambda: False)()
    return tqdm(file=stderr, disable=disable, unit="doc", dynamic_ncols=True)


def run(args: argparse.Namespace, stdin: IO[bytes], stdout: IO[str], stderr: IO[str]) -> int:
    if args.list_models:
        list_models(stdout)
        return EXIT_OK
    job = job_from_args(args)
    if job.summarizer.method == "abstractive" and job.executor == "local":
        from .backends.cpu import tune_process

        tune_process(job.summarizer.threads)  # process-wide: the command's to choose, not the library's
    if job.executor == "local" and job.output and job.output_format in ("text", "json", "jsonl"):
        _check_output(job, args)  # before anything is loaded (Ray writes shards into a directory: its sink checks)
    if job.executor == "ray":
        result = run_job(job)
        if not args.quiet or result.failed:
            stderr.write(f"summarize: {_counts(result)}; shards in {job.output}\n")
        return EXIT_PARTIAL if result.failed else EXIT_OK
    plan = plan_inputs(job.inputs, job.input_format)
    single_text = plan.format == "text" and not plan.qualify  # one document: its summary alone, its error the command's
    reads_stdin = not args.inputs or "-" in args.inputs
    if reads_stdin and getattr(stdin, "isatty", lambda: False)():
        stderr.write("summarize: reading a text from the terminal: type or paste it, then Ctrl-D (or give a file: summarize FILE; summarize --help)\n")

    facts: dict[Any, Any] = {}  # record id -> its summary's faithfulness report, for the text output
    with _progress(args, stderr, many=not single_text) as bar:

        def on_block(block) -> None:
            for record, summary in block:
                if not isinstance(summary, BaseException) and summary.faithfulness is not None:
                    facts[record.id] = summary.faithfulness
                if isinstance(summary, BaseException):
                    # A record that could not be read says where it is already.
                    where = "" if record.error or record.id == "<stdin>" else f"{record.id}: "
                    if single_text:
                        raise SummarizeError(f"{where}{error_message(summary)}") if isinstance(summary, SummarizeError) else summary
                    stderr.write(f"summarize: {where}{cli_wording(error_message(summary))}\n")
            bar.update(len(block))

        result = run_job(job, stdin, on_block=on_block)
    if job.output is None or job.output_format in ("text", "json"):
        _emit(result.rows, job.output_format, args, stdout, single_text, facts=facts, stderr=stderr)
    if result.failed or (not args.quiet and (result.skipped or not single_text)):
        stderr.write(f"summarize: {_counts(result)}\n")
    return EXIT_PARTIAL if result.failed else EXIT_OK


def _counts(result) -> str:
    """What a job did, in one line: a resumed job's earlier failures are not "done".

    >>> from summarize.jobs import JobResult
    >>> _counts(JobResult(ok=3, failed=1, skipped=5, skipped_failed=2))
    '3 summarised, 1 failed, 5 already in the output (2 of them failed before: permanent errors are not retried)'
    """
    if not result.skipped_failed:
        return f"{result.ok} summarised, {result.failed} failed, {result.skipped} already done"
    return (
        f"{result.ok} summarised, {result.failed} failed, {result.skipped} already in the output "
        f"({result.skipped_failed} of them failed before: permanent errors are not retried)"
    )


def _check_output(job: Job, args: argparse.Namespace) -> None:
    """Refuse an output file that exists (unless --resume or --overwrite), before anything is loaded."""
    from pathlib import Path

    check_output_path(job.output)
    path = Path(job.output)
    if path.is_dir():
        raise SummarizeError(f"--output {job.output!r} is a directory; give a file path")
    check_output_among_inputs(job.output, plan_inputs(job.inputs, job.input_format))  # before --overwrite empties it
    if path.exists() and path.stat().st_size > 0 and not job.resume:
        if not args.overwrite:
            resume = "pass --resume to continue it, " if job.output_format == "jsonl" else ""
            raise SummarizeError(f"--output {job.output!r} already exists; {resume}pass --overwrite to replace it, or remove it")
        if job.output_format == "jsonl":
            path.write_bytes(b"")  # the JSONL writer appends: start it empty


def _interrupted(job: Job, exc: KeyboardInterrupt) -> str:
    """What Ctrl-C left behind, and how to go on."""
    result = getattr(exc, "result", None)
    done = (result.ok + result.failed) if result else 0
    if job.executor == "ray":
        return f"interrupted; the shards written so far are in {job.output}: rerun the same command with --resume to continue"
    if job.output and job.output_format in ("jsonl", "parquet"):
        return f"interrupted; {done:,} records were written to {job.output} in this run: rerun the same command with --resume to continue"
    if job.output_format in ("text", "json") or job.output is None:
        where = f"--output {job.output}" if job.output else "stdout"
        return (
            f"interrupted; nothing was written to {where} ({done:,} records had been summarised; this output is written "
            "when the job ends): to keep work as it is done, write JSONL (--format jsonl --output FILE), which --resume continues"
        )
    return "interrupted"


def _emit(records: list[dict[str, Any]], fmt: str, args: argparse.Namespace, stdout: IO[str], single: bool,
          facts: dict[Any, Any] | None = None, stderr: IO[str] | None = None) -> None:
    try:
        out: IO[str] = open(args.output, "w", encoding="utf-8") if args.output else stdout
    except OSError as exc:
        raise SummarizeError(f"--output {args.output!r} cannot be written ({exc.strerror or exc})") from None
    try:
        if fmt == "text":
            # On a terminal the checked facts are in the text; piped, stdout stays the summary
            # alone (scripts read it) and the count goes to stderr (-q silences it).
            terminal = out is stdout and getattr(stdout, "isatty", lambda: False)()
            for r in records:
                if r.get("summary") is not None:
                    report = (facts or {}).get(r["id"])
                    if not single:
                        out.write(f"==> {r['id']} <==\n")
                    text = mark_unsupported(r["summary"], report, color=_color(stdout)) if terminal and report else r["summary"]
                    out.write(text + "\n")
                    if report is not None and terminal:
                        out.write(f"[{facts_line(report)}]\n")
                    elif report is not None and not args.quiet and stderr is not None:
                        where = "" if single else f"{r['id']}: "
                        stderr.write(f"summarize: {where}{facts_line(report)}\n")
                    out.write("" if single else "\n")
        elif fmt == "json":
            # One shape whatever the number of inputs: a list of rows.
            out.write(json.dumps(records, ensure_ascii=False, indent=2) + "\n")
        else:
            for r in records:
                out.write(json.dumps(r, ensure_ascii=False) + "\n")
        out.flush()
    finally:
        if out is not stdout:
            out.close()


def facts_line(report: Any) -> str:
    """What the fact check found, in words.

    >>> from summarize import check_faithfulness
    >>> facts_line(check_faithfulness("Prices rose 5% in May.", "Prices rose 7% in May."))
    "1 fact checked (numbers, dates, names), 1 not supported by the article: '7%'"
    >>> facts_line(check_faithfulness("Prices rose.", "Prices rose."))
    'no numbers, dates or names to check'
    """
    if not report.facts:
        return "no numbers, dates or names to check"
    checked = f"{len(report.facts)} fact{'s' if len(report.facts) != 1 else ''} checked (numbers, dates, names)"
    if not report.unsupported:
        return f"{checked}, all supported by the article"
    return f"{checked}, {len(report.unsupported)} not supported by the article: " + ", ".join(repr(f.text) for f in report.unsupported)


def mark_unsupported(text: str, report: Any, *, color: bool) -> str:
    """The summary with each unsupported fact marked: reverse video on a colour terminal, else ``[?fact?]``.

    >>> from summarize import check_faithfulness
    >>> s = "Prices rose 7% in May."
    >>> mark_unsupported(s, check_faithfulness("Prices rose 5% in May.", s), color=False)
    'Prices rose [?7%?] in May.'
    """
    out, last = [], 0
    for fact in sorted(report.unsupported, key=lambda f: f.start):
        if fact.start < last:
            continue
        out.append(text[last:fact.start])
        out.append(f"\x1b[7m{text[fact.start:fact.end]}\x1b[0m" if color else f"[?{text[fact.start:fact.end]}?]")
        last = fact.end
    return "".join(out) + text[last:]


def _color(stream: IO[str]) -> bool:
    return not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb" and getattr(stream, "isatty", lambda: False)()


def main(argv: Sequence[str] | None = None, *, stdin: IO[bytes] | None = None, stdout: IO[str] | None = None, stderr: IO[str] | None = None) -> int:
    """Run the CLI; returns the exit status (tests call this in-process).

    ``--debug`` adds tracebacks and debug logs; it never changes the status.
    """
    stdin = stdin if stdin is not None else sys.stdin.buffer
    stdout = stdout if stdout is not None else sys.stdout
    stderr = stderr if stderr is not None else sys.stderr
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["serve"]:  # a file named "serve" is ./serve
        from .server.cli import main as serve

        return serve(argv[1:], stderr=stderr)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    with QuietOutput(args, stderr):
        try:
            return run(args, stdin, stdout, stderr)
        except SummarizeError as exc:
            print_traceback(args, stderr)
            stderr.write(f"summarize: error: {cli_wording(str(exc))}\n")
            return EXIT_USAGE
        except KeyboardInterrupt as exc:
            try:
                message = _interrupted(job_from_args(args), exc) if not args.list_models else "interrupted"
            except SummarizeError:
                message = "interrupted"
            stderr.write(f"summarize: {message}\n")
            return 130
        except Exception as exc:  # noqa: BLE001 - the one place internal errors are turned into a line
            print_traceback(args, stderr)
            hint = "" if args.debug else " (rerun with --debug for the traceback)"
            stderr.write(f"summarize: internal error: {type(exc).__name__}: {exc}{hint}\n")
            return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
