"""CPU tuning for the backends: threads, parallel workers, malloc arenas, CTranslate2's kernels.

Two kinds. What a backend decides for itself and keeps to itself (how many
threads and workers, :func:`cpu_workers`, :func:`default_torch_threads`).
And what changes the whole process (CTranslate2's kernel choice, glibc's
malloc arenas): only :func:`tune_process` does that, and only when called.
The commands (``summarize``, ``summarize-eval``), Ray actors and the
benchmarks call it at start; a library user's process is left as it was
unless they call it too. Each function leaves a user's own setting (an
environment variable) alone.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys

logger = logging.getLogger(__name__)


# At most this many parallel workers; the threads left go to each worker's operations.
MAX_WORKERS = 4


def available_cpus() -> int:
    """``OMP_NUM_THREADS`` if set (Ray sets it to an actor's CPUs), else the cores this process may use."""
    try:
        value = int(os.environ.get("OMP_NUM_THREADS", ""))
        if value > 0:
            return value
    except ValueError:
        pass
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


# glibc's mallopt() parameter number for the most malloc arenas (malloc.h).
M_ARENA_MAX = -8


def limit_malloc_arenas(arenas: int) -> bool:
    """Cap glibc's malloc arenas at ``max(2, arenas)``, unless ``MALLOC_ARENA_MAX`` is set; True if capped.

    glibc gives each new thread an arena of its own (up to 8 per core), and
    each arena keeps the blocks its thread freed. Parallel workers free and
    allocate large blocks at every batch (the vocabulary map's output layer
    is rebuilt per batch), so their arenas held about 160 MB more at peak
    for mT5-base with two workers; one arena per worker measured the same
    speed (benchmarks/README.md). The cap is process-wide: set
    ``MALLOC_ARENA_MAX`` yourself to choose another (glibc reads it at start).
    Elsewhere (musl, macOS, Windows) this does nothing.
    """
    if os.environ.get("MALLOC_ARENA_MAX") or not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    capped = mallopt(M_ARENA_MAX, max(2, arenas)) == 1
    if capped:
        logger.debug("malloc arenas capped at %d for %d CTranslate2 workers", max(2, arenas), arenas)
    return capped


# What CTranslate2 checks before it accepts CT2_FORCE_CPU_ISA=AVX512.
AVX512_FLAGS = ("avx512f", "avx512cd", "avx512vl", "avx512dq", "avx512bw")


def prefer_avx512(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """Let CTranslate2's own kernels use AVX-512 where the CPU has it, unless ``CT2_FORCE_CPU_ISA`` is set; True if set.

    CTranslate2 leaves AVX-512 out of its automatic choice and runs its own
    kernels (softmax, quantisation, element-wise operations) with AVX2; its
    matrix products (oneMKL) choose for themselves. With AVX-512 the default
    path ran 7% (mT5-base shape) to 9% (small) faster on the benchmark
    machine (benchmarks/README.md). CTranslate2 reads the variable once, when
    its first model loads: a process that loaded one before keeps its choice.
    Set ``CT2_FORCE_CPU_ISA=AVX2`` yourself to keep CTranslate2's default.
    Only on Linux, where the CPU's flags are read from ``cpuinfo``.
    """
    if os.environ.get("CT2_FORCE_CPU_ISA") or not sys.platform.startswith("linux"):
        return False
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        return False
    if not all(flag in flags for flag in AVX512_FLAGS):
        return False
    os.environ["CT2_FORCE_CPU_ISA"] = "AVX512"
    logger.debug("CTranslate2's CPU kernels set to AVX-512 (CT2_FORCE_CPU_ISA)")
    return True


def cpu_workers(threads: int) -> tuple[int, int]:
    """``(workers, threads per worker)`` for ``threads`` CPU threads.

    Parallel batches before parallel operations, as CTranslate2's guide
    advises for throughput: a decoding step of a small model is too short to
    share between threads, and separate batches never wait for each other
    (on 2 cores, 2 workers of 1 thread ran mT5-small 1.3x to 1.4x faster
    than CTranslate2's default threading: ``ct2-direct`` against
    ``ct2-direct-defaults`` in benchmarks/README.md).
    The workers share the weights, and the batch size is split between them,
    so memory stays that of one batch.

    >>> cpu_workers(1), cpu_workers(2), cpu_workers(8), cpu_workers(16)
    ((1, 1), (2, 1), (4, 2), (4, 4))
    """
    workers = max(1, min(threads, MAX_WORKERS))
    return workers, max(1, threads // workers)


def default_torch_threads(cores: int | None = None) -> int:
    """Threads for torch when the user asked for none: ``OMP_NUM_THREADS`` if set, else every core but one.

    torch splits each operation over its threads and waits for the slowest;
    with another process on one of the cores, every step waits for the
    thread that shares it. On 2 cores (benchmarks/README.md, "Threads"), two
    threads were 1.15x faster than one on an idle machine and 1.74x slower
    with one core busy; leaving a core free costs little where there are many.

    >>> default_torch_threads(1), default_torch_threads(2), default_torch_threads(16)
    (1, 1, 15)
    """
    if cores is None:
        if os.environ.get("OMP_NUM_THREADS"):
            return available_cpus()  # the user's (or Ray's) number
        cores = available_cpus()
    return max(1, cores - 1)


def tune_process(threads: int = 0) -> list[str]:
    """Tune this process for CTranslate2 on a CPU, before its first model loads; what was changed.

    Lets CTranslate2's own kernels use AVX-512 where the CPU has it
    (:func:`prefer_avx512`, 7% to 9% faster) and caps glibc's malloc arenas at
    one per parallel worker (:func:`limit_malloc_arenas`, about 160 MB less at
    peak for mT5-base). Both are process-wide, hence explicit.

    Args:
        threads: the CPU threads the backend will use (0: every core), which
            sets the number of workers.
    """
    changed = []
    if prefer_avx512():
        changed.append("CT2_FORCE_CPU_ISA=AVX512")
    workers, _ = cpu_workers(threads or available_cpus())
    if workers > 1 and limit_malloc_arenas(workers):
        changed.append(f"malloc arenas <= {max(2, workers)}")
    return changed
