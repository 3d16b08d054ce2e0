"""``summarize serve --ray``: the same app on Ray Serve, with replicas of the model and Ray's own batching.

Two deployments: ``SummarizeModel``, ``--replicas`` copies of the model
(:class:`Replica`), each gathering single documents into batches with
``@serve.batch`` (``--batch-size``, ``--max-wait-ms``) and running them
through the same :func:`~summarize.server.dispatch.run_batch` and row
function as one process does; and ``SummarizeIngress``, the same Starlette
app (:func:`~summarize.server.app.create_app`), whose dispatcher is
:class:`RayServeDispatcher`: documents go to the model deployment's handle
instead of the local batcher. Ray routes each document to a replica;
``--max-queue`` still bounds what waits at the ingress. Each document's
answer is a stream: first that its batch has started (the ingress's
``running``), then its row and the batch it ran in (the ingress's metrics).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from dataclasses import dataclass
from typing import Any

from ..errors import MissingDependencyError
from .dispatch import Batch, Dispatcher, Row, Submission, run_batch

logger = logging.getLogger("summarize.server")
APP_NAME = "summarize"
STARTED = "started"  # a replica's first message for a document: the batch it is in has started


def _serve():
    try:
        from ray import serve
    except ImportError:
        raise MissingDependencyError("--ray needs Ray Serve: pip install 'summarize[ray]'") from None
    return serve


class Replica:
    """What each of the model's replicas does, apart from Ray: check a request's options, run a batch.

    On Ray Serve, ``@serve.batch`` gathers single documents into the lists
    :meth:`batch` takes, and each document's call streams its own messages.

    Args:
        service: the replica's :class:`~summarize.server.service.Service`,
            its model loaded.
    """

    def __init__(self, service: Any):
        self.service = service

    async def check(self, options: dict) -> tuple[str, str] | None:
        """``None``, or the error the service's check raises (its class name and message: they cross processes)."""
        from ..errors import SummarizeError

        try:
            self.service.check(options)
        except SummarizeError as exc:
            return type(exc).__name__, str(exc)
        return None

    async def batch(self, records: list, options: list):
        """A batch of documents, each with its request's options: each one's :data:`STARTED`, then its row and batch."""
        yield [STARTED] * len(records)
        yield await asyncio.to_thread(run_batch, self.service.run, records, options)


@dataclass(eq=False)
class _Asking:
    """One submission's documents at the ingress: how many wait, how many run, the task that asks for them."""

    waiting: int
    running: int = 0
    task: asyncio.Future | None = None


