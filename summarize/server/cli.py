"""``summarize serve``: the HTTP API and the page, in one process (or on Ray Serve with ``--ray``).

Exit status: 0 after a requested stop (SIGTERM, or Ctrl-C: every accepted
request answered first), 2 bad usage, 1 internal error.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import IO

from ..errors import InvalidOptionError, SummarizeError
from ..generation import GenerationLimits
from ..console import OneLineParser, cli_wording
from ..options import CallOptions, SummarizerOptions, add_arguments, options_from_args
from ..generation import add_generation_arguments, generation_from_args


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="summarize serve", description="Serve summaries over HTTP: an API with dynamic batching, and a page for editors.")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0 picks a free one)")
    p.add_argument("--token", help="require 'Authorization: Bearer TOKEN' on the API (default: $SUMMARIZE_TOKEN; none: open). "
                   "Prefer $SUMMARIZE_TOKEN or --token-file: a --token shows in ps")
    p.add_argument("--token-file", help="read the token from this file (its first line)")
    p.add_argument("--allowed-host", action="append", default=[], help="on loopback, also answer requests whose Host is this name "
                   "(repeatable; default: localhost, 127.0.0.1 and [::1] only, which stops DNS rebinding)")
    from ..languages import LANGUAGES

    p.add_argument("--lang", choices=("auto", *LANGUAGES), help="language of the input, for requests that do not say (default: detect)")
    p.add_argument("--target-lang", choices=tuple(LANGUAGES), help="language of the summary, for requests that do not say (default: the input's)")
    add_arguments(p, helps={"batch_size": "documents per generated batch, gathered across requests"})
    add_generation_arguments(p)
    p.add_argument("--max-wait-ms", type=float, default=10.0, help="how long a batch waits for more documents (default: 10)")
    p.add_argument("--max-queue", type=int, default=256, help="documents waiting at most; past it, 503 with Retry-After (default: 256)")
    p.add_argument("--limit-new-tokens", type=int, default=1024, help="the longest summary a request may ask for, in tokens (max_new_tokens, min_new_tokens); past it, 400 (default: 1024)")
    p.add_argument("--limit-beams", type=int, default=16, help="the widest beam a request may ask for (num_beams); past it, 400 (default: 16)")
    p.add_argument("--max-body-bytes", type=int, default=2_000_000, help="largest request body; past it, 413 (default: 2000000)")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds a request may wait for its summary; past it, 504 (default: 120)")
    p.add_argument("--drain-timeout", type=float, default=30.0, help="on SIGTERM, seconds accepted requests may take; then the rest "
                   "are answered 503 and the process ends (default: 30)")
    p.add_argument("--cors-origin", action="append", default=[], help="allow browser calls from this origin (repeatable; default: none)")
    p.add_argument("--allow-private-urls", action="store_true", help="let {'url': ...} fetch hosts on private or loopback networks")
    p.add_argument("--fetch-timeout", type=float, default=10.0, help="seconds to fetch a URL (default: 10)")
    p.add_argument("--fetch-max-bytes", type=int, default=5_000_000, help="largest page fetched (default: 5000000)")
    p.add_argument("--log-format", choices=("text", "json"), default="text", help="one line per request, as text or JSON (default: text)")
    p.add_argument("--ray", action="store_true", help="run on Ray Serve (pip install 'summarize[ray]')")
    p.add_argument("--replicas", type=int, default=1, help="--ray: replicas, each with its own model (default: 1)")
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    return p


def _check_limits(config) -> None:
    """The server's own decoding settings within the limits it sets requests (else it would refuse every one)."""
    from ..options import check_call

    try:
        check_call(config.summarizer, config.defaults, limits=config.limits)
    except InvalidOptionError as exc:
        raise SummarizeError(f"the server's own settings are over its limits: {exc}; raise --limit-new-tokens or --limit-beams") from None


def config_from_args(args: argparse.Namespace):
    from .service import ServerConfig

    options = SummarizerOptions.of({**options_from_args(args), **generation_from_args(args)})
    for name, value, least in (("--max-queue", args.max_queue, 1), ("--max-body-bytes", args.max_body_bytes, 1),
                               ("--timeout", args.timeout, 0.001), ("--max-wait-ms", args.max_wait_ms, 0),
                               ("--fetch-timeout", args.fetch_timeout, 0.001), ("--fetch-max-bytes", args.fetch_max_bytes, 1),
                               ("--replicas", args.replicas, 1), ("--drain-timeout", args.drain_timeout, 0), ("--limit-new-tokens", args.limit_new_tokens, 1),
                               ("--limit-beams", args.limit_beams, 1)):
        if value < least:
            raise SummarizeError(f"{name} must be >= {least:g}, got {value:g}")
    if not 0 <= args.port <= 65535:
        raise SummarizeError(f"--port must be between 0 and 65535, got {args.port}")
    return ServerConfig(
        summarizer=options, max_wait_ms=args.max_wait_ms, max_queue=args.max_queue,
        max_body_bytes=args.max_body_bytes, timeout=args.timeout, token=_token(args),
        drain_timeout=args.drain_timeout, host=args.host, allowed_hosts=tuple(h.lower() for h in args.allowed_host),
        cors_origins=tuple(args.cors_origin), allow_private_urls=args.allow_private_urls, fetch_timeout=args.fetch_timeout,
        fetch_max_bytes=args.fetch_max_bytes, log_format=args.log_format,
        defaults=CallOptions(args.lang or "auto", args.target_lang),
        limits=GenerationLimits(max_new_tokens=args.limit_new_tokens, num_beams=args.limit_beams),
    )


