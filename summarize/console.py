"""What the command lines print on stderr: one ``prefix:`` line per event, in the command's terms.

Both commands (``summarize`` and ``summarize-eval``) run inside
:class:`QuietOutput`: libraries' progress bars and advice off, Python
warnings as one line each, the library's log as ``summarize: ...`` lines,
and messages reworded from the API's ``method='lead'`` to the command's
``--method lead`` (:func:`cli_wording`). Everything it changes in the
process (environment variables, logger levels, the warnings hook) is put
back on exit.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import warnings
from typing import IO


class OneLineParser(argparse.ArgumentParser):
    """argparse with a usage error in one line, and the flag a mistyped one was meant to be.

    >>> OneLineParser(prog="summarize")._did_you_mean("unrecognized arguments: --verson", ["--version", "--quiet"])
    'unrecognized arguments: --verson (did you mean --version?)'
    """

    def error(self, message: str):  # type: ignore[override]
        message = self._did_you_mean(message, [o for o in self._option_string_actions if o.startswith("--")])
        self.exit(2, f"{self.prog}: error: {message}; see {self.prog} --help\n")

    @staticmethod
    def _did_you_mean(message: str, options: list[str]) -> str:
        import difflib

        match = re.match(r"unrecognized arguments: (.*)", message)
        if not match:
            return message
        flags = [w.split("=", 1)[0] for w in match.group(1).split() if w.startswith("--")]
        hints = []
        for flag in flags:
            close = difflib.get_close_matches(flag, options, n=1, cutoff=0.6)
            if close:
                hints.append(f"{flag} -> {close[0]}" if len(flags) > 1 else close[0])
        if not hints:
            return message
        return f"{message} (did you mean {', '.join(hints)}?)"


def cli_wording(message: str) -> str:
    """A library message in the command's terms: ``method='lead'`` becomes ``--method lead``.

    >>> cli_wording("use method='lead' or target_lang='en', or raise max_input_chars=1,000")
    'use --method lead or --target-lang en, or raise --max-input-chars 1,000'
    >>> cli_wording("threads must be an integer >= 0 (0: every core), got -1")
    '--threads must be an integer >= 0 (0: every core), got -1'
    """
    from dataclasses import fields

    from .generation import GenerationSettings
    from .options import OPTION_NAMES
    flags = OPTION_NAMES | {f.name for f in fields(GenerationSettings)}
    message = re.sub(r"^([a-z_]+)(?= must be| is )", lambda m: f"--{m[1].replace('_', '-')}" if m[1] in flags else m[1], message)
    message = re.sub(r"\b([a-z_]+)='([^']*)'/'([^']*)'", lambda m: f"--{m[1].replace('_', '-')} {m[2]} or {m[3]}", message)
    message = re.sub(r"\b([a-z_]+)='([^']*)'", lambda m: f"--{m[1].replace('_', '-')} {m[2]}", message)
    return re.sub(r"\b(max_input_chars)=([\d,]+)", lambda m: f"--{m[1].replace('_', '-')} {m[2]}", message)


class QuietOutput:
    """The command's output on stderr: one ``summarize:`` line per event, nothing else.

    Libraries' progress bars and advice are switched off (environment
    variables they read at import, set only if the user has not set them),
    their loggers kept to errors, and Python warnings (a truncated text) become
    one line each; all of it is restored on exit (a command run in-process,
    as the tests do, leaves the process as it found it); ``--quiet`` drops what is only news (counts of a job that
    went well, choices logged) and keeps warnings, errors and failure counts.
    """

    # Read by those libraries at import or per call; set only where the user has not.
    ENVIRONMENT = (
        ("HF_HUB_DISABLE_PROGRESS_BARS", "1"), ("TRANSFORMERS_VERBOSITY", "error"), ("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1"),
        ("HF_DATASETS_DISABLE_PROGRESS_BARS", "1"), ("TOKENIZERS_PARALLELISM", "false"),
    )
    NOISY = ("transformers", "huggingface_hub", "datasets", "httpx", "httpcore", "urllib3", "filelock", "pymorphy3", "ray")

    def __init__(self, args: argparse.Namespace, stderr: IO[str], prefix: str = "summarize"):
        self.args, self.stderr, self.prefix = args, stderr, prefix
        self.quiet = bool(getattr(args, "quiet", False))

    def __enter__(self) -> QuietOutput:
        self.environ = {}
        for name, value in self.ENVIRONMENT:
            if name not in os.environ:
                self.environ[name] = value
                os.environ[name] = value
        level = logging.DEBUG if self.args.debug else logging.WARNING if self.quiet else logging.INFO
        handler = logging.StreamHandler(self.stderr)
        handler.setFormatter(_Formatter(self.prefix))
        # The library's loggers, and the harness's (summarize_eval), speak through the one handler.
        self.loggers = [logging.getLogger(name) for name in ("summarize", "summarize_eval")]
        self.saved = [(lg.handlers[:], lg.level, lg.propagate) for lg in self.loggers]
        self.showwarning = warnings.showwarning
        for lg in self.loggers:
            lg.handlers, lg.propagate = [handler], False
            lg.setLevel(level)
        self.levels = {name: logging.getLogger(name).level for name in self.NOISY}
        for name in self.NOISY:
            logging.getLogger(name).setLevel(logging.DEBUG if self.args.debug else logging.ERROR)
        self.verbosity = None
        if "transformers" in sys.modules:
            hf_logging = sys.modules["transformers"].logging
            self.verbosity = hf_logging.get_verbosity()
            hf_logging.set_verbosity_error()
        self.catch = warnings.catch_warnings()
        self.catch.__enter__()
        from .generation.long_input import TruncationWarning

        warnings.simplefilter("always", TruncationWarning)  # one line per text, every time
        warnings.showwarning = self._warning
        return self

    def _warning(self, message, category, filename, lineno, file=None, line=None) -> None:
        self.stderr.write(f"{self.prefix}: warning: {cli_wording(str(message))}\n")

    def __exit__(self, *exc: object) -> None:
        self.catch.__exit__(*exc)
        for lg, (handlers, level, propagate) in zip(self.loggers, self.saved):
            lg.handlers, lg.propagate = handlers, propagate
            lg.setLevel(level)
        warnings.showwarning = self.showwarning
        for name, saved in self.levels.items():
            logging.getLogger(name).setLevel(saved)
        if self.verbosity is not None:
            sys.modules["transformers"].logging.set_verbosity(self.verbosity)
        for name in self.environ:
            os.environ.pop(name, None)


class _Formatter(logging.Formatter):
    def __init__(self, prefix: str = "summarize"):
        super().__init__()
        self.prefix = prefix

    def format(self, record: logging.LogRecord) -> str:
        level = "" if record.levelno == logging.INFO else f"{record.levelname.lower()}: "
        return f"{self.prefix}: {level}{cli_wording(record.getMessage())}"


def print_traceback(args: argparse.Namespace, stderr: IO[str]) -> None:
    if args.debug:
        import traceback

        traceback.print_exc(file=stderr)


