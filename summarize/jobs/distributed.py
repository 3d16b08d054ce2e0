"""Ray Data: the record pipeline's executor for clusters.

``pip install "summarize[ray]"``. Nothing here plans, reads, summarises or
writes rows its own way: the inputs are planned by
:func:`summarize.inputs.plan_inputs` (the files, their order, format and
names, as a local job plans them), and each file is read by
:func:`summarize.inputs.records.read_file` (the one reader and id rule) and
summarised block by block by :func:`summarize.jobs.summarize_records`
inside an actor that loads the model once (``map_batches`` with a callable
class; ``concurrency`` actors, ``num_gpus`` each). Work is spread over the
actors file by file, so split an archive into at least as many files as
actors (``split -l 10000 archive.jsonl part-``). Rows follow
:data:`summarize.inputs.rows.RESULT_FIELDS`. Ray's writers put the rows into
shards, and a rerun over the same directory does only the ids not yet there
(:func:`summarize.inputs.outputs.scan_shards`), so every id ends up exactly once.

One id space, as locally: before the actors start, a pass over the files
that reads only ids (:func:`summarize.inputs.records.file_ids`, a task per file)
finds the ids that repeat across files, and each actor is given its file's
(:func:`summarize.inputs.records.earlier_ids`), so the first occurrence in plan
order keeps the id and a later one is an error row naming it, whichever
actor reads which file when. The rows equal a local job's, and a job can
switch executor on resume.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..errors import InvalidInputError, InvalidOptionError, MissingDependencyError
from ..inputs import EXTENSIONS, RECORD_FORMATS, STDIN, InputPlan, plan_inputs
from ..options import CallOptions, SummarizerOptions, check_call

logger = logging.getLogger(__name__)

# The ids pass is light and reserves no CPU: a task that waited for one
# would wait forever on a machine whose every CPU holds an actor.
READ_CPUS = 0


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

    A batch is either files of ``plan`` (an ``input`` column: the file's
    place in the plan; ``earlier``: its ids met in an earlier file, as JSON),
    read here by :func:`summarize.inputs.records.read_file`, or rows of a Dataset
    with id and text columns; either way its records go through
    :func:`summarize.jobs.summarize_records`, a block at a time, and each
    block comes out as one table of result rows.
    """

    def __init__(
        self,
        summarizer_options: SummarizerOptions,
        options: CallOptions,
        text_field: str = "text",
        id_field: str = "id",
        exclude_ids: Iterable[str] = (),
        plan: InputPlan | None = None,
    ):
        from ..backends.cpu import tune_process
        from ..summarizer import Summarizer

        tune_process(summarizer_options.threads)  # an actor is a process of the job's own
        self.summarizer = Summarizer(summarizer_options)
        self.options = options
        self.text_field, self.id_field = text_field, id_field
        self.exclude = frozenset(exclude_ids)
        self.plan = plan  # None: the batches are a Dataset's rows, not files

    def __call__(self, batch: dict[str, Any]):
        from . import block_rows, summarize_records
        from ..inputs.rows import result_table

        for records in self._records(batch):
            todo = (r for r in records if r.key not in self.exclude)
            for block in summarize_records(self.summarizer, todo, **self.options.as_dict()):
                yield result_table(block_rows(block))

    def _records(self, batch: dict[str, Any]):
        from ..inputs.records import read_file, record_from_object

        if self.plan is not None:
            for index, earlier in zip(batch["input"], batch["earlier"]):
                seen = {key: (name, line) for key, (name, line) in json.loads(str(earlier)).items()}
                yield read_file(self.plan.files[int(index)], text_field=self.text_field, id_field=self.id_field,
                                seen=seen, qualify=self.plan.qualify)
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


def ray_inputs(data: Any) -> InputPlan | None:
    """The plan of the files Ray is to read (checked), or None for a Ray Dataset.

    ``data``: an :class:`~summarize.inputs.InputPlan`, or paths (planned with
    the format their extensions say).

    Raises:
        InvalidInputError: stdin, or inputs that are not files of records.

    >>> ray_inputs(["notes.txt"])
    Traceback (most recent call last):
    ...
    summarize.errors.InvalidInputError: Ray reads JSONL, CSV or Parquet files (.jsonl, .ndjson, .json, .csv, .parquet, .pq), not text (notes.txt); name them so, or give input_format='jsonl'
    """
    if isinstance(data, InputPlan):
        plan = data
    elif isinstance(data, (str, Path, list, tuple)):
        plan = plan_inputs(data)
    else:
        return None
    if any(f.path == STDIN for f in plan.files):
        raise InvalidInputError("Ray reads files, not stdin ('-'): give JSONL, CSV or Parquet paths, directories or patterns")
    if plan.format not in RECORD_FORMATS:
        raise InvalidInputError(
            f"Ray reads JSONL, CSV or Parquet files ({', '.join(EXTENSIONS)}), not {plan.format} ({plan.files[0].name}); "
            "name them so, or give input_format='jsonl'"
        )
    return plan


