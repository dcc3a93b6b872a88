"""A learner's notebook in a fresh kernel: run cells with timeouts, and call into it safely.

:class:`KernelSession` starts a new IPython kernel, runs code with a deadline (interrupting the
kernel at the deadline and declaring it dead if it does not answer within a grace period), and
notices when the kernel dies. :class:`KernelNamespace` lets checks read values from and call
functions in that kernel; requests and results cross as pickles through private files.
"""

from __future__ import annotations

import os
import pickle
import queue
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from jupyter_client import KernelManager

from .namespace import CallTimeout, KernelDied, LearnerError, Missing

GRACE_SECONDS = 5.0


@dataclass
class Outcome:
    """How running one piece of code ended: ``ok``, ``error``, ``timeout`` or ``dead``."""

    status: str
    ename: str = ""
    evalue: str = ""


class KernelSession:
    """A fresh, headless Python kernel (matplotlib backend Agg, widgets render statically)."""

    def __init__(self, cwd: str | os.PathLike, startup_timeout: float = 60.0):
        env = dict(os.environ, MPLBACKEND="Agg", PETS_HEADLESS="1", PYTHONHASHSEED="0")
        self._dir = tempfile.TemporaryDirectory(prefix="pets-grade-")
        # Local IPC sockets in a private folder: no TCP port, nothing readable by other users.
        self._km = KernelManager(kernel_name="python3", transport="ipc",
                                 ip=str(Path(self._dir.name) / "kernel"))
        self._km.start_kernel(cwd=str(cwd), env=env)
        self._kc = self._km.client()
        self._kc.start_channels()
        try:
            self._kc.wait_for_ready(timeout=startup_timeout)
        except RuntimeError as exc:
            self.shutdown()
            raise RuntimeError(f"could not start a Python kernel: {exc}") from exc
        self.dead = False

    def run(self, code: str, timeout: float, silent: bool = False) -> Outcome:
        """Run ``code``; interrupt it after ``timeout`` seconds."""
        if self.dead:
            return Outcome("dead")
        msg_id = self._kc.execute(code, silent=silent, store_history=not silent,
                                  allow_stdin=False)
        deadline = time.monotonic() + timeout
        interrupted = False
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
                    self._km.interrupt_kernel()
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
            if content["status"] == "ok":
                return Outcome("ok")
            return Outcome("error", content.get("ename", "Error"), content.get("evalue", ""))

    def _drain_iopub(self) -> None:
        while True:
            try:
                self._kc.get_iopub_msg(timeout=0)
            except queue.Empty:
                return

    def request(self, request: tuple, timeout: float):
        """Serve one namespace request in the kernel and return its unpickled answer."""
        if self.dead:
            raise KernelDied()
        req_path = Path(self._dir.name) / "request.pkl"
        resp_path = Path(self._dir.name) / "response.pkl"
        resp_path.unlink(missing_ok=True)
        req_path.write_bytes(pickle.dumps(request))
        code = (f"__import__('pets_helpers.grading.kernel_side', fromlist=['serve'])"
                f".serve({str(req_path)!r}, {str(resp_path)!r})")
        outcome = self.run(code, timeout, silent=True)
        if outcome.status == "dead":
            raise KernelDied()
        if outcome.status == "timeout":
            raise CallTimeout(f"stopped after {timeout:g} s")
        if outcome.status != "ok" or not resp_path.exists():
            raise LearnerError(request[1], outcome.ename or "Error", outcome.evalue)
        try:
            return pickle.loads(resp_path.read_bytes())
        except Exception as exc:
            raise LearnerError(request[1], "UnreadableValue",
                               f"the grader cannot read the value ({exc}); use plain numbers, "
                               "strings, lists, dicts, numpy arrays or pandas objects") from None

    def kill(self) -> None:
        self.dead = True
        try:
            self._km.shutdown_kernel(now=True)
        except Exception:
            pass

    def shutdown(self) -> None:
        try:
            self._kc.stop_channels()
        finally:
            if self._km.is_alive():
                self._km.shutdown_kernel(now=True)
            if hasattr(self, "_dir"):
                self._dir.cleanup()


class KernelNamespace:
    """The namespace of the learner's kernel, seen from the grader's process."""

    def __init__(self, session: KernelSession, timeout: float):
        self._session, self._timeout = session, timeout

    def _ask(self, op: str, name: str, *rest):
        status, *payload = self._session.request((op, name, *rest), self._timeout)
        if status == "ok":
            return payload[0]
        if status == "missing":
            raise Missing(name)
        ename, evalue = payload
        raise LearnerError(name, ename, evalue)

    def has(self, name: str) -> bool:
        return self._ask("has", name)

    def get(self, name: str):
        return self._ask("get", name)

    def call(self, name: str, *args, **kwargs):
        return self._ask("call", name, args, kwargs)
