"""Precision policy: which compute type a CTranslate2 model runs in, on which device and CPU.

One home for the rules, so that both the backend and the option checks
(``check_options``) read the same ones.
"""

from __future__ import annotations

from ..checkpoints.loading import NO_FP16_TYPES
from ..errors import InvalidOptionError, choices

COMPUTE_TYPES = ("auto", "int8", "int8_float32", "int8_float16", "int8_bfloat16", "int16", "float16", "bfloat16", "float32")


def check_compute_type(compute_type: str) -> None:
    """Refuse a compute type CTranslate2 does not have (``"auto"`` is the library's choice)."""
    if compute_type not in COMPUTE_TYPES:
        raise InvalidOptionError(f"unknown compute_type {compute_type!r}; valid values are {choices(COMPUTE_TYPES)}")


def int8_library(ct2) -> str:
    """``"mkl"`` or ``"onednn"``: the library CTranslate2 runs int8 matrix products with on this CPU.

    CTranslate2 uses oneMKL on Intel CPUs and oneDNN elsewhere (AMD), unless
    ``CT2_USE_MKL`` says otherwise; int16 is supported through oneMKL only,
    which is how the choice shows from outside.
    """
    return "mkl" if "int16" in ct2.get_supported_compute_types("cpu") else "onednn"


def resolve_compute_type(compute_type: str, device: str, model_type: str, cpu_int8: str = "mkl") -> str:
    """``auto``: on CPU int8 where oneMKL runs it, else float32; on CUDA float32 for T5-family models, else int8 with fp16.

    CPU: oneDNN's int8 products (AMD CPUs, or ``CT2_USE_MKL=0``) made a
    document's summary depend on its batch mates (2 of 8 mT5-small-shaped
    summaries changed between batch 1 and batch 8) and agreed with float32
    on 77% of next tokens; float32 on the same path agreed on all and
    changed none, at 0.61x int8's speed (``benchmarks/precision.py``;
    benchmarks/README.md). oneMKL on an AMD CPU was slower than either. So
    int8 stays the default only where oneMKL runs it (Intel), where it was
    measured batch-independent. ``cpu_int8`` is :func:`int8_library`'s answer.

    CUDA: T5-family models have open CTranslate2 defect reports for every
    half-precision type: float16 overflows to NaN or all-pad output (#1074,
    #1679, #2102 for mT5-small on the 4.8 wheel) and bfloat16 beam search
    degenerates into repetition (#2102, #1074), while the presets decode with
    4 and 5 beams. Until a GPU measurement (``benchmarks/precision.py
    --device cuda``) says otherwise, they run in float32, the type those
    reports recommend.

    >>> resolve_compute_type("auto", "cpu", "mt5"), resolve_compute_type("auto", "cpu", "mt5", cpu_int8="onednn")
    ('int8', 'float32')
    >>> resolve_compute_type("auto", "cuda", "mt5"), resolve_compute_type("auto", "cuda", "bart")
    ('float32', 'int8_float16')
    """
    check_compute_type(compute_type)
    t5 = model_type in NO_FP16_TYPES
    if compute_type == "auto":
        if device == "cpu":
            return "int8" if cpu_int8 == "mkl" else "float32"
        return "float32" if t5 else "int8_float16"
    refuse_half_precision(model_type, "compute_type", compute_type, instead="'float32' (or 'int8' on CPU)")
    return compute_type


def refuse_half_precision(model_type: str, option: str, value: str, *, instead: str) -> None:
    """The one float16 rule for every backend: refused for T5-family models, whose activations overflow it.

    >>> refuse_half_precision("mt5", "dtype", "float16", instead="'float32'")
    Traceback (most recent call last):
    ...
    summarize.errors.InvalidOptionError: dtype 'float16' is refused for 'mt5' models: their activations overflow float16 and the output becomes NaN; use 'float32'
    """
    if model_type in NO_FP16_TYPES and value in ("float16", "int8_float16"):
        raise InvalidOptionError(
            f"{option} {value!r} is refused for {model_type!r} models: their activations "
            f"overflow float16 and the output becomes NaN; use {instead}"
        )


def quantization_for(compute_type: str) -> str | None:
    """Weights on disk for a resolved compute type: int8 serves every int8_* type; float types keep float32."""
    return "int8" if compute_type.startswith("int8") else None
