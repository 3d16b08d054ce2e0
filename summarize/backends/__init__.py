"""Generation backends: what turns token ids into summary token ids, under one contract.

``BACKENDS`` maps a name to ``"module:Class"``; the module is imported only
when the backend is built, so ``import summarize`` never imports torch.

The contract (:class:`Backend`): every backend takes the same batches (lists
of token ids, already chunked and length-sorted by the scheduler,
:mod:`summarize.batching`), one start token per input and the same
:class:`~summarize.generation.GenerationSettings`, and returns for every
input a list of hypotheses, best first (one unless ``n_best`` asks for
more). What is the same for every backend is decided here or beside it, once:
the device (:func:`resolve_device`), half precision on T5-family models
(:func:`summarize.backends.precision.refuse_half_precision`), the vocabulary
restriction (:mod:`summarize.vocabulary`), and what to do when a batch runs
out of memory (the scheduler halves it and retries, for every backend;
:func:`is_out_of_memory`).
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol, Sequence

from ..errors import InvalidOptionError, choices
from ..generation import GenerationSettings

BACKENDS: dict[str, str] = {
    "torch": "summarize.backends.torch:TorchBackend",
    "ctranslate2": "summarize.backends.ctranslate2:CTranslate2Backend",
}


class Backend(Protocol):
    """What a backend provides."""

    name: str
    device: str
    dtype: str

    def generate(
        self,
        batch: Sequence[Sequence[int]],
        settings: GenerationSettings,
        start_tokens: Sequence[int | None],
        n_best: int = 1,
    ) -> list[Any]:
        """For each input, its hypotheses' token ids (without the start and end tokens), best first.

        ``start_tokens`` has one decoder start token per input (``None``: the
        model's own), so one batch may mix target languages. Each input gets
        ``n_best`` hypotheses (one by default), always as a list.
        """
        ...


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


def check_dtype(dtype: str) -> None:
    """Refuse a dtype name the torch backend does not know."""
    if dtype not in DTYPE_NAMES:
        raise InvalidOptionError(f"unknown dtype {dtype!r}; valid dtypes are {choices(DTYPE_NAMES)}")


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


def create_backend(name: str, checkpoint: Any, **options: Any) -> Backend:
    """Build the backend called ``name`` for a loaded checkpoint."""
    if name not in BACKENDS:
        raise InvalidOptionError(f"unknown backend {name!r}; valid backends are {choices(BACKENDS)}")
    module_name, class_name = BACKENDS[name].split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls(checkpoint, **options)
