"""A learner's notebook in a fresh, sandboxed kernel: run cells with timeouts, call into it safely.

:class:`KernelSession` starts a new IPython kernel (inside the :class:`~.sandbox.Sandbox`), runs
code with a deadline — interrupting the kernel by a control message at the deadline (signals do
not reach a kernel inside a PID namespace) and declaring it dead if it does not answer within a
grace period — and notices when the kernel dies. The kernel's own stdout/stderr go to a log
file, never to the grader's output. :class:`KernelNamespace` lets checks read values from and
call functions in that kernel; requests and answers cross only as :mod:`.wire` data through
files in a private exchange folder, and the grader reads them as untrusted bytes.
"""

from __future__ import annotations

import copy
import itertools
import os
import queue
import stat
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from jupyter_client import KernelManager

from . import wire
from .namespace import CallTimeout, KernelDied, LearnerError, Missing
from .sandbox import ProcessGroup, Sandbox

GRACE_SECONDS = 5.0
#: Environment variables a kernel inherits; everything else (tokens, keys…) stays out.
ENV_KEEP = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "PYTHONPATH", "VIRTUAL_ENV", "TZ",
            "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass
class Outcome:
    """How running one piece of code ended: ``ok``, ``error``, ``timeout`` or ``dead``."""

    status: str
    ename: str = ""
    evalue: str = ""


def _kernel_env(home: Path) -> dict:
    env = {k: os.environ[k] for k in ENV_KEEP if k in os.environ}
    env.update(MPLBACKEND="Agg", PETS_HEADLESS="1", PYTHONHASHSEED="0", HOME=str(home),
               MPLCONFIGDIR=str(home / ".matplotlib"), PYTHONDONTWRITEBYTECODE="1",
               JUPYTER_PLATFORM_DIRS="1")
    return env


