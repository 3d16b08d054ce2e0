"""What the server does with a request, apart from HTTP: load the model, batch, summarise, check.

One :class:`Service` per process: the summarizer of ``--model`` (loaded once,
in a thread, so that ``/healthz`` answers while it loads), extractive
summarizers made when first asked for, the :class:`~.dispatch.Dispatcher`
(this process's :class:`~.batcher.Batcher` unless another is given), and the
metrics. Its :meth:`Service.run` is the one row function every dispatcher's
batches run through (:func:`~.dispatch.run_batch`): the record pipeline's
:func:`~summarize.jobs.summarize_block`, then each row with its facts
(:func:`~.facts.facts_with_passages`).
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..generation import GenerationLimits
from ..options import CallOptions, SummarizerOptions
from ..jobs import summarize_block
from ..inputs.records import Record
from ..inputs.rows import result_row
from .batcher import Batcher
from .dispatch import Dispatcher
from .facts import facts_with_passages

logger = logging.getLogger(__name__)


@dataclass
class ServerConfig:
    """The server's settings (``summarize serve --help`` gives each one's meaning)."""

    summarizer: SummarizerOptions = field(default_factory=SummarizerOptions)
    batch_size: int | None = None  # documents gathered into one batch; None: the summarizer's batch_size
    max_wait_ms: float = 10.0
    max_queue: int = 256
    max_body_bytes: int = 2_000_000
    timeout: float = 120.0
    token: str | None = None
    cors_origins: tuple[str, ...] = ()
    allow_private_urls: bool = False
    fetch_timeout: float = 10.0
    fetch_max_bytes: int = 5_000_000
    log_format: str = "text"
    defaults: CallOptions = field(default_factory=CallOptions)  # lang, target_lang for requests that do not say
    limits: GenerationLimits = field(default_factory=GenerationLimits)  # the most a request may ask of the model
    drain_timeout: float = 30.0  # on SIGTERM, how long accepted requests may take before they are answered 503
    host: str = "127.0.0.1"  # where it is bound: on loopback, requests must name this machine in Host
    allowed_hosts: tuple[str, ...] = ()  # other Host names accepted on loopback (--allowed-host)

    def __post_init__(self) -> None:
        # Before the options were typed, the server took dicts: still read, for one release.
        from .._moved import typed

        self.summarizer = typed(self.summarizer, SummarizerOptions, "ServerConfig(summarizer=...)")
        self.defaults = typed(self.defaults, CallOptions, "ServerConfig(defaults=...)")

    @property
    def documents_per_batch(self) -> int:
        """How many documents the server gathers into one batch: :attr:`batch_size`, else the summarizer's."""
        return self.batch_size or self.summarizer.batch_size


def _isolated_block(summarizer: Any, records: list[Record], options: dict[str, Any]) -> list[tuple[Record, Any]]:
    """:func:`summarize_block`, with a failure kept to the record that caused it.

    The library returns each document's own errors; an exception that
    escapes it anyway fails the whole call, so each record is summarised
    again on its own (outputs do not depend on batch mates) and only the one
    that fails gets the error. An option error is every record's: it is raised.
    """
    from ..errors import InvalidOptionError

    try:
        return summarize_block(summarizer, records, **options)
    except InvalidOptionError:
        raise
    except Exception as exc:  # noqa: BLE001 - isolated
        if len(records) == 1:
            logger.exception("one document failed")
            return [(records[0], exc)]
        return [pair for record in records for pair in _isolated_block(summarizer, [record], options)]


FETCH_THREADS = 8
WARM_UP = {"en": "The council met on Tuesday.", "uk": "Рада зібралася у вівторок.", "ru": "Совет собрался во вторник."}


