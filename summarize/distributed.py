"""Ray Data: the record pipeline's executor for clusters.

``pip install "summarize[ray]"``. Nothing here reads, summarises or writes
rows its own way: each input file is read whole by a read task, then parsed
by :func:`summarize.records.parse_file` (the one reader and id rule) and
summarised block by block by :func:`summarize.jobs.summarize_records`
inside an actor that loads the model once (``map_batches`` with a callable
class; ``concurrency`` actors, ``num_gpus`` each). Work is spread over the
actors file by file, so split an archive into at least as many files as
actors (``split -l 10000 archive.jsonl part-``). Rows follow
:data:`summarize.jobs.RESULT_FIELDS`. Ray's writers put the rows into
shards, and a rerun over the same directory does only the ids not yet there
(:func:`summarize.outputs.scan_shards`), so every id ends up exactly once.

Ids must be unique across the input: they are what makes a rerun exactly-once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .errors import InvalidInputError, InvalidOptionError, MissingDependencyError

logger = logging.getLogger(__name__)

# Reading is light and reserves no CPU: a read task that waited for one
# would wait forever on a machine whose every CPU holds an actor.
READ_CPUS = 0
FILE_FORMATS = {".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".csv": "csv"}


def require_ray():
    """Import ray, or say how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise MissingDependencyError('--ray needs Ray Data: pip install "summarize[ray]"') from None
    return ray


