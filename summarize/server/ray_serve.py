"""``summarize serve --ray``: the same app on Ray Serve, with replicas of the model and Ray's own batching.

Two deployments: ``SummarizeModel``, ``--replicas`` copies of the model, each
gathering single documents into batches with ``@serve.batch``
(``--batch-size``, ``--max-wait-ms``) and running them through the same
:meth:`~summarize.server.service.Service.run` as one process does; and
``SummarizeIngress``, the same Starlette app (:func:`~summarize.server.app.create_app`),
whose documents go to the model deployment's handle instead of the local
batcher. Ray routes each document to a replica; ``--max-queue`` still bounds
what waits at the ingress.
"""

from __future__ import annotations

import asyncio
import time
import logging
import signal
import threading
from typing import Any

from ..errors import MissingDependencyError
from .batcher import QueueFull

logger = logging.getLogger("summarize.server")
APP_NAME = "summarize"


def _serve():
    try:
        from ray import serve
    except ImportError:
        raise MissingDependencyError("--ray needs Ray Serve: pip install 'summarize[ray]'") from None
    return serve


class RemoteBatcher:
    """The local :class:`~summarize.server.batcher.Batcher`'s interface, over the model deployment's handle."""

    def __init__(self, handle: Any, max_queue: int):
        self.handle, self.max_queue = handle, max_queue
        self.queued = 0
        self.running = 0
        self._stopping = False

    async def start(self) -> None:
        return None

    async def check(self, options) -> None:
        """The replicas' check of a request's options (they hold the model); its error raised here, as locally."""
        from .. import errors

        refused = await self.handle.check.remote(options)
        if refused:
            kind, message = refused
            raise getattr(errors, kind, errors.InvalidOptionError)(message)

    async def submit(self, records, options):
        if self._stopping:
            raise QueueFull("the server is shutting down")
        if self.queued + len(records) > self.max_queue:
            raise QueueFull(f"{self.queued} documents are waiting (--max-queue {self.max_queue})")
        self.queued += len(records)
        try:
            # One call per document: Ray batches them on the replicas, across requests.
            return list(await asyncio.gather(*(self.handle.summarize.remote(record, options) for record in records)))
        finally:
            self.queued -= len(records)

    async def drain(self, timeout: float | None = None) -> None:
        self._stopping = True
        stop_at = None if timeout is None else time.monotonic() + timeout
        while self.queued and (stop_at is None or time.monotonic() < stop_at):
            await asyncio.sleep(0.01)


def build_deployments(config: Any, replicas: int):
    """The Ray Serve application: the ingress bound to ``replicas`` model replicas."""
    serve = _serve()
    from .app import create_app
    from .service import Service

    batch_size, wait = config.batch_size, config.max_wait_ms / 1000

    @serve.deployment(name="SummarizeModel", num_replicas=replicas, max_ongoing_requests=max(2 * batch_size, 8))
    class SummarizeModel:
        def __init__(self):
            from ..backends.cpu import tune_process

            if config.summarizer.get("method", "abstractive") == "abstractive":
                tune_process(config.summarizer.get("threads", 0))
            self.service = Service(config)
            self.service.load()
            if self.service.load_error:
                raise RuntimeError(self.service.load_error)

        async def check(self, options: dict) -> tuple[str, str] | None:
            """``None``, or the error the service's check raises (its class name and message: they cross processes)."""
            from ..errors import SummarizeError

            try:
                self.service.check(options)
            except SummarizeError as exc:
                return type(exc).__name__, str(exc)
            return None

        @serve.batch(max_batch_size=batch_size, batch_wait_timeout_s=wait)
        async def summarize(self, records: list, options: list) -> list:
            rows: list = [None] * len(records)
            groups: dict = {}
            for i, o in enumerate(options):
                groups.setdefault(tuple(sorted((k, repr(v)) for k, v in o.items())), []).append(i)
            for indices in groups.values():
                done = await asyncio.to_thread(self.service.run, [records[i] for i in indices], options[indices[0]])
                for i, row in zip(indices, done):
                    rows[i] = row
            return rows

    def build_app():
        handle = serve.get_deployment_handle("SummarizeModel", app_name=APP_NAME)
        app = create_app(config, summarizer=_Remote(config))
        app.state.service.batcher = RemoteBatcher(handle, config.max_queue)
        return app

    # The ingress only parses and forwards: it takes no CPU from the replicas' share.
    ingress = serve.deployment(name="SummarizeIngress", ray_actor_options={"num_cpus": 0})(serve.ingress(build_app)())
    return ingress.bind(SummarizeModel.bind())


class _Remote:
    """What the ingress's service knows of the model: its method (the model is on the replicas)."""

    def __init__(self, config: Any):
        self.method = config.summarizer.get("method", "abstractive")
        self.checkpoint = None


def serve_on_ray(config: Any, *, host: str, port: int, replicas: int) -> int:
    """Start a local Ray (or join RAY_ADDRESS), run the app, block until SIGTERM or Ctrl-C, shut down, exit 0."""
    serve = _serve()
    from ..distributed import init_ray

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
