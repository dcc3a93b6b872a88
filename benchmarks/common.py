"""Helpers shared by the benchmark scripts: machine description and number formatting."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import platform
from pathlib import Path

import numpy as np


def machine_info(*packages: str) -> dict:
    """Date, CPU model, usable cores, Python and numpy versions, and each package's version
    (under its name with '-' replaced by '_')."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    info = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu, "nproc": nproc, "python": platform.python_version(),
        "numpy": np.__version__, "platform": platform.platform(),
    }
    for pkg in packages:
        try:
            info[pkg.replace("-", "_")] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            info[pkg.replace("-", "_")] = "not installed"
    return info


def fmt_rate(x) -> str:
    """A rate per second as '12.34 M', '56.7 k' or '89' ('—' for None)."""
    if x is None:
        return "—"
    if x >= 1e6:
        return f"{x / 1e6:.2f} M"
    if x >= 1e3:
        return f"{x / 1e3:.1f} k"
    return f"{x:.0f}"
