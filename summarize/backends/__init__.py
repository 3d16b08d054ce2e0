"""Generation backends: what turns token ids into summary token ids, under one contract.

``BACKENDS`` maps a name to ``"module:Class"``; the module is imported only
when the backend is built, so ``import summarize`` never imports torch.

The contract (:class:`Backend`, a base class whose one primitive is
:meth:`~Backend.submit`): every backend takes the same batches (lists of
token ids, already chunked and length-sorted by the scheduler,
:mod:`summarize.generation.scheduler`), one start token per input and the same
:class:`~summarize.generation.GenerationSettings`, and returns for every
input a list of hypotheses, best first (one unless ``n_best`` asks for
more). Which backend, its conversion and cache, and falling back are
decided in one place, :func:`load_backend`. What is the same for every backend is decided here or beside it, once:
the device (:func:`resolve_device`), half precision on T5-family models
(:func:`summarize.backends.precision.refuse_half_precision`), the vocabulary
restriction (:mod:`summarize.backends.vocabulary`), and what to do when a batch runs
out of memory (the scheduler halves it and retries, for every backend;
:func:`is_out_of_memory`).
"""

from __future__ import annotations

import abc
import importlib
import logging
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from ..errors import InvalidOptionError, ModelNotAvailableError, choices
from ..generation import GenerationSettings

logger = logging.getLogger(__name__)

BACKENDS: dict[str, str] = {
    "torch": "summarize.backends.torch:TorchBackend",
    "ctranslate2": "summarize.backends.ctranslate2:CTranslate2Backend",
}


class Backend(abc.ABC):
    """The contract every backend implements: one primitive, :meth:`submit`.

    The scheduler (:mod:`summarize.generation.scheduler`) and the rest of the library use
    only what is defined here: a new backend subclasses this, implements
    :meth:`submit` (and its constructor, which takes the checkpoint and the
    options :func:`load_backend` passes: ``device``, ``dtype``,
    ``vocabulary``, ``threads``), and is named in :data:`BACKENDS`.

    Attributes:
        name: the name in :data:`BACKENDS`.
        device: where it runs (``"cpu"``, ``"cuda:0"``...).
        dtype: its precision (a torch dtype or a CTranslate2 compute type).
        workers: batches it runs at once; the scheduler keeps one more than
            this in flight, so a free worker never waits (default 1).
        vocabulary: the candidate list it generates from
            (:class:`summarize.backends.vocabulary.Candidates`), or ``None`` for the full vocabulary.
    """

    name: ClassVar[str]
    device: str  # set by the constructor: what it resolved, never a default that could mislabel rows
    dtype: str
    workers: int = 1
    vocabulary: Any = None

    @abc.abstractmethod
    def submit(
        self,
        batch: Sequence[Sequence[int]],
        settings: GenerationSettings,
        start_tokens: Sequence[int | None],
        n_best: int = 1,
    ) -> Callable[[], list[list[list[int]]]]:
        """Start one batch; calling what it returns waits for the batch's output (and raises its error).

        The output has, for each input, its hypotheses' token ids (without the
        start and end tokens), best first: ``n_best`` of them, always as a
        list. ``start_tokens`` has one decoder start token per input
        (``None``: the model's own), so one batch may mix target languages. A
        backend that runs one batch at a time may generate here and return
        the finished output.
        """

    def generate(
        self,
        batch: Sequence[Sequence[int]],
        settings: GenerationSettings,
        start_tokens: Sequence[int | None],
        n_best: int = 1,
    ) -> list[list[list[int]]]:
        """:meth:`submit`, then wait: the batch's output."""
        return self.submit(batch, settings, start_tokens, n_best)()

    def release_memory(self) -> None:
        """Give back cached memory (the scheduler calls it before retrying a batch that ran out); nothing by default."""

    @property
    def vocabulary_used(self) -> str:
        """``"full"``, or the restriction's label (``"top-K"``), for rows and signatures."""
        return "full" if self.vocabulary is None else self.vocabulary.label


def finished(outputs: list[list[list[int]]]) -> Callable[[], list[list[list[int]]]]:
    """A finished output in :meth:`Backend.submit`'s shape: waiting returns it."""
    return lambda: outputs


DEVICE_KINDS = ("cpu", "cuda", "mps")
DTYPE_NAMES = ("auto", "float32", "bfloat16", "float16")


def check_device(device: str) -> None:
    """Refuse a device name no backend knows, without importing any backend.

    >>> check_device("cuda:1")
    >>> check_device("tpu")
    Traceback (most recent call last):
    ...
    summarize.errors.InvalidOptionError: unknown device 'tpu'; valid devices are 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'
    """
    kind, colon, index = device.partition(":") if isinstance(device, str) else (None, "", "")
    if device != "auto" and (kind not in DEVICE_KINDS or (colon and not (kind == "cuda" and index.isdigit()))):
        raise InvalidOptionError(f"unknown device {device!r}; valid devices are 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'")