class RayServeDispatcher(Dispatcher):
    """The service's dispatcher over the model deployment's handle: a streamed call per document, batched on the replicas.

    One call per document, so that Ray batches documents across requests;
    a withdrawn request's calls are cancelled (Ray drops those not yet in a
    batch).

    Args:
        handle: the ``SummarizeModel`` deployment's handle.
        max_queue: documents waiting at the ingress, at most.
    """

    def __init__(self, handle: Any, *, max_queue: int):
        super().__init__(max_queue=max_queue)
        self.handle = handle
        self._asking: dict[Submission, _Asking] = {}

    @property
    def queued(self) -> int:
        return sum(a.waiting for a in self._asking.values())

    @property
    def running(self) -> int:
        return sum(a.running for a in self._asking.values())

    async def check(self, options: dict[str, Any]) -> None:
        """The replicas' check of a request's options (they hold the model); its error raised here, as locally."""
        from .. import errors

        refused = await self.handle.check.remote(options)
        if refused:
            kind, message = refused
            raise getattr(errors, kind, errors.InvalidOptionError)(message)

    def _enqueue(self, submission: Submission) -> None:
        asking = _Asking(waiting=submission.cost.documents)
        self._asking[submission] = asking
        asking.task = asyncio.ensure_future(self._ask(submission, asking))

    def _withdraw(self, submission: Submission) -> None:
        asking = self._asking.pop(submission, None)
        if asking is not None and asking.task is not None:
            asking.task.cancel()

    async def _ask(self, submission: Submission, asking: _Asking) -> None:
        calls = [asyncio.ensure_future(self._one(record, submission.options, asking)) for record in submission.records]
        try:
            await asyncio.wait(calls, return_when=asyncio.FIRST_EXCEPTION)
        finally:
            for call in calls:
                call.cancel()  # withdrawn, or a document failed the request: the others are not wanted
            self._asking.pop(submission, None)
        failed = next((c.exception() for c in calls if c.done() and not c.cancelled() and c.exception() is not None), None)
        if submission.future.done():
            return
        if failed is not None:
            submission.future.set_exception(failed)
            return
        ran = [c.result() for c in calls]
        for _, batch in ran:
            self._report(batch)
        submission.future.set_result([row for row, _ in ran])

    async def _one(self, record: Any, options: dict[str, Any], asking: _Asking) -> tuple[Row, Batch]:
        stream = self.handle.options(stream=True).summarize.remote(record, options)
        started = False
        try:
            async for message in stream:
                if message == STARTED:
                    started = True
                    asking.waiting -= 1
                    asking.running += 1
                else:
                    return message
            raise RuntimeError("a replica's answer for a document ended without its row")
        except asyncio.CancelledError:
            stream.cancel()
            raise
        finally:
            if started:
                asking.running -= 1
            else:
                asking.waiting -= 1


def build_deployments(config: Any, replicas: int):
    """The Ray Serve application: the ingress bound to ``replicas`` model replicas."""
    serve = _serve()
    from .app import create_app
    from .service import Service

    batch_size, wait = config.documents_per_batch, config.max_wait_ms / 1000

    @serve.deployment(name="SummarizeModel", num_replicas=replicas, max_ongoing_requests=max(2 * batch_size, 8))
    class SummarizeModel(Replica):
        def __init__(self):
            from ..backends.cpu import tune_process

            if config.summarizer.method == "abstractive":
                tune_process(config.summarizer.threads)
            service = Service(config)
            service.load()
            if service.load_error:
                raise RuntimeError(service.load_error)
            super().__init__(service)

        # Each replica gathers documents, from any request, into batches of its own.
        batch = serve.batch(max_batch_size=batch_size, batch_wait_timeout_s=wait)(Replica.batch)

        async def summarize(self, record: Any, options: dict):
            """One document's messages, from the batch it joins (a streaming method must be a generator itself)."""
            async for message in self.batch(record, options):
                yield message

    def build_app():
        handle = serve.get_deployment_handle("SummarizeModel", app_name=APP_NAME)
        return create_app(config, summarizer=_Remote(config), dispatcher=RayServeDispatcher(handle, max_queue=config.max_queue))

    # The ingress only parses and forwards: it takes no CPU from the replicas' share.
    ingress = serve.deployment(name="SummarizeIngress", ray_actor_options={"num_cpus": 0})(serve.ingress(build_app)())
    return ingress.bind(SummarizeModel.bind())


class _Remote:
    """What the ingress's service knows of the model: its method (the model is on the replicas)."""

    def __init__(self, config: Any):
        self.method = config.summarizer.method
        self.checkpoint = None


def serve_on_ray(config: Any, *, host: str, port: int, replicas: int) -> int:
    """Start a local Ray (or join RAY_ADDRESS), run the app, block until SIGTERM or Ctrl-C, shut down, exit 0."""
    serve = _serve()
    from ..jobs.distributed import init_ray

    init_ray(None)
    serve.start(http_options={"host": host, "port": port})
    serve.run(build_deployments(config, replicas), name=APP_NAME, route_prefix="/")
    logger.info("listening on http://%s:%d on Ray Serve (%d replicas of the model)", host, port, replicas)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    logger.info("stopping: finishing what is in flight")
    serve.shutdown()
    return 0
