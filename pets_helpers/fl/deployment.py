"""A real Flower federation on this machine: one SuperLink and one SuperNode per site, each a
separate process, with TLS and SuperNode authentication (Lesson 05).

:class:`LocalFederation` is a context manager::

    with LocalFederation(app_dir, sites={"referral_centre": "/data/referral_centre", ...},
                         workdir=tmp) as fed:
        history = fed.run(run_config={"rounds": 3, ...})

On entry it

1. makes the federation's credentials with ``cryptography`` (:func:`make_certificates`,
   :func:`make_node_keys`): a private CA, the SuperLink's TLS certificate (for ``127.0.0.1``
   and ``localhost``) signed by it, and one ECDSA key pair per SuperNode;
2. starts ``flower-superlink`` (TLS, ``--enable-supernode-auth``: only registered nodes may
   connect), waits until its port answers, and registers every node's public key with
   ``flwr supernode register``;
3. starts one ``flower-supernode`` per site, with ``--node-config 'data-dir="…"'`` pointing at
   that site's directory only, its own ``--port``, the CA certificate and its private key.

:meth:`LocalFederation.run` submits the app with ``flwr run`` and follows the ServerApp's
per-round results file until the run ends (a progress bar, one line per round). Every process's
output goes to a log file under ``workdir``; :meth:`LocalFederation.logs` shows them.

On exit — normal, exception, or ``KeyboardInterrupt`` (a kernel interrupt) — every process the
federation started is stopped (SIGTERM to its process group, SIGKILL after a grace period),
and its ports are free again. A port already in use is reported before anything starts.

Nothing here is home-made: the engine is Flower's deployment engine. Running SuperNodes on other
hosts changes three things only: the SuperLink's address (``--superlink host:port``), a TLS
certificate whose subject names that host, and each node's own key pair (the private key never
leaves its host; the public key is registered with the SuperLink).
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .fedavg import History

#: Log lines worth showing while a run streams, and the colour codes to strip from them.
NOTABLE = re.compile(r"ROUND \d|Activated node|Created run|aggregate_train|Global evaluation|"
                     r"ERROR|Traceback|Exception")
ANSI = re.compile(r"\x1b\[[0-9;]*m")

#: Seconds to wait for the SuperLink / SuperNodes to come up, and for a process to stop.
STARTUP_TIMEOUT, STOP_GRACE = 60.0, 4.0


class FederationError(RuntimeError):
    """The federation could not start, or its run failed; the message says which process."""


# --- credentials ------------------------------------------------------------------------------
def make_certificates(directory, hosts=("127.0.0.1", "localhost"), days: int = 2) -> dict:
    """A private CA and a SuperLink TLS certificate for ``hosts`` signed by it (ECDSA P-256).

    Writes ``ca.crt``, ``ca.key``, ``server.pem`` and ``server.key`` in ``directory``; returns
    their paths by name. The CA key only signs; SuperNodes trust ``ca.crt``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    now = _dt.datetime.now(_dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "PETs Lab federation CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - _dt.timedelta(minutes=5))
          .not_valid_after(now + _dt.timedelta(days=days))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, key_cert_sign=True, crl_sign=True,
                                       encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    names = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _dt.timedelta(minutes=5))
            .not_valid_after(now + _dt.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    plain = dict(encoding=pem, format=serialization.PrivateFormat.PKCS8,
                 encryption_algorithm=serialization.NoEncryption())
    files = {"ca.crt": ca.public_bytes(pem), "ca.key": ca_key.private_bytes(**plain),
             "server.pem": cert.public_bytes(pem), "server.key": key.private_bytes(**plain)}
    out = {}
    for name, data in files.items():
        (root / name).write_bytes(data)
        if name.endswith(".key"):
            os.chmod(root / name, 0o600)
        out[name] = root / name
    return out


def make_node_keys(directory, name: str) -> tuple[Path, Path]:
    """An ECDSA (P-384) key pair for one SuperNode in OpenSSH format: ``<name>`` (private, mode
    600 — it stays on the node's host) and ``<name>.pub`` (registered with the SuperLink)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP384R1())
    private = root / name
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.OpenSSH,
                                          serialization.NoEncryption()))
    os.chmod(private, 0o600)
    public = root / f"{name}.pub"
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                                     serialization.PublicFormat.OpenSSH))
    return private, public


# --- ports and processes ----------------------------------------------------------------------
def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (chosen by the OS)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_in_use(port: int) -> bool:
    """Whether something on this machine already listens on 127.0.0.1:``port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", int(port))) == 0


def _flower_bin(name: str) -> str:
    path = Path(sys.executable).with_name(name)
    return str(path) if path.exists() else name


@dataclass
class _Proc:
    name: str
    popen: subprocess.Popen
    log: Path


@dataclass
class LocalFederation:
    """A SuperLink and one SuperNode per site on localhost, TLS and node authentication on.

    ``app_dir`` is a Flower app (``pyproject.toml`` naming its ``serverapp``/``clientapp``);
    ``sites`` maps each site's name to its data directory (each SuperNode gets only its own);
    ``workdir`` receives credentials, Flower's config and the logs. ``tls=False`` runs without
    TLS and without node authentication (Flower only authenticates nodes over TLS) — for the
    benchmark. ``superlink_port`` / ``node_ports`` default to free ports.
    """

    app_dir: Path
    sites: dict
    workdir: Path
    tls: bool = True
    superlink_port: int | None = None
    node_ports: list | None = None
    echo: bool = False
    _procs: list = field(default_factory=list, init=False, repr=False)
    _tag: str = field(default="", init=False, repr=False)

    def __post_init__(self):
        self._tag = f"{os.getpid()}-{time.time_ns()}"
        self.app_dir, self.workdir = Path(self.app_dir), Path(self.workdir)
        if not (self.app_dir / "pyproject.toml").is_file():
            raise FileNotFoundError(f"{self.app_dir} is not a Flower app: no pyproject.toml.")
        if not isinstance(self.sites, dict) or not self.sites:
            raise ValueError("sites must map each site's name to its data directory.")
        from .silo import read_silo

        for name, directory in self.sites.items():
            try:
                read_silo(directory)
            except (FileNotFoundError, ValueError, TypeError) as exc:
                raise type(exc)(f"site {name!r}: {exc}") from None
        self.superlink_port = self.superlink_port or free_port()
        self.node_ports = list(self.node_ports or [free_port() for _ in self.sites])
        if len(self.node_ports) != len(self.sites):
            raise ValueError(f"give one port per site: {len(self.sites)} sites, "
                             f"{len(self.node_ports)} ports.")

    # --- the context manager ---
    @property
    def ports(self) -> list:
        """Every TCP port the federation listens on."""
        return [self.superlink_port, *self.node_ports]

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.superlink_port}"

    def __enter__(self) -> "LocalFederation":
        taken = [p for p in self.ports if port_in_use(p)]
        if taken:
            raise FederationError(
                f"port(s) {taken} on 127.0.0.1 are already in use — another federation (or "
                f"another program) is listening there. Stop it, or pass other ports "
                f"(superlink_port=…, node_ports=[…]); `ss -ltnp` shows who holds a port.")
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- start-up ---
    def _env(self) -> dict:
        env = dict(os.environ)
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        env[TAG] = self._tag
        env["FLWR_HOME"] = str(self.workdir / "flwr_home")
        env["FLWR_DISABLE_RUNTIME_DEPENDENCY_INSTALLATION"] = "1"
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def _spawn(self, name: str, args: list) -> _Proc:
        log = self.workdir / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        handle = open(log, "wb")
        popen = subprocess.Popen(args, stdout=handle, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, env=self._env(),
                                 cwd=self.workdir, start_new_session=True,
                                 preexec_fn=_die_with_parent)
        handle.close()
        proc = _Proc(name, popen, log)
        self._procs.append(proc)
        return proc

    def _wait_port(self, proc: _Proc, port: int) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if proc.popen.poll() is not None:
                raise FederationError(f"{proc.name} exited with code {proc.popen.returncode} "
                                      f"while starting:\n{self._tail(proc)}")
            if port_in_use(port):
                return
            time.sleep(0.2)
        raise FederationError(f"{proc.name} did not open port {port} within "
                              f"{STARTUP_TIMEOUT:.0f} s:\n{self._tail(proc)}")

    def _flwr(self, *args, timeout: float = 60.0) -> str:
        out = subprocess.run([_flower_bin("flwr"), *args], capture_output=True, text=True,
                             env=self._env(), cwd=self.workdir, timeout=timeout)
        if out.returncode != 0:
            raise FederationError(f"`flwr {' '.join(args)}` failed ({out.returncode}):\n"
                                  f"{(out.stdout + out.stderr)[-2000:]}")
        return out.stdout

    def _start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        creds = self.workdir / "credentials"
        home = self.workdir / "flwr_home"
        home.mkdir(parents=True, exist_ok=True)
        link = ["--host", "127.0.0.1", "--port", str(self.superlink_port),
                "--disable-runtime-dependency-installation"]
        conn = f'[superlink]\ndefault = "petslab"\n\n[superlink.petslab]\n' \
               f'address = "{self.address}"\n'
        if self.tls:
            certs = make_certificates(creds)
            link += ["--ssl-ca-certfile", str(certs["ca.crt"]), "--ssl-certfile",
                     str(certs["server.pem"]), "--ssl-keyfile", str(certs["server.key"]),
                     "--enable-supernode-auth"]
            conn += f'root-certificates = "{certs["ca.crt"]}"\n'
        else:
            link.append("--insecure")
            conn += "insecure = true\n"
        (home / "config.toml").write_text(conn)
        superlink = self._spawn("superlink", [_flower_bin("flower-superlink"), *link])
        self._wait_port(superlink, self.superlink_port)
        nodes = []
        for i, ((site, directory), port) in enumerate(zip(self.sites.items(), self.node_ports)):
            args = [_flower_bin("flower-supernode"), "--superlink", self.address,
                    "--port", str(port), "--host", "127.0.0.1",
                    "--node-config", f'data-dir="{Path(directory).resolve()}" site-id={i}']
            if self.tls:
                private, public = make_node_keys(creds / "nodes", site)
                self._flwr("supernode", "register", str(public), "petslab")
                args += ["--root-certificates", str(certs["ca.crt"]),
                         "--auth-supernode-private-key", str(private)]
            else:
                args.append("--insecure")
            nodes.append((self._spawn(f"supernode-{site}", args), port))
        for proc, port in nodes:
            self._wait_port(proc, port)

    # --- running the app ---
    def run(self, run_config: dict | None = None, rounds: int | None = None,
            timeout: float = 600.0, progress: bool = True, stream: bool = True) -> History:
        """Submit the app (``flwr run``) with ``run_config`` overrides and wait for its
        ``rounds`` (``run_config["rounds"]``) to finish; returns the ServerApp's per-round
        history. With ``stream``, the federation's notable log lines (nodes joining, rounds,
        aggregation, errors) are printed as they happen. Raises FederationError naming the
        failing process if a process dies or the run fails, with the tail of its log."""
        config = dict(run_config or {})
        results = self.workdir / "history.json"
        results.unlink(missing_ok=True)
        config["history-file"] = str(results)
        rounds = int(rounds or config.get("rounds", 0))
        if rounds <= 0:
            raise ValueError("say how many rounds to wait for: rounds=… or run_config['rounds'].")
        override = " ".join(f"{k}={json.dumps(v)}" for k, v in config.items())
        self._flwr("run", str(self.app_dir.resolve()), "petslab", "--run-config", override)
        bar = None
        if progress:
            from tqdm.auto import tqdm
            bar = tqdm(total=rounds, desc="Deployment rounds")
        seen, deadline, data = 0, time.monotonic() + timeout, {}
        say = bar.write if bar is not None else print
        try:
            while seen < rounds:
                if stream:
                    for line in self._new_log_lines():
                        say(line)
                for proc in self._procs:
                    if proc.popen.poll() is not None:
                        raise FederationError(f"{proc.name} exited with code "
                                              f"{proc.popen.returncode}:\n{self._tail(proc)}")
                failure = self._failure()
                if failure:
                    raise FederationError(failure)
                if time.monotonic() > deadline:
                    raise FederationError(f"the run did not finish {rounds} rounds in "
                                          f"{timeout:.0f} s:\n{self._tail(self._procs[0])}")
                if results.exists():
                    try:
                        data = json.loads(results.read_text())
                    except ValueError:  # being written
                        data = {}
                    done = len(data.get("accuracy", []))
                    for r in range(seen, done):
                        if stream:
                            say(f"[serverapp] round {r + 1}: benchmark accuracy "
                                f"{data['accuracy'][r]:.4f}, loss {data['loss'][r]:.4f}, "
                                f"{data['seconds'][r]:.1f} s")
                    if bar is not None and done > seen:
                        bar.update(done - seen)
                        bar.set_postfix(accuracy=f"{data['accuracy'][-1]:.3f}")
                    seen = max(seen, done)
                time.sleep(0.5)
        finally:
            if bar is not None:
                bar.close()
        import numpy as np

        return History(accuracy=data["accuracy"], loss=data["loss"],
                       bytes_round=data["bytes_round"],
                       bytes_total=list(np.cumsum(data["bytes_round"])),
                       seconds=data["seconds"], initial=tuple(data["initial"]),
                       params=[np.asarray(p) for p in data["params"]])

    def _new_log_lines(self) -> list:
        """Notable lines written to the logs since the last call, prefixed by the process."""
        out = []
        offsets = self.__dict__.setdefault("_offsets", {})
        for proc in self._procs:
            try:
                with open(proc.log, "rb") as f:
                    f.seek(offsets.get(proc.name, 0))
                    chunk = f.read()
            except OSError:
                continue
            complete = chunk[:chunk.rfind(b"\n") + 1]
            offsets[proc.name] = offsets.get(proc.name, 0) + len(complete)
            for line in complete.decode(errors="replace").splitlines():
                line = ANSI.sub("", line).strip()
                if NOTABLE.search(line):
                    out.append(f"[{proc.name}] {line}")
        return out

    def _failure(self) -> str | None:
        """A ServerApp failure reported in the SuperLink's log, if any."""
        text = self.logs("superlink", lines=400)
        for marker in ("FederationError", "Traceback", "ERROR"):
            if marker in text:
                return f"the run failed — the SuperLink's log says:\n{text[-3000:]}"
        return None

    # --- logs and teardown ---
    def _tail(self, proc: _Proc, lines: int = 30) -> str:
        try:
            text = proc.log.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(text[-lines:])

    def logs(self, name: str | None = None, lines: int = 20) -> str:
        """The last ``lines`` lines of one process's log (``"superlink"``,
        ``"supernode-<site>"``) or of every process when ``name`` is None."""
        procs = [p for p in self._procs if name is None or p.name == name]
        return "\n".join(f"── {p.name} ──\n{self._tail(p, lines)}" if name is None
                         else self._tail(p, lines) for p in procs)

    @property
    def pids(self) -> list:
        """Process ids of the federation's processes (their children share their groups)."""
        return [p.popen.pid for p in self._procs]

    def processes(self) -> list:
        """Every live process of this federation — the ones it started and all they started in
        turn (Flower detaches its SuperExec into a new session, so process groups are not
        enough): found by the ``PETS_FEDERATION`` tag in their environment."""
        return tagged_processes(self._tag) if self._tag else []

    def stop(self) -> None:
        """Stop every process of the federation: SIGTERM, then SIGKILL to whatever still runs
        after :data:`STOP_GRACE` seconds. Safe to call twice; runs on exit, error and interrupt
        (a second interrupt during the grace period cannot leave orphans: the kill loop runs in
        a ``finally``)."""
        procs, self._procs = self._procs[::-1], []
        try:
            for pid in self.processes():
                _kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + STOP_GRACE
            while time.monotonic() < deadline:
                for proc in procs:
                    proc.popen.poll()
                if not self.processes():
                    break
                time.sleep(0.1)
        finally:
            for _ in range(3):
                left = self.processes()
                if not left:
                    break
                for pid in left:
                    _kill(pid, signal.SIGKILL)
                time.sleep(0.2)
            for proc in procs:
                try:
                    proc.popen.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
            self._stopped = procs

    @property
    def stopped_processes(self) -> list:
        """The processes the last :meth:`stop` ended, as ``(name, pid, returncode)``."""
        return [(p.name, p.popen.pid, p.popen.returncode) for p in getattr(self, "_stopped", [])]


#: Environment variable marking every process a federation starts (and their descendants).
TAG = "PETS_FEDERATION"


def tagged_processes(tag: str) -> list:
    """Pids of live (non-zombie) processes whose environment holds ``PETS_FEDERATION=tag``."""
    needle = f"{TAG}={tag}".encode() + b"\0"
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes() + b"\0":
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to SIGTERM it when its parent (the notebook's
    kernel) dies, even by SIGKILL — so a killed kernel leaves no SuperLink or SuperNode."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: stop() still cleans up on a normal exit
        pass


def _kill(pid: int, sig) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
