"""Which CPU a run was made on, as recorded in ``report.json`` (``machine``).

XLA compiles its CPU programs for the processor it runs on, and the matrix kernels size their
blocks by the processor's caches, so float32 training gives bit-identical results run to run on
one machine but different last bits on another; Track D's training amplifies those bits (an
encoder trained from a few hundred steps lands on another local optimum), so its accuracies
move by a test image or more across CPUs. ``dssl compare`` reads this record to know whether two
runs' Track D numbers can be compared as numbers (:mod:`sims.commands.compare`).
"""

from __future__ import annotations

import contextlib
import os
import platform
from pathlib import Path

from sims.reproduce.pipeline import jsonio
from sims.reproduce.pipeline.compile_cache import host_tag

_CACHES = Path("/sys/devices/system/cpu/cpu0/cache")


def cpu_name() -> str:
    """The processor's model name (``/proc/cpuinfo``), else what :mod:`platform` says."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            if line.split(":")[0].strip() in ("model name", "Model", "Processor"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _caches() -> str:
    """The first core's caches, e.g. ``"L1d 32K, L1i 32K, L2 1024K, L3 32768K"`` (empty where
    the kernel does not say)."""
    out = []
    with contextlib.suppress(OSError):
        for index in sorted(_CACHES.glob("index*")):
            level = (index / "level").read_text().strip()
            kind = (index / "type").read_text().strip()
            size = (index / "size").read_text().strip()
            suffix = {"Data": "d", "Instruction": "i"}.get(kind, "")
            out.append(f"L{level}{suffix} {size}")
    return ", ".join(out)


def describe() -> dict:
    """The machine record: CPU name, instruction-set tag (:func:`host_tag`), caches, logical
    CPUs, and ``tag``, 12 hex digits of all four: two runs with the same tag ran the same
    compiled float32 arithmetic."""
    rec = {
        "cpu": cpu_name(),
        "instruction_set": host_tag(),
        "caches": _caches(),
        "cpus": os.cpu_count(),
    }
    text = "|".join(str(rec[k]) for k in ("cpu", "instruction_set", "caches", "cpus"))
    return rec | {"tag": jsonio.sha256_bytes(text.encode())[:12]}
