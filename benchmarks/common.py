"""What every benchmark shares: one timing protocol, the machine's description, number formats.

The protocol, for every contender alike (ours and each peer): ``warmup`` untimed call(s) (imports,
JIT compilation, caches, lazy set-up), then ``repeats`` timed calls of the same work with
``time.perf_counter``; reported: the median, the interquartile range (IQR: 25th–75th percentile)
and the fastest run. Rates are work / median time; their spread is work / (75th, 25th
percentile). A contender too slow for the full work is timed, under the same protocol, on a
stated subset and scaled linearly (said so in the results). The machine's 1-, 5- and 15-minute
load averages are recorded before and after the run.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import platform
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

WARMUP = 1


@dataclass(frozen=True)
class Timing:
    """Seconds per call of one contender under the protocol (see the module docstring)."""

    median: float
    q1: float
    q3: float
    best: float
    repeats: int
    warmup: int

    def rate(self, work: float) -> dict:
        """Work per second: median, and the IQR as (low, high)."""
        return {"median": work / self.median, "low": work / self.q3, "high": work / self.q1}

    def scaled(self, factor: float) -> Timing:
        """The same timing for ``factor`` times the work (linear extrapolation)."""
        return Timing(self.median * factor, self.q1 * factor, self.q3 * factor,
                      self.best * factor, self.repeats, self.warmup)

    def as_dict(self) -> dict:
        return asdict(self)


def measure(fn, repeats: int, warmup: int = WARMUP, setup=None) -> Timing:
    """Time ``fn()`` ``repeats`` times after ``warmup`` untimed calls; with ``setup``, each call
    is ``fn(setup())`` where only ``fn`` is timed (fresh generators, clients, ...)."""
    if repeats < 1 or warmup < 0:
        raise ValueError(f"repeats must be ≥ 1 and warmup ≥ 0, got {repeats} and {warmup}")

    def once() -> float:
        if setup is None:
            start = time.perf_counter()
            fn()
        else:
            arg = setup()
            start = time.perf_counter()
            fn(arg)
        return time.perf_counter() - start

    for _ in range(warmup):
        once()
    times = sorted(once() for _ in range(repeats))
    if repeats >= 2:
        q1, _, q3 = statistics.quantiles(times, n=4, method="inclusive")
    else:
        q1 = q3 = times[0]
    return Timing(statistics.median(times), q1, q3, times[0], repeats, warmup)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def load() -> list[float]:
    """The 1-, 5- and 15-minute load averages (runnable processes; compare with nproc)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (OSError, AttributeError):
        return []


def machine_info(*packages: str) -> dict:
    """Date, CPU model, usable cores, load averages, Python and numpy versions, and each package's
    version (under its name with '-' replaced by '_'). Call ``finish(info)`` at the end."""
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    info = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(), "nproc": nproc, "load_before": load(),
        "python": platform.python_version(), "numpy": np.__version__,
        "platform": platform.platform(),
        "protocol": f"{WARMUP} warm-up call, then the stated repeats; median and IQR",
    }
    for pkg in packages:
        try:
            info[pkg.replace("-", "_")] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            info[pkg.replace("-", "_")] = "not installed"
    return info


def finish(info: dict) -> dict:
    info["load_after"] = load()
    return info


def machine_lines(info: dict) -> list[str]:
    """Markdown bullet lines naming the machine, its load and the timing protocol."""
    return [
        f"- date: {info['date']}",
        f"- machine: {info['cpu']}, nproc = {info['nproc']}, {info['platform']}",
        f"- load average (1, 5, 15 min) before / after: {info['load_before']} / "
        f"{info.get('load_after', '?')} (a load above nproc means other work shared the CPUs)",
        f"- timing protocol (every contender): {info['protocol']} (benchmarks/common.py)",
    ]


def fmt_rate(x) -> str:
    """A rate per second as '12.34 M', '56.7 k' or '89' ('—' for None)."""
    if x is None:
        return "—"
    if x >= 1e6:
        return f"{x / 1e6:.2f} M"
    if x >= 1e3:
        return f"{x / 1e3:.1f} k"
    return f"{x:.0f}"


def fmt_rate_iqr(rate: dict | None) -> str:
    """'12.3 M (11.9–12.8 M)': median rate and its IQR."""
    if rate is None:
        return "—"
    if rate["low"] == rate["high"]:  # a single timed run: no spread to show
        return fmt_rate(rate["median"])
    return f"{fmt_rate(rate['median'])} ({fmt_rate(rate['low'])}–{fmt_rate(rate['high'])})"


def fmt_seconds(t: Timing | None) -> str:
    """'201 ms (195–210)' or '116 s (110–120)': median and IQR."""
    if t is None:
        return "—"
    if t.q1 == t.q3:  # a single timed run: no spread to show
        return f"{t.median * 1e3:.0f} ms" if t.median < 1 else f"{t.median:.1f} s"
    if t.median < 1:
        return f"{t.median * 1e3:.0f} ms ({t.q1 * 1e3:.0f}–{t.q3 * 1e3:.0f})"
    return f"{t.median:.1f} s ({t.q1:.1f}–{t.q3:.1f})"


def peer_missing(package: str, why: str = "") -> str:
    """The one-line reason printed when a benchmark-only peer is not installed."""
    return (f"peer skipped: {package} is not installed ({why or 'benchmark-only'}; "
            f"pip install -e '.[bench]' installs the peers)")