def resolve_device(device: str, *, backend: str, cuda_devices: int, mps: bool = False) -> tuple[str, int]:
    """One device rule for every backend: ``(kind, index)``.

    ``"auto"`` is CUDA where the backend sees a GPU, then MPS where it runs
    there, then the CPU; a device asked for by name must exist.

    >>> resolve_device("auto", backend="torch", cuda_devices=0), resolve_device("cuda:1", backend="torch", cuda_devices=2)
    (('cpu', 0), ('cuda', 1))
    >>> resolve_device("cuda", backend="ctranslate2", cuda_devices=0)
    Traceback (most recent call last):
    ...
    summarize.errors.InvalidOptionError: device 'cuda' was asked for, but backend 'ctranslate2' sees no CUDA device; use device='cpu' or 'auto'
    """
    if device == "auto":
        return ("cuda", 0) if cuda_devices else ("mps", 0) if mps else ("cpu", 0)
    check_device(device)
    kind, _, index = device.partition(":")
    number = int(index or 0)
    if kind == "cuda" and not cuda_devices:
        raise InvalidOptionError(f"device {device!r} was asked for, but backend {backend!r} sees no CUDA device; use device='cpu' or 'auto'")
    if kind == "cuda" and number >= cuda_devices:
        raise InvalidOptionError(f"device {device!r} was asked for, but backend {backend!r} sees {cuda_devices} CUDA device(s); use 'cuda:0' to 'cuda:{cuda_devices - 1}'")
    if kind == "mps" and not mps:
        raise InvalidOptionError(f"device {device!r} was asked for, but backend {backend!r} has no MPS device here; use device='cpu' or 'auto'")
    return kind, number


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether a backend's error is running out of (GPU or host) memory, whichever backend raised it.

    >>> is_out_of_memory(RuntimeError("CUDA failed with error out of memory")), is_out_of_memory(ValueError("bad"))
    (True, False)
    """
    return isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError" or "out of memory" in str(exc).lower()


def resolve_backend(name: str, *, device: str = "auto", dtype: str = "auto") -> str:
    """``"auto"``: CTranslate2 where it is installed and can serve the request, else torch.

    CTranslate2 runs on CPU and CUDA and sets its own precision, so an explicit
    ``dtype`` or an ``mps`` device means torch.
    """
    if name != "auto":
        if name not in BACKENDS:
            raise InvalidOptionError(f"unknown backend {name!r}; valid backends are {choices(['auto', *BACKENDS])}")
        return name
    if dtype != "auto" or str(device).startswith("mps"):
        return "torch"
    try:
        import ctranslate2  # noqa: F401
    except ImportError:
        return "torch"
    return "ctranslate2"


def load_backend(options: Any) -> tuple[Any, Backend]:
    """Choose, convert, cache and fall back: the checkpoint and the backend a :class:`~summarize.options.SummarizerOptions` asks for.

    The one home of the choice. ``backend="auto"`` is CTranslate2 where it is
    installed and can serve the options (:func:`resolve_backend`); a model
    converted before is loaded from the conversion cache without transformers
    or torch; and a checkpoint CTranslate2 cannot convert runs on torch, with
    a warning (the fast path is a default, not a requirement). A backend named
    explicitly never falls back.

    Raises:
        InvalidOptionError: CTranslate2-only options for another backend.
        ModelNotAvailableError: the model cannot be loaded (or converted, when asked for by name).
    """
    from ..checkpoints import load_checkpoint

    name = resolve_backend(options.backend, device=options.device, dtype=options.dtype)
    common: dict[str, Any] = {"device": options.device, "dtype": options.dtype, "vocabulary": options.vocabulary,
                              "threads": options.threads}
    if name != "ctranslate2" and (options.compute_type != "auto" or options.cache_dir is not None):
        raise InvalidOptionError(f"compute_type and cache_dir apply to backend='ctranslate2', not {name!r}")
    if name != "ctranslate2":
        checkpoint = load_checkpoint(options.model, revision=options.revision)
        return checkpoint, create_backend(name, checkpoint, **common)

    # A model converted before needs neither transformers nor torch.
    from .conversion import cached_checkpoint

    checkpoint = cached_checkpoint(options.model, options.revision, options.compute_type, options.cache_dir)
    checkpoint = checkpoint or load_checkpoint(options.model, revision=options.revision)
    try:
        return checkpoint, create_backend(name, checkpoint, compute_type=options.compute_type,
                                          cache_dir=options.cache_dir, **common)
    except ModelNotAvailableError as exc:
        if options.backend != "auto":
            raise
        logger.warning("%s; using the torch backend", exc)
        if checkpoint.config is None:  # from the conversion cache: torch needs the checkpoint itself
            checkpoint = load_checkpoint(options.model, revision=options.revision)
        return checkpoint, create_backend("torch", checkpoint, **common)


def create_backend(name: str, checkpoint: Any, **options: Any) -> Backend:
    """Build the backend called ``name`` for a loaded checkpoint."""
    if name not in BACKENDS:
        raise InvalidOptionError(f"unknown backend {name!r}; valid backends are {choices(BACKENDS)}")
    module_name, class_name = BACKENDS[name].split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(cls, type) and issubclass(cls, Backend)):
        raise TypeError(f"backend {name!r} ({BACKENDS[name]}) must subclass summarize.backends.Backend")
    backend = cls(checkpoint, **options)
    missing = [attr for attr in ("device", "dtype") if not isinstance(getattr(backend, attr, None), str)]
    if missing:
        raise TypeError(f"backend {name!r} did not set {' and '.join(missing)}: rows and signatures name them")
    return backend
