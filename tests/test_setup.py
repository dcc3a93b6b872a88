"""The two commands' setup: which Python `make` takes, the one clear message when it cannot go on,
the TenSEAL-from-source plan, the maintainer targets, and the container route."""

from __future__ import annotations

import http.server
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SUPPORTED = ("3.13", "3.12", "3.11")

spec = importlib.util.spec_from_file_location("setup_check", ROOT / "tools" / "setup_check.py")
setup_check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(setup_check)

needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")


@pytest.fixture
def project(tmp_path):
    """A copy of what `make` reads before it installs anything (no venv in it)."""
    for name in ("Makefile", "requirements.txt", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "tools", tmp_path / "tools")
    return tmp_path


def make(project, *args, env=None):
    return subprocess.run(["make", "--no-print-directory", "-C", str(project), *args],
                          capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, **(env or {})))


def runnable_version(name: str) -> str | None:
    """'3.12' if `name` on PATH runs (pyenv shims of unselected versions do not), else None."""
    if shutil.which(name) is None:
        return None
    out = subprocess.run([name, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                         capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else None


def fake_python(tmp_path, version=(3, 10, 4)) -> Path:
    """An interpreter that reports another version: the real one, with sys.version_info set."""
    script = tmp_path / "python-fake"
    script.write_text(
        "#!/bin/sh\n"
        f'exec "{sys.executable}" -c "import runpy, sys; '
        f"sys.version_info = {tuple(version)!r}; sys.argv = sys.argv[1:]; "
        f"runpy.run_path(sys.argv[0], run_name='__main__')\" \"$@\"\n")
    script.chmod(0o755)
    return script


# --------------------------------------------------------------------------- which Python
@needs_make
def test_make_takes_the_newest_supported_python_that_runs(project):
    out = make(project, "-n", "install", env={"PYTHON": ""})  # empty = not given
    assert out.returncode == 0, out.stderr
    venv_line = next(line for line in out.stdout.splitlines() if " -m venv " in line)
    chosen = venv_line.split(" -m venv ")[0].strip()
    version = runnable_version(chosen)
    assert version in SUPPORTED, f"make chose {chosen} (Python {version})"
    newer = [v for v in SUPPORTED if v > version and runnable_version(f"python{v}")]
    assert not newer, f"make chose Python {version} although python{newer[0]} runs here"


@needs_make
def test_python_given_on_the_command_line_is_used(project):
    out = make(project, "-n", "install", f"PYTHON={sys.executable}")
    assert f"{sys.executable} -m venv .venv" in out.stdout


@needs_make
def test_an_unsupported_python_ends_with_one_clear_message(project, tmp_path):
    out = make(project, "install", f"PYTHON={fake_python(tmp_path)}")
    assert out.returncode != 0
    assert "Traceback" not in out.stderr + out.stdout
    message = out.stderr
    assert "is Python 3.10; PETs Lab needs Python 3.11, 3.12, 3.13" in message
    assert "make lab PYTHON=python3.13" in message and "make lab-container" in message
    assert not (project / ".venv").exists()  # it stopped before creating anything


def test_each_unsupported_version_is_refused_and_supported_ones_pass(monkeypatch, capsys):
    for version, expected in [((3, 10, 1), 1), ((3, 14, 0), 1), ((2, 7, 18), 1),
                              ((3, 11, 2), 0), ((3, 12, 0), 0), ((3, 13, 5), 0)]:
        monkeypatch.setattr(sys, "version_info", version)
        assert setup_check.check_python() == expected, version
    assert "Python 3.14" in capsys.readouterr().err


def test_native_windows_is_sent_to_wsl2(monkeypatch, capsys):
    monkeypatch.setattr(sys, "platform", "win32")
    assert setup_check.check_python() == 1
    err = capsys.readouterr().err
    assert "WSL2" in err and "wsl --install" in err and "make lab-container" in err


def test_a_venv_of_another_python_is_not_reused_silently(tmp_path, capsys):
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").write_text("#!/bin/sh\necho 3.9\n")
    (bin_dir / "python").chmod(0o755)
    assert setup_check.check_same_venv(str(tmp_path / "venv")) == 1
    assert "make clean" in capsys.readouterr().err
    assert setup_check.check_same_venv(str(tmp_path / "no-venv")) == 0


# --------------------------------------------------------------------------- wheels / TenSEAL
def test_tenseal_without_a_wheel_says_what_it_will_do_and_the_exact_commands(monkeypatch, capsys):
    monkeypatch.setattr(setup_check, "missing_wheels", lambda reqs: ["tenseal"])
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(setup_check.shutil, "which", lambda name: None)
    assert setup_check.check_wheels() == 1
    out = capsys.readouterr()
    assert "build it from its source distribution" in out.out  # said up front
    assert "xcode-select --install" in out.err and "brew install cmake" in out.err
    assert "make lab-container" in out.err and "Traceback" not in out.err


def test_tenseal_source_build_goes_ahead_when_the_tools_are_there(monkeypatch, capsys):
    monkeypatch.setattr(setup_check, "missing_wheels", lambda reqs: ["tenseal"])
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(setup_check.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert setup_check.check_wheels() == 0
    assert "building TenSEAL from source" in capsys.readouterr().out


def test_other_packages_without_wheels_stop_with_the_container_route(monkeypatch, capsys):
    monkeypatch.setattr(setup_check, "missing_wheels", lambda reqs: ["torch", "tenseal"])
    assert setup_check.check_wheels() == 1
    err = capsys.readouterr().err
    assert "torch" in err and "make lab-container" in err


@pytest.mark.slow
def test_every_pin_installs_as_a_wheel_on_this_machine():
    assert setup_check.missing_wheels(setup_check.pins(str(ROOT / "requirements.txt"))) == []


def test_requirement_markers_are_evaluated_for_this_interpreter():
    names = [r.name for r in setup_check.pins(str(ROOT / "requirements.txt"))]
    assert names.count("soupsieve") == 1 and "torch" in names


# --------------------------------------------------------------------------- torch index probe
def test_reachable_tells_a_live_host_from_an_unreachable_one():
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.handle_request, daemon=True).start()
    try:
        assert setup_check.reachable(f"http://127.0.0.1:{server.server_port}/nothing") == 0
    finally:
        server.server_close()
    assert setup_check.reachable(f"http://127.0.0.1:{server.server_port}/") == 1  # closed


@needs_make
def test_torch_comes_from_the_cpu_index_with_a_fallback(project):
    out = make(project, "-n", "install", f"PYTHON={sys.executable}")
    recipe = out.stdout
    assert "setup_check.py reachable https://download.pytorch.org/whl/cpu/torch/" in recipe
    assert "--index-url https://download.pytorch.org/whl/cpu" in recipe
    assert "cannot be reached; installing" in recipe  # the fallback branch
    assert recipe.index("download.pytorch.org") < recipe.index("-r requirements.txt")


# --------------------------------------------------------------------------- make targets
@needs_make
def test_make_test_runs_the_linter_before_the_tests(project):
    out = make(project, "-n", "test", f"PYTHON={sys.executable}").stdout
    assert "ruff check ." in out and out.index("ruff check .") < out.index("pytest")


@needs_make
def test_maintainer_targets(project):
    fast = make(project, "-n", "fast", f"PYTHON={sys.executable}").stdout
    assert '-m "not slow"' in fast and "pytest tests" in fast
    bench = make(project, "-n", "bench", f"PYTHON={sys.executable}").stdout
    assert "benchmarks/bench_*.py" in bench and "-e '.[bench]'" in bench
    lab = make(project, "-n", "lab", f"PYTHON={sys.executable}").stdout
    assert lab.index("-r requirements.txt") < lab.index("jupyter lab")  # lab needs install


def test_slow_tests_are_the_ones_make_fast_leaves_out():
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", "slow",
                          "-o", "addopts=", "-p", "no:cacheprovider",
                          str(ROOT / "tests" / "test_setup_resolve.py"),
                          str(ROOT / "tests" / "test_benchmarks.py")],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert re.search(r"(\d+) tests? collected", out.stdout) and " 0 tests" not in out.stdout
    assert "deselected" not in out.stdout  # every test of these two files is slow


# --------------------------------------------------------------------------- container
def test_container_is_built_from_the_same_requirements_and_keeps_a_token():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "requirements.txt" in dockerfile and "make deps" in dockerfile
    assert not re.search(r"\b[A-Za-z][\w.-]*==\d", dockerfile), "no second list of versions"
    assert "token=''" not in dockerfile and "token=\"\"" not in dockerfile
    devcontainer = json.loads((ROOT / ".devcontainer" / "devcontainer.json").read_text())
    assert devcontainer["build"]["dockerfile"] == "../Dockerfile"
    assert 8888 in devcontainer["forwardPorts"]
    assert "127.0.0.1:8888:8888" in (ROOT / "Makefile").read_text()  # localhost only


def docker_engine() -> str | None:
    """None if a Docker engine answers, else why the build test is skipped."""
    if shutil.which("docker") is None:
        return "no docker command on this machine"
    out = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        return ("the docker client is installed but no Docker engine runs here "
                "(`docker info` fails), so the image cannot be built")
    return None


@pytest.mark.slow
def test_the_container_image_builds_and_imports_the_course():
    reason = docker_engine()
    if reason:
        pytest.skip(reason)
    tag = "pets-lab-test"
    build = subprocess.run(["docker", "build", "-t", tag, str(ROOT)], capture_output=True,
                           text=True, timeout=3600)
    assert build.returncode == 0, build.stderr[-3000:]
    run = subprocess.run(["docker", "run", "--rm", tag, "python", "-c",
                          "import pets_helpers, tenseal, torch; print(torch.__version__)"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.startswith("2.")
