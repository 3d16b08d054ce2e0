"""The server's Prometheus metrics, in a registry of its own (``GET /metrics``)."""

from __future__ import annotations

from typing import Any

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128)


class Metrics:
    """Requests by route and status, latency, queue depth, batch sizes, documents and tokens."""

    def __init__(self, service: Any):
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry()
        self.requests = Counter("summarize_requests", "HTTP requests by route and status", ["route", "status"], registry=self.registry)
        self.latency = Histogram("summarize_request_seconds", "Time to answer a request", ["route"],
                                 buckets=LATENCY_BUCKETS, registry=self.registry)
        self.batch_sizes = Histogram("summarize_batch_documents", "Documents per generated batch",
                                     buckets=BATCH_BUCKETS, registry=self.registry)
        self.documents = Counter("summarize_documents", "Documents summarised, by outcome", ["outcome"], registry=self.registry)
        self.tokens = Counter("summarize_tokens", "Tokens read and written by the model", ["kind"], registry=self.registry)
        queue = Gauge("summarize_queue_documents", "Documents waiting for a batch", registry=self.registry)
        queue.set_function(lambda: service.dispatcher.queued)
        running = Gauge("summarize_running_documents", "Documents in the batch being generated", registry=self.registry)
        running.set_function(lambda: service.dispatcher.running)
        ready = Gauge("summarize_ready", "1 once the model is loaded", registry=self.registry)
        ready.set_function(lambda: 1.0 if service.ready else 0.0)

    def count_rows(self, rows: list[dict[str, Any]]) -> None:
        """Documents and tokens, from the rows a request got back.

        Counted here, at the ingress, from what came back, so the numbers are
        the same whether the model ran in this process or on Ray Serve's
        replicas (whose own registries nobody reads). Batch sizes come from
        the dispatcher, which reports each batch once
        (:meth:`~.dispatch.Dispatcher.start`).
        """
        for row in rows:
            self.documents.labels("failed" if row.get("error") is not None else "ok").inc()
            for kind in ("input", "output"):
                if row.get(f"{kind}_tokens"):
                    self.tokens.labels(kind).inc(row[f"{kind}_tokens"])

    def exposition(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST
