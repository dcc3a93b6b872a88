"""Where and how a learner's kernel runs: a bubblewrap sandbox with limits, or (loudly) none.

With :class:`Sandbox` ``kind="bwrap"`` (Linux, Debian package ``bubblewrap``) the kernel sees:

- the whole system and the Python packages **read-only** (``--ro-bind / /``),
- a private ``/tmp``, and as its working directory a **scratch copy** of the notebook's folder
  (every other ``.ipynb`` in it, i.e. classmates' submissions, and grading output left out),
- the submissions folder and the report folder replaced by empty folders (not visible),
- **no network** and its own user, IPC, UTS and **PID namespaces**: when grading ends, the
  namespace's first process dies and the kernel takes every process it started with it,
- limits: address-space data (``RLIMIT_DATA``), file size (``RLIMIT_FSIZE``), and processes (a
  ``pids`` cgroup when the grader may create one, else ``RLIMIT_NPROC`` for non-root users).

With ``kind="none"`` the kernel runs as the instructor, with the same rlimits but no isolation;
the grader says so in the terminal and in the report.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

LAUNCHER = Path(__file__).with_name("_launch.py")
DEFAULT_MEMORY_GB = 4.0
DEFAULT_PROCESSES = 256
MAX_FILE_BYTES = 1 << 30
SCRATCH_MAX_BYTES = 200 << 20
UNSANDBOXED_WARNING = ("WARNING: grading WITHOUT a sandbox: each notebook's code runs as you, can "
                       "read and change your files, reach the network and leave processes "
                       "behind. Install bubblewrap (apt-get install bubblewrap) and use "
                       "--sandbox bwrap for a class.")


def bwrap_path() -> str | None:
    """The bubblewrap executable, if installed and able to create namespaces here."""
    path = shutil.which("bwrap")
    if path is None or not sys.platform.startswith("linux"):
        return None
    import subprocess

    try:
        probe = subprocess.run([path, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                                "--unshare-all", "--die-with-parent", "true"],
                               capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return path if probe.returncode == 0 else None


@dataclass
class Sandbox:
    """How to run kernels: ``kind`` is ``"bwrap"`` or ``"none"``; limits apply to both."""

    kind: str = "bwrap"
    memory_gb: float = DEFAULT_MEMORY_GB
    processes: int = DEFAULT_PROCESSES
    hidden: list[str] = field(default_factory=list)  # folders the kernel must not see

    def __post_init__(self):
        if self.kind not in ("bwrap", "none"):
            raise ValueError(f"sandbox must be 'bwrap' or 'none', got {self.kind!r}")
        if not (self.memory_gb > 0):
            raise ValueError(f"memory limit must be > 0 GB, got {self.memory_gb}")
        if int(self.processes) < 8:
            raise ValueError(f"process limit must be at least 8, got {self.processes}")

    @classmethod
    def choose(cls, mode: str, **limits) -> Sandbox:
        """``auto``: bubblewrap when it works here, else none; ``bwrap``: it or an error."""
        if mode not in ("auto", "bwrap", "none"):
            raise ValueError(f"--sandbox must be auto, bwrap or none, got {mode!r}")
        if mode == "none":
            return cls("none", **limits)
        if bwrap_path():
            return cls("bwrap", **limits)
        if mode == "bwrap":
            raise RuntimeError("--sandbox bwrap: bubblewrap is not installed or cannot create "
                               "namespaces here (apt-get install bubblewrap).")
        return cls("none", **limits)

    @property
    def sandboxed(self) -> bool:
        return self.kind == "bwrap"

    def command(self, argv: list[str], *, scratch: Path, exchange: Path,
                cgroup: str | None) -> list[str]:
        """The full kernel command: the limit launcher, then bubblewrap (if any), then argv."""
        launch = [sys.executable, "-S", "-E", str(LAUNCHER),
                  "--data", str(int(self.memory_gb * 2**30)), "--fsize", str(MAX_FILE_BYTES)]
        if cgroup:
            launch += ["--cgroup", cgroup]
        elif self.sandboxed and os.geteuid() != 0:
            launch += ["--nproc", str(int(self.processes))]
        launch.append("--")
        if not self.sandboxed:
            return launch + argv
        box = [bwrap_path() or "bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
               "--tmpfs", "/tmp", "--tmpfs", "/dev/shm"]
        home = os.path.expanduser("~")
        for folder in [*self.hidden, home]:
            box += _hide(folder, strict=folder != home)
        box += ["--bind", str(exchange), str(exchange), "--bind", str(scratch), str(scratch),
                "--chdir", str(scratch), "--unshare-all", "--die-with-parent", "--new-session",
                "--setenv", "HOME", str(scratch), "--unsetenv", "JPY_PARENT_PID", "--"]
        return launch + box + argv


def _hide(folder: str, strict: bool) -> list[str]:
    """bwrap options making ``folder`` invisible: an empty tmpfs over it, or — when the Python
    installation or the package lives inside it — /dev/null over each notebook in it."""
    folder = os.path.realpath(folder)
    if folder in ("/", "") or not os.path.isdir(folder):
        return []
    if not any(_inside(p, folder) for p in _needed_paths()):
        return ["--tmpfs", folder]
    if not strict:
        return []
    return [opt for name in sorted(os.listdir(folder)) if name.endswith(".ipynb")
            for opt in ("--ro-bind", "/dev/null", os.path.join(folder, name))]


def _needed_paths() -> list[str]:
    import pets_helpers

    return [sys.prefix, sys.base_prefix, os.path.realpath(sys.executable),
            os.path.dirname(os.path.realpath(pets_helpers.__file__))]


def _inside(path: str, folder: str) -> bool:
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def make_scratch(notebook: Path, scratch: Path) -> Path:
    """Copy the notebook's folder into ``scratch`` for the kernel to use as its working folder.

    Other notebooks (classmates' submissions), hidden folders (``.pets-grades``, ``.git``) and
    symbolic links are left out; when the folder holds more than :data:`SCRATCH_MAX_BYTES`,
    only the notebook itself is copied. Returns the copy of the notebook.
    """
    folder = notebook.parent
    scratch.mkdir(parents=True, exist_ok=True)

    def ignore(directory, names):
        skip = set()
        for name in names:
            path = Path(directory) / name
            if (name.startswith(".") or path.is_symlink()
                    or (name.endswith(".ipynb") and path != notebook)):
                skip.add(name)
        return skip

    total = 0
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
        if total > SCRATCH_MAX_BYTES:
            break
    if total <= SCRATCH_MAX_BYTES:
        shutil.copytree(folder, scratch, ignore=ignore, dirs_exist_ok=True, symlinks=True)
    else:
        shutil.copy2(notebook, scratch / notebook.name)
    return scratch / notebook.name


class ProcessGroup:
    """A ``pids`` cgroup capping how many processes one kernel may run (when creatable here)."""

    ROOTS = ("/sys/fs/cgroup/pids", "/sys/fs/cgroup")

    def __init__(self, name: str, limit: int):
        self.path = None
        for root in self.ROOTS:
            candidate = Path(root) / name
            try:
                candidate.mkdir()
            except OSError:
                continue
            try:
                (candidate / "pids.max").write_text(str(int(limit)))
                self.path = str(candidate)
                break
            except OSError:
                candidate.rmdir()

    def remove(self, wait: float = 5.0) -> None:
        """Kill whatever is still in the group, then delete it (retrying while it drains)."""
        if not self.path:
            return
        import signal
        import time

        deadline = time.monotonic() + wait
        while True:
            try:
                pids = Path(self.path, "cgroup.procs").read_text().split()
            except OSError:
                pids = []
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (OSError, ValueError):
                    pass
            try:
                os.rmdir(self.path)
                return
            except OSError:
                if time.monotonic() > deadline:
                    return
                time.sleep(0.05)