class SummarizeBatches:
    """The callable class ``map_batches`` runs: one :class:`~summarize.Summarizer` per actor.

    A batch is either whole input files (``bytes`` and ``path`` columns),
    parsed here by :func:`summarize.records.parse_file`, or rows of a Dataset
    with id and text columns; either way its records go through
    :func:`summarize.jobs.summarize_records`, a block at a time, and each
    block comes out as one table of result rows.
    """

    def __init__(
        self,
        summarizer_options: dict[str, Any],
        options: dict[str, Any],
        text_field: str = "text",
        id_field: str = "id",
        exclude_ids: Iterable[str] = (),
        qualify: bool = False,
    ):
        from .backends.cpu import tune_process
        from .summarizer import Summarizer

        tune_process(summarizer_options.get("threads", 0))  # an actor is a process of the job's own
        self.summarizer = Summarizer(**summarizer_options)
        self.options = options
        self.text_field, self.id_field = text_field, id_field
        self.exclude = frozenset(exclude_ids)
        self.qualify = qualify  # several input files: line numbers carry their file (records.py's id rule)

    def __call__(self, batch: dict[str, Any]):
        from .jobs import block_rows, result_table, summarize_records

        for records in self._records(batch):
            todo = (r for r in records if r.key not in self.exclude)
            for block in summarize_records(self.summarizer, todo, **self.options):
                yield result_table(block_rows(block))

    def _records(self, batch: dict[str, Any]):
        from .records import parse_file, record_from_object

        if "bytes" in batch and "path" in batch:
            for data, path in zip(batch["bytes"], batch["path"]):
                fmt = FILE_FORMATS[Path(str(path)).suffix.lower()]
                yield parse_file(bytes(data), str(path), fmt, text_field=self.text_field, id_field=self.id_field, qualify=self.qualify)
            return
        columns = list(batch)
        rows = [{c: _plain(batch[c][i]) for c in columns} for i in range(len(batch[columns[0]]) if columns else 0)]
        records = []
        for row in rows:
            record = record_from_object(row, 0, "dataset", text_field=self.text_field, id_field=self.id_field)
            if self.id_field not in row:
                record.id, record.error = None, f"no id field {self.id_field!r}; ids must be unique"
            records.append(record)
        yield records


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value (ids and texts come out of numpy batches)."""
    return value.item() if hasattr(value, "item") and not isinstance(value, (str, bytes)) else value


def _read(data: Any):
    """A Ray Dataset of whole input files (read by tasks that reserve no CPU), or the Dataset given."""
    ray = require_ray()
    if not isinstance(data, (str, Path, list, tuple)):
        return data, False
    paths = [str(p) for p in ([data] if isinstance(data, (str, Path)) else data)]
    if not paths:
        raise InvalidInputError("no input paths given")
    kinds = {Path(p).suffix.lower() for p in paths}
    if not kinds <= set(FILE_FORMATS):
        raise InvalidInputError(f"--ray reads .jsonl, .parquet or .csv files, got {', '.join(sorted(kinds))}")
    return ray.data.read_binary_files(paths, include_paths=True, num_cpus=READ_CPUS), True


def _several_files(data: Any) -> bool:
    """Whether ``data`` names more than one file, or a folder or pattern that may hold several."""
    if not isinstance(data, (str, Path, list, tuple)):
        return False
    paths = [str(p) for p in ([data] if isinstance(data, (str, Path)) else data)]
    return len(paths) > 1 or any(Path(p).is_dir() or any(c in p for c in "*?[") for p in paths)


def summarize_dataset(
    data: Any,
    *,
    concurrency: int = 1,
    num_gpus: float = 0,
    num_cpus: float = 1,
    lang: str = "auto",
    target_lang: str | None = None,
    text_field: str = "text",
    id_field: str = "id",
    exclude_ids: Iterable[str] = (),
    **summarizer_options: Any,
):
    """Add summaries to a Ray Dataset; returns a Dataset of result rows (lazy).

    Args:
        data: a ``ray.data.Dataset`` with ``text_field`` and ``id_field``
            columns, or JSONL / Parquet / CSV path(s) or globs.
        concurrency: actors (each loads the model once).
        num_gpus: GPUs per actor (``device`` then defaults to CUDA).
        num_cpus: CPUs per actor; Ray sets the actor's thread count
            (``OMP_NUM_THREADS``) to it, so on CPU give each actor several.
        exclude_ids: ids that already have a result: no row for them.
        **summarizer_options: for :class:`~summarize.Summarizer` (``model``,
            ``backend``, ``batch_size``, generation options...).

    Example (needs Ray)::

        ds = summarize_dataset("archive/*.jsonl", model="xlsum", concurrency=4, num_gpus=1)
        ds.write_parquet("summaries/")
    """
    ray = require_ray()
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise InvalidOptionError(f"concurrency must be an integer >= 1, got {concurrency!r}")
    # Check what can be checked without loading the model on the driver (it
    # may have no GPU, or too little memory); the actors load it.
    from .options import check_options

    check_options(summarizer_options)
    batch_size = summarizer_options.get("batch_size", 8)
    ds, files = _read(data)
    return ds.map_batches(
        SummarizeBatches,
        fn_constructor_kwargs=dict(
            summarizer_options=summarizer_options, options={"lang": lang, "target_lang": target_lang},
            text_field=text_field, id_field=id_field, exclude_ids=list(exclude_ids), qualify=_several_files(data),
        ),
        # A file is parsed and summarised by one actor: work is spread over
        # actors file by file (Ray cannot split a file's rows into blocks
        # without CPUs of its own, which the actors hold).
        batch_size=1 if files else batch_size * 4,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=concurrency),
        num_gpus=num_gpus or None,
        num_cpus=num_cpus,
    )


def run_ray_job(job: Any):
    """Run a :class:`~summarize.jobs.Job` on Ray: shards into ``job.output``, missing ids only."""
    from .outputs import ShardWriter, count_rows
    from .jobs import JobResult

    require_ray()
    suffix = "json" if job.output_format == "jsonl" else "parquet"
    out = Path(job.output)
    # The same sink rules as a local job: shards already there are refused
    # unless the job resumes, and resuming reads them the same way.
    sink = ShardWriter(out, suffix, resume=job.resume)
    done, failed_before = sink.done, sink.failed
    if done:
        logger.info("%d ids already in %s; doing the rest", len(done), out)
    init_ray(job.ray.get("address"))
    ds = summarize_dataset(
        list(job.inputs), concurrency=job.ray.get("concurrency", 1), num_gpus=job.ray.get("num_gpus", 0),
        num_cpus=job.ray.get("num_cpus", 1), text_field=job.text_field, id_field=job.id_field,
        exclude_ids=done, **job.options, **job.summarizer,
    )
    before = set(out.glob(f"*.{suffix}")) if out.is_dir() else set()
    if suffix == "parquet":
        ds.write_parquet(str(out))
    else:
        ds.write_json(str(out))
    rows, failed = count_rows(sorted(set(out.glob(f"*.{suffix}")) - before))
    return JobResult(ok=rows - failed, failed=failed, skipped=len(done), skipped_failed=len(failed_before), output=job.output)


def init_ray(address: str | None, num_cpus: int | None = None) -> None:
    """Connect to a cluster at ``address``, or start a local Ray (no dashboard)."""
    ray = require_ray()
    if ray.is_initialized():
        return
    if address:
        ray.init(address=address, log_to_driver=False)
    else:
        ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False)