def _files_dataset(ray: Any, plan: InputPlan, id_field: str):
    """One row per planned file (its place in the plan, and its ids met in an earlier file), one block each."""
    earlier = _earlier_ids(ray, plan, id_field) if len(plan.files) > 1 else [{}]
    rows = [{"input": i, "earlier": json.dumps(e, ensure_ascii=False)} for i, e in enumerate(earlier)]
    return ray.data.from_items(rows, override_num_blocks=len(rows))


def _earlier_ids(ray: Any, plan: InputPlan, id_field: str) -> list[dict[str, tuple[str, int]]]:
    """:func:`summarize.inputs.records.earlier_ids` of the plan, its ids read by Ray tasks, a CPU's worth at a time."""
    from ..inputs.records import earlier_ids, file_ids

    scan = ray.remote(num_cpus=READ_CPUS)(file_ids)
    window = max(1, int(ray.cluster_resources().get("CPU", 1)))

    def ids() -> Iterator[dict[str, int]]:
        # In plan order, holding at most `window` files' ids besides the merge's.
        todo, running = iter(plan.files), deque()
        for file in todo:
            running.append(scan.remote(file, id_field=id_field, qualify=plan.qualify))
            if len(running) >= window:
                yield ray.get(running.popleft())
        while running:
            yield ray.get(running.popleft())

    return earlier_ids(plan.files, ids())


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
    options: SummarizerOptions | None = None,
    **summarizer_options: Any,
):
    """Add summaries to a Ray Dataset; returns a Dataset of result rows (lazy).

    Args:
        data: a ``ray.data.Dataset`` with ``text_field`` and ``id_field``
            columns, or JSONL / CSV / Parquet files, directories or patterns
            (planned by :func:`summarize.inputs.plan_inputs`, or its plan).
        concurrency: actors (each loads the model once).
        num_gpus: GPUs per actor (``device`` then defaults to CUDA).
        num_cpus: CPUs per actor; Ray sets the actor's thread count
            (``OMP_NUM_THREADS``) to it, so on CPU give each actor several.
        exclude_ids: ids that already have a result: no row for them.
        options: the :class:`~summarize.options.SummarizerOptions` (a front
            end's, whole); ``summarizer_options`` change some of them.
        **summarizer_options: for :class:`~summarize.Summarizer` (``model``,
            ``backend``, ``batch_size``, generation options...).

    Example (needs Ray)::

        ds = summarize_dataset("archive/*.jsonl", model="xlsum", concurrency=4, num_gpus=1)
        ds.write_parquet("summaries/")
    """
    ray = require_ray()
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise InvalidOptionError(f"concurrency must be an integer >= 1, got {concurrency!r}")
    # The one check of a call, without loading the model on the driver (it
    # may have no GPU, or too little memory); the actors load it.
    built = (options or SummarizerOptions()).replace(**summarizer_options)
    call = CallOptions(lang, target_lang)
    check_call(built, call)
    batch_size = built.batch_size
    plan = ray_inputs(data)
    if plan is not None:
        plan = InputPlan(tuple(f.located() for f in plan.files), plan.format, plan.qualify)  # actors run elsewhere
    ds = data if plan is None else _files_dataset(ray, plan, id_field)
    return ds.map_batches(
        SummarizeBatches,
        fn_constructor_kwargs=dict(
            summarizer_options=built, options=call,
            text_field=text_field, id_field=id_field, exclude_ids=list(exclude_ids), plan=plan,
        ),
        # A file is parsed and summarised by one actor: work is spread over
        # actors file by file (Ray cannot split a file's rows into blocks
        # without CPUs of its own, which the actors hold).
        batch_size=1 if plan is not None else batch_size * 4,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=concurrency),
        num_gpus=num_gpus or None,
        num_cpus=num_cpus,
    )


def run_ray_job(job: Any, plan: InputPlan | None = None):
    """Run a :class:`~summarize.jobs.Job` on Ray: shards into ``job.output``, missing ids only.

    ``plan``: the job's inputs as planned before its output was opened (planned here if not given).
    """
    from ..inputs.outputs import ShardWriter, count_rows
    from . import JobResult

    require_ray()
    suffix = "json" if job.output_format == "jsonl" else "parquet"
    out = Path(job.output).absolute()  # Ray's writers run in other directories than this one
    # The same sink rules as a local job: shards already there are refused
    # unless the job resumes, and resuming reads them the same way.
    sink = ShardWriter(out, suffix, resume=job.resume)
    done, failed_before = sink.done, sink.failed
    if done:
        logger.info("%d ids already in %s; doing the rest", len(done), out)
    init_ray(job.ray.get("address"))
    ds = summarize_dataset(
        plan or plan_inputs(job.inputs, job.input_format), concurrency=job.ray.get("concurrency", 1), num_gpus=job.ray.get("num_gpus", 0),
        num_cpus=job.ray.get("num_cpus", 1), text_field=job.text_field, id_field=job.id_field,
        exclude_ids=done, lang=job.options.lang, target_lang=job.options.target_lang, options=job.summarizer,
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
