"""Lesson 05's real federation: SuperLink and SuperNodes as processes, TLS and node
authentication on; every process gone and every port free afterwards — also after an interrupt.
Plus the silo data, the credentials and the clear errors (cheap tests first)."""

import json
import os
import signal
import socket
import threading

import numpy as np
import pytest

from pets_helpers.datasets.hospitals import HOSPITAL_SITES, hospital_silos, write_hospital_silos
from pets_helpers.fl import TrainSettings, run_fedavg
from pets_helpers.fl.deployment import (FederationError, LocalFederation, make_certificates,
                                        make_node_keys, port_in_use, tagged_processes)
from pets_helpers.fl.hospital_app import HOSPITAL_SETTINGS, write_app
from pets_helpers.fl.silo import read_silo


@pytest.fixture(scope="module")
def silos(tmp_path_factory):
    root = tmp_path_factory.mktemp("hospitals")
    dirs = write_hospital_silos(root / "data", seed=0)
    bench = dirs.pop("benchmark")
    return dirs, bench, write_app(root / "app", bench, n_nodes=len(dirs))


# --- data ------------------------------------------------------------------------------------
def test_hospital_silos_have_the_documented_prevalences():
    silos = hospital_silos(seed=3)
    for name, (malignant, benign) in HOSPITAL_SITES.items():
        frame = silos.sites[name]
        assert (frame["malignant"].sum(), (1 - frame["malignant"]).sum()) == (malignant, benign)
    everything = [silos.benchmark] + list(silos.sites.values())
    assert sum(len(f) for f in everything) == 569
    assert len(silos.benchmark) == 142


def test_read_silo_reads_only_its_directory_scaled(silos):
    dirs, bench, _ = silos
    site = read_silo(dirs["screening_clinic"])
    assert site.x.shape == (113, 30) and site.y.sum() == 9
    assert site.x.min() >= 0 and site.x.max() <= 1


def test_a_missing_or_malformed_data_dir_gives_one_clear_error(silos, tmp_path):
    dirs, bench, app = silos
    with pytest.raises(FileNotFoundError, match="is not a directory"):
        read_silo(tmp_path / "nowhere")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "records.csv").write_text("a,b\n1,2\n")
    (tmp_path / "broken" / "preprocessing.json").write_text("{not json")
    with pytest.raises(ValueError, match="preprocessing.json is malformed"):
        read_silo(tmp_path / "broken")
    src = dirs["referral_centre"]
    nan = tmp_path / "nan"
    nan.mkdir()
    (nan / "preprocessing.json").write_text((src / "preprocessing.json").read_text())
    lines = (src / "records.csv").read_text().splitlines()
    lines[3] = "," + lines[3].split(",", 1)[1]
    (nan / "records.csv").write_text("\n".join(lines))
    with pytest.raises(ValueError, match="row 4 .* 'mean_radius' is missing"):
        read_silo(nan)
    # the federation refuses before starting anything
    with pytest.raises(FileNotFoundError, match="site 'ghost'.*is not a directory"):
        LocalFederation(app, {**dirs, "ghost": tmp_path / "nowhere"}, tmp_path / "run")


# --- credentials -----------------------------------------------------------------------------
def test_certificates_chain_to_the_generated_ca(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import (load_ssh_private_key,
                                                              load_ssh_public_key)

    files = make_certificates(tmp_path)
    ca = x509.load_pem_x509_certificate(files["ca.crt"].read_bytes())
    cert = x509.load_pem_x509_certificate(files["server.pem"].read_bytes())
    ca.public_key().verify(cert.signature, cert.tbs_certificate_bytes,
                           ec.ECDSA(cert.signature_hash_algorithm))
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in sans.get_values_for_type(x509.DNSName)
    assert oct(os.stat(files["server.key"]).st_mode)[-3:] == "600"
    private, public = make_node_keys(tmp_path, "node")
    key = load_ssh_private_key(private.read_bytes(), None)
    assert key.public_key().public_numbers() == \
        load_ssh_public_key(public.read_bytes()).public_numbers()


def test_a_taken_port_is_reported_before_anything_starts(silos, tmp_path):
    dirs, _, app = silos
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        taken = s.getsockname()[1]
        fed = LocalFederation(app, dirs, tmp_path, superlink_port=taken)
        with pytest.raises(FederationError, match=f"port\\(s\\) \\[{taken}\\].*already in use"):
            with fed:
                pass
    assert not fed.processes()


# --- the real federation ---------------------------------------------------------------------
def assert_all_gone(fed):
    assert not tagged_processes(fed._tag), "a federation process survived"
    assert not [p for p in fed.ports if port_in_use(p)], "a port is still open"


def test_deployment_with_tls_trains_three_rounds_and_cleans_up(silos, tmp_path):
    dirs, bench, app = silos
    fed = LocalFederation(app, dirs, tmp_path, tls=True)
    with fed:
        assert len(fed.processes()) >= 4            # SuperLink, 3 SuperNodes (+ SuperExec …)
        history = fed.run({"rounds": 3}, progress=False)
        assert "--enable-supernode-auth" in " ".join(
            open(f"/proc/{fed.pids[0]}/cmdline").read().split("\0"))
    assert_all_gone(fed)
    assert len(history.accuracy) == 3
    assert history.loss[-1] < history.loss[0] < history.initial[0]
    # the deployment computes exactly what the numpy loop computes from the same seed
    clients = [(s.x, s.y) for s in map(read_silo, dirs.values())]
    test = read_silo(bench)
    three = TrainSettings.from_config({**HOSPITAL_SETTINGS.to_config(), "rounds": 3})
    local = run_fedavg(clients, test.x, test.y, three, n_classes=2)
    assert all(np.allclose(a, b, rtol=0, atol=1e-9) for a, b in zip(history.params, local.params))


def test_an_interrupt_midway_leaves_no_process_and_no_port(silos, tmp_path):
    dirs, _, app = silos
    fed = LocalFederation(app, dirs, tmp_path, tls=True)
    results = tmp_path / "history.json"

    def interrupt_after_first_round():
        for _ in range(1200):
            try:
                if json.loads(results.read_text())["accuracy"]:
                    break
            except (OSError, ValueError, KeyError):
                pass
            threading.Event().wait(0.25)
        os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        with fed:
            threading.Thread(target=interrupt_after_first_round, daemon=True).start()
            fed.run({"rounds": 6}, progress=False, timeout=300)
    assert_all_gone(fed)


def test_a_killed_kernel_leaves_no_process(silos, tmp_path):
    """SIGKILL of the process that owns the federation (a kernel restart): the SuperLink and
    SuperNodes get SIGTERM from the kernel (PR_SET_PDEATHSIG) and their children follow."""
    import subprocess
    import sys
    import time

    dirs, _, app = silos
    script = (
        "import sys, time\n"
        "from pets_helpers.fl.deployment import LocalFederation\n"
        f"fed = LocalFederation({str(app)!r}, {({k: str(v) for k, v in dirs.items()})!r},"
        f" {str(tmp_path)!r})\n"
        "fed.__enter__()\n"
        "print(fed._tag, *fed.ports, flush=True)\n"
        "time.sleep(600)\n")
    owner = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                             cwd=tmp_path)
    tag, *ports = owner.stdout.readline().split()
    assert tagged_processes(tag)
    owner.kill()
    owner.wait()
    deadline = time.monotonic() + 30
    while tagged_processes(tag) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not tagged_processes(tag)
    assert not [p for p in map(int, ports) if port_in_use(p)]