class Service:
    """The model, the dispatcher and the metrics of one server process.

    Args:
        config: the server's settings.
        summarizer: the model, already loaded (else :meth:`load` builds it
            from ``config``).
        dispatcher: where requests wait and run; by default this process's
            :class:`~.batcher.Batcher` over :meth:`run`.
    """

    def __init__(self, config: ServerConfig, summarizer: Any = None, dispatcher: Dispatcher | None = None):
        from .metrics import Metrics

        self.config = config
        self.summarizer = summarizer
        self.method = (summarizer.method if summarizer is not None else config.summarizer.method)
        self._extractive: dict[str, Any] = {}
        self.load_error: str | None = None
        self.loaded = threading.Event()
        if summarizer is not None:
            self.loaded.set()
        self.metrics = Metrics(self)
        # Pages are fetched in a pool of their own: slow sites wait for each other, never for summarising.
        self.fetcher = ThreadPoolExecutor(max_workers=FETCH_THREADS, thread_name_prefix="summarize-fetch")
        if dispatcher is None:
            dispatcher = Batcher(self.run, batch_size=config.documents_per_batch, max_wait_ms=config.max_wait_ms,
                                 max_queue=config.max_queue, check=self.check)
        self.dispatcher = dispatcher

    @property
    def ready(self) -> bool:
        return self.loaded.is_set() and self.load_error is None

    def load(self) -> None:
        """Build the summarizer (in a thread: the model's download and load take a while)."""
        if self.summarizer is not None:
            return
        from .. import Summarizer

        try:
            self.summarizer = Summarizer(self.config.summarizer)
            if self.summarizer.method == "abstractive":
                # One short generation, so that the first request does not pay for the first call's setup.
                # In a language the model serves (gazeta serves Russian only); a failure is reported, not swallowed.
                lang = self.summarizer.languages[0]
                warm = self.summarizer.summarize(WARM_UP[lang], lang=lang, errors="return")
                if isinstance(warm, BaseException):
                    raise warm
        except Exception as exc:  # noqa: BLE001 - reported by /readyz; the command then stops with it
            from ..errors import SummarizeError

            self.load_error = str(exc) if isinstance(exc, SummarizeError) else f"{type(exc).__name__}: {exc}"
            logger.debug("the model could not be loaded: %s", self.load_error)
        finally:
            self.loaded.set()

    def summarizer_for(self, method: str | None) -> Any:
        method = method or self.method
        if method == self.method:
            return self.summarizer
        if method == "abstractive":
            from ..errors import InvalidOptionError

            raise InvalidOptionError(f"this server summarises with method {self.method!r}; it serves no model for 'abstractive'")
        if method not in self._extractive:
            from .. import Summarizer

            # The server's own options (sentences, max_input_chars, faithfulness), with the method asked for.
            self._extractive[method] = Summarizer(self.config.summarizer.replace(method=method, generation=()))
        return self._extractive[method]

    def check(self, options: dict[str, Any]) -> None:
        """Check a request's options against what this server serves, before it is queued (the library's one call check)."""
        options = dict(options)
        self.summarizer_for(options.pop("method", None)).check_call(limits=self.config.limits, **options)

    def run(self, records: list[Record], options: dict[str, Any]) -> list[dict[str, Any]]:
        """Rows for ``records`` (in order), each with its facts; called in a dispatcher's worker, one batch at a time."""
        options = dict(options)
        summarizer = self.summarizer_for(options.pop("method", None))
        return [self._row(record, result, summarizer) for record, result in _isolated_block(summarizer, records, options)]

    def _row(self, record: Record, result: Any, summarizer: Any) -> dict[str, Any]:
        """One document's row with its facts; a failure here (the fact check) is that document's error row."""
        if not isinstance(result, BaseException):
            try:
                report = result.faithfulness
                if report is None and summarizer.method != "abstractive":
                    from ..faithfulness import check_faithfulness

                    report = check_faithfulness(record.text, result.text, source_lang=result.source_lang,
                                                summary_lang=result.target_lang)
                facts = facts_with_passages(record.text, result.text, report)
            except Exception as exc:  # noqa: BLE001 - one document's failure is its own
                logger.exception("the facts of one document could not be checked")
                result = exc
        row = result_row(record.id, result)
        if isinstance(result, BaseException):
            row["error_type"] = type(result).__name__
            return row
        row["facts"] = facts
        return row