def _token(args) -> str | None:
    """The token: the first line of --token-file, else --token, else $SUMMARIZE_TOKEN; None: open."""
    if args.token_file:
        try:
            with open(args.token_file, encoding="utf-8") as f:
                token = f.readline().strip()
        except OSError as exc:
            raise SummarizeError(f"--token-file {args.token_file}: {exc.strerror or exc}") from None
        if not token:
            raise SummarizeError(f"--token-file {args.token_file} is empty")
        return token
    return args.token or os.environ.get("SUMMARIZE_TOKEN") or None


def main(argv: Sequence[str] | None = None, *, stderr: IO[str] | None = None) -> int:
    stderr = stderr or sys.stderr
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        config = config_from_args(args)  # the options are checked as they are built, before anything loads
        _check_limits(config)
    except SummarizeError as exc:
        stderr.write(f"summarize serve: error: {cli_wording(str(exc))}\n")
        return 2
    handler = logging.StreamHandler(stderr)
    handler.setFormatter(logging.Formatter("summarize serve: %(message)s"))
    for name in ("summarize.server", "summarize"):
        logging.getLogger(name).handlers = [handler]
        logging.getLogger(name).setLevel(logging.DEBUG if args.debug else logging.INFO)
        logging.getLogger(name).propagate = False
    try:
        if args.ray:
            from .ray_serve import serve_on_ray

            return serve_on_ray(config, host=args.host, port=args.port, replicas=args.replicas)
        return serve(config, host=args.host, port=args.port)
    except SummarizeError as exc:
        stderr.write(f"summarize serve: error: {cli_wording(str(exc))}\n")
        return 2
    except KeyboardInterrupt:
        stderr.write("summarize serve: interrupted\n")
        return 130


def serve(config, *, host: str, port: int) -> int:
    """Run the server until SIGTERM or Ctrl-C; both finish what is in flight, then exit 0."""
    try:
        import uvicorn
    except ImportError:
        raise SummarizeError("summarize serve needs its extra: pip install 'summarize[serve]'") from None
    from ..backends.cpu import tune_process
    from .app import create_app

    if config.summarizer.method == "abstractive":
        tune_process(config.summarizer.threads)

    class Server(uvicorn.Server):
        def handle_exit(self, sig, frame):
            if not self.should_exit:
                logging.getLogger("summarize.server").info(
                    "stopping (%s): no new requests; those accepted have %g s to finish, then the rest are answered 503",
                    signal.Signals(sig).name, config.drain_timeout)
                # The drain starts now, while uvicorn waits for open connections: its 503s reach the clients.
                loop = getattr(app.state, "loop", None)
                if loop is not None:
                    loop.call_soon_threadsafe(lambda: loop.create_task(app.state.service.dispatcher.drain(config.drain_timeout)))
            super().handle_exit(sig, frame)
            # A requested stop: uvicorn would raise the signal again once drained, and the process
            # would end with the signal's status; a stop that finished its work is a success.
            if sig in (signal.SIGTERM, signal.SIGINT) and sig in self._captured_signals:
                self._captured_signals.remove(sig)

    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        raise SummarizeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    log = logging.getLogger("summarize.server")
    log.info("listening on http://%s:%d (the model loads now; /readyz says when it is ready)%s", shown, bound,
             "; a bearer token is required" if config.token else "")
    if not config.token and host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("WARNING: listening on %s with no token: anyone who can reach this address can use the model "
                    "and make it fetch pages; set SUMMARIZE_TOKEN (or --token-file), or bind to 127.0.0.1", shown)
    app = create_app(config)
    server = Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                                   timeout_graceful_shutdown=config.drain_timeout + 2))
    service = app.state.service

    def stop_if_the_model_fails() -> None:
        # A server that can never summarise is not left running: the reason is logged, and it exits 2.
        service.loaded.wait()
        if service.load_error:
            server.should_exit = True

    threading.Thread(target=stop_if_the_model_fails, daemon=True).start()
    server.run(sockets=[sock])
    if service.dispatcher.abandoned:
        # A generation still runs in a worker thread (it cannot be interrupted): every client has had
        # its answer, so the process ends now rather than abort in the interpreter's shutdown.
        log.info("stopped; a generation left running was abandoned")
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        os._exit(0)
    if service.load_error:
        raise SummarizeError(f"the model could not be loaded: {service.load_error}")
    return 0