class KernelSession:
    """A fresh, headless Python kernel in ``cwd`` (matplotlib Agg, widgets render statically).

    ``sandbox`` sets where it runs (default: no sandbox, for check tests); ``shortcuts`` are the
    library functions switched off for the learner's code (``"module:qualname"``).
    """

    _ids = itertools.count()

    def __init__(self, cwd: str | os.PathLike, *, sandbox: Sandbox | None = None,
                 shortcuts=(), log_path: str | os.PathLike | None = None,
                 startup_timeout: float = 60.0):
        self.dead = False
        self._sandbox = sandbox or Sandbox("none")
        self._dir = tempfile.TemporaryDirectory(prefix="pets-grade-")
        exchange = Path(self._dir.name)
        self._exchange = exchange
        self._requests = itertools.count()
        self._group = ProcessGroup(f"pets-grade-{os.getpid()}-{next(self._ids)}",
                                   self._sandbox.processes) if self._sandbox.sandboxed else None
        self._km = KernelManager(kernel_name="python3", transport="ipc",
                                 ip=str(exchange / "kernel"))
        self._km.connection_file = str(exchange / "kernel.json")
        spec = copy.copy(self._km.kernel_spec)
        spec.argv = self._sandbox.command(
            [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            scratch=Path(cwd).resolve(), exchange=exchange,
            cgroup=self._group.path if self._group else None)
        spec.interrupt_mode = "message"
        spec.env = {}
        self._km._kernel_spec = spec
        self._log = open(log_path or os.devnull, "ab")
        try:
            self._km.start_kernel(cwd=str(cwd), env=_kernel_env(Path(cwd).resolve()),
                                  stdout=self._log, stderr=self._log, stdin=None)
            self._kc = self._km.client()
            self._kc.start_channels()
            self._kc.wait_for_ready(timeout=startup_timeout)
        except Exception as exc:
            self.shutdown()
            raise RuntimeError(f"could not start a Python kernel: {exc}") from exc
        missing = self.prepare(shortcuts)
        if missing:
            self.shutdown()
            raise RuntimeError(f"the lesson names shortcuts that do not exist: {missing}")

    def prepare(self, shortcuts) -> list[str]:
        """Switch off ``shortcuts`` (and lesson modules) in the kernel, before any learner code."""
        path = self._exchange / "shortcuts.wire"
        path.write_bytes(wire.encode(list(shortcuts)))
        out = self._exchange / "missing.wire"
        code = ("def __pets_prepare():\n"
                "    from pets_helpers.grading import kernel_side, wire\n"
                f"    names = wire.decode(open({str(path)!r}, 'rb').read())\n"
                f"    open({str(out)!r}, 'wb').write(wire.encode(kernel_side.close_shortcuts(names)))\n"
                "__pets_prepare(); del __pets_prepare")
        outcome = self.run(code, 60, silent=True)
        if outcome.status != "ok":
            raise RuntimeError(f"could not prepare the kernel: {outcome.ename} {outcome.evalue}")
        return wire.decode(out.read_bytes())

    def run(self, code: str, timeout: float, silent: bool = False) -> Outcome:
        """Run ``code``; interrupt it after ``timeout`` seconds."""
        if self.dead:
            return Outcome("dead")
        # stop_on_error=False: each cell is graded on its own, so an error in one cell must not
        # make the kernel abort the next request (ipykernel aborts asynchronously, a race).
        msg_id = self._kc.execute(code, silent=silent, store_history=not silent,
                                  allow_stdin=False, stop_on_error=False)
        deadline = time.monotonic() + timeout
        interrupted = aborted_once = False
        while True:
            self._drain_iopub()
            try:
                reply = self._kc.get_shell_msg(timeout=0.05)
            except queue.Empty:
                if not self._km.is_alive():
                    self.dead = True
                    return Outcome("dead")
                now = time.monotonic()
                if now > deadline and not interrupted:
                    try:
                        self._km.interrupt_kernel()
                    except Exception:
                        pass
                    interrupted, deadline = True, now + GRACE_SECONDS
                elif now > deadline:
                    self.kill()
                    return Outcome("dead", "Timeout", "did not stop when interrupted")
                continue
            if reply["parent_header"].get("msg_id") != msg_id:
                continue
            content = reply["content"]
            if interrupted:
                return Outcome("timeout", "Timeout", f"still running after {timeout:g} s")
            if content.get("status") == "ok":
                return Outcome("ok")
            if content.get("status") == "aborted" and not aborted_once:
                # The kernel dropped the request without running it: send it once more.
                aborted_once = True
                msg_id = self._kc.execute(code, silent=silent, store_history=not silent,
                                          allow_stdin=False, stop_on_error=False)
                continue
            return Outcome("error", str(content.get("ename", "Error"))[:200],
                           str(content.get("evalue", ""))[:2000])

    def _drain_iopub(self) -> None:
        while True:
            try:
                self._kc.get_iopub_msg(timeout=0)
            except queue.Empty:
                return

    def request(self, request: tuple, timeout: float):
        """Serve one namespace request in the kernel and return its decoded (data-only) answer."""
        if self.dead:
            raise KernelDied()
        n = next(self._requests)
        req_path = self._exchange / f"request-{n}.wire"
        resp_path = self._exchange / f"response-{n}.wire"
        req_path.write_bytes(wire.encode(request))
        code = (f"__import__('pets_helpers.grading.kernel_side', fromlist=['serve'])"
                f".serve({str(req_path)!r}, {str(resp_path)!r})")
        outcome = self.run(code, timeout, silent=True)
        if outcome.status == "dead":
            raise KernelDied()
        if outcome.status == "timeout":
            raise CallTimeout(f"stopped after {timeout:g} s")
        name = request[1]
        if outcome.status != "ok":
            raise LearnerError(name, outcome.ename or "Error", outcome.evalue)
        try:
            return wire.decode(_read_untrusted(resp_path))
        except (OSError, wire.WireError) as exc:
            raise LearnerError(name, "UnreadableValue",
                               f"the grader cannot read the answer ({exc}); use plain numbers, "
                               "strings, lists, dicts, bytes, numpy arrays or pandas "
                               "objects") from None
        finally:
            for path in (req_path, resp_path):
                try:
                    path.unlink()
                except OSError:
                    pass

    def kill(self) -> None:
        self.dead = True
        try:
            self._km.shutdown_kernel(now=True)
        except Exception:
            pass

    def shutdown(self) -> None:
        try:
            if hasattr(self, "_kc"):
                self._kc.stop_channels()
        finally:
            try:
                if self._km.has_kernel:
                    self._km.shutdown_kernel(now=True)
            except Exception:
                pass
            self._log.close() if hasattr(self, "_log") else None
            if self._group:
                self._group.remove()
            self._dir.cleanup()


def _read_untrusted(path: Path) -> bytes:
    """Read a file the kernel wrote: a regular file (no link, no FIFO) within the size limit."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise wire.WireError("the answer is not a regular file")
        if info.st_size > wire.MAX_BYTES + (1 << 20):
            raise wire.WireError(f"the answer is larger than {wire.MAX_BYTES >> 20} MiB")
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
            size += len(chunk)
            if size > wire.MAX_BYTES + (1 << 20):
                raise wire.WireError("the answer is too large")
        return b"".join(chunks)
    finally:
        os.close(fd)


class KernelNamespace:
    """The namespace of the learner's kernel, seen from the grader's process; ``closed`` are the
    library shortcuts (``"module:qualname"``) the learner's code may not call while it is asked.

    A response that is not one of the three expected shapes is a forged or malformed answer:
    it fails the exercise (as a :class:`LearnerError`), never passes it.
    """

    def __init__(self, session: KernelSession, timeout: float, closed=()):
        self._session, self._timeout, self._closed = session, timeout, list(closed)

    def _ask(self, op: str, name: str, args=(), kwargs=None):
        answer = self._session.request((op, name, tuple(args), dict(kwargs or {}),
                                        self._closed), self._timeout)
        if isinstance(answer, tuple) and len(answer) == 2 and answer[0] == "ok":
            return answer[1]
        if answer == ("missing",):
            raise Missing(name)
        if (isinstance(answer, tuple) and len(answer) == 3 and answer[0] == "error"
                and all(isinstance(x, str) for x in answer[1:])):
            raise LearnerError(name, answer[1][:200], answer[2][:2000])
        raise LearnerError(name, "MalformedAnswer", "the kernel's answer was not understood")

    def has(self, name: str) -> bool:
        got = self._ask("has", name)
        if not isinstance(got, bool):
            raise LearnerError(name, "MalformedAnswer", "the kernel's answer was not understood")
        return got

    def get(self, name: str):
        return self._ask("get", name)

    def call(self, name: str, *args, **kwargs):
        return self._ask("call", name, args, kwargs)
