"""Generation backends: what turns token ids into summary token ids.

``BACKENDS`` maps a name to ``"module:Class"``; the module is imported only
when the backend is built, so ``import summarize`` never imports torch.
Every backend takes the same batches (lists of token ids, already chunked and
length-sorted by :class:`~summarize.Summarizer`) and the same
:class:`~summarize.generation.GenerationSettings`.
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
        """Summary token ids (without the start and end tokens) for each input.

        ``start_tokens`` has one decoder start token per input (``None``: the
        model's own), so one batch may mix target languages. With ``n_best >
        1``, each input gets a list of its ``n_best`` best hypotheses instead.
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
