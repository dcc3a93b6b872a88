"""requirements.txt resolves to binary wheels for Python 3.11, 3.12 and 3.13 on Linux x86-64.

Asks PyPI itself, as a plain machine would (`pip --isolated`: no local indexes, no constraints):
every pin that applies to the target Python (environment markers evaluated for it) must exist as
a wheel for that Python and platform (`--only-binary=:all: --no-deps`), and the pinned set must
satisfy every dependency that its own packages declare. Skipped when PyPI cannot be reached.
The four resolves run in parallel (25 s on an idle machine, minutes under load); a successful
resolve is cached (in ~/.cache/pets-lab) under a hash of the pins, so a rerun is instant.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tomllib
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
INDEX = "https://pypi.org/simple/"
# 3.11.0 and 3.11.9 both: some pins need 3.11.5+ and have an environment-marker alternative.
TARGETS = ("3.11.0", "3.11.9", "3.12.0", "3.13.0")
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64",
             "manylinux2014_x86_64", "manylinux_2_5_x86_64", "manylinux1_x86_64",
             "linux_x86_64")
# PyPI's Linux torch wheel is the CUDA build and declares its CUDA runtime; the Makefile and the
# Dockerfile install the CPU build, which declares none of these.
CUDA_ONLY = ("nvidia-", "cuda-", "triton")

pytestmark = pytest.mark.slow


def marker_env(full_version: str, extra: str = "") -> dict:
    env = default_environment()
    env.update(python_version=".".join(full_version.split(".")[:2]),
               python_full_version=full_version, implementation_version=full_version,
               implementation_name="cpython", platform_python_implementation="CPython",
               sys_platform="linux", platform_system="Linux", platform_machine="x86_64",
               os_name="posix", extra=extra)
    return env


def pins_for(full_version: str) -> list[Requirement]:
    """The requirements.txt lines whose environment markers hold on `full_version` / Linux."""
    env = marker_env(full_version)
    reqs = []
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate(env):
                reqs.append(req)
    return reqs


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pets-lab"


def pin_lines(full_version: str) -> str:
    return "".join(f"{r.name}{r.specifier}\n" for r in pins_for(full_version))


def cached_for(full_version: str) -> Path:
    key = hashlib.sha256("\n".join([pin_lines(full_version), full_version, *PLATFORMS]).encode())
    return cache_dir() / f"resolve-{key.hexdigest()[:20]}.json"


def resolve(full_version: str, workdir: Path) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    reqfile = workdir / "requirements.txt"
    reqfile.write_text(pin_lines(full_version))
    cached = cached_for(full_version)
    if cached.exists():
        return {"returncode": 0, "errors": [], "report": json.loads(cached.read_text())}
    report = workdir / "report.json"
    cmd = [sys.executable, "-m", "pip", "install", "--isolated", "--dry-run", "--quiet",
           "--ignore-installed", "--no-deps", "--only-binary=:all:", "--index-url", INDEX,
           "--python-version", full_version, "--implementation", "cp",
           "--target", str(workdir / "target"), "--report", str(report), "-r", str(reqfile)]
    for tag in PLATFORMS:
        cmd += ["--platform", tag]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    errors = [line for line in out.stderr.splitlines() if "ERROR" in line and "Ignored" not in line]
    if out.returncode != 0:
        return {"returncode": out.returncode, "errors": errors, "report": None}
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(report.read_text())
    except OSError:
        pass  # a read-only home only costs the next run its time
    return {"returncode": 0, "errors": [], "report": json.loads(report.read_text())}


def pypi_reachable() -> bool:
    try:
        urllib.request.urlopen(INDEX + "pip/", timeout=15).close()
    except Exception:
        return False
    return True


@pytest.fixture(scope="module")
def resolved(tmp_path_factory):
    if not all(cached_for(v).exists() for v in TARGETS) and not pypi_reachable():
        pytest.skip(f"PyPI ({INDEX}) cannot be reached from this machine: the resolve check asks "
                    "the package index which wheels exist")
    base = tmp_path_factory.mktemp("resolve")
    with ThreadPoolExecutor(len(TARGETS)) as pool:
        results = pool.map(lambda v: resolve(v, base / v), TARGETS)
        return dict(zip(TARGETS, results))


@pytest.mark.parametrize("target", TARGETS)
def test_every_pin_is_a_binary_wheel_for(resolved, target):
    res = resolved[target]
    assert res["returncode"] == 0, f"Python {target}: " + "\n".join(res["errors"][-5:])
    files = [item["download_info"]["url"].rsplit("/", 1)[-1] for item in res["report"]["install"]]
    assert files and all(f.endswith(".whl") for f in files)
    assert len(files) == len(pins_for(target))


@pytest.mark.parametrize("target", TARGETS)
def test_the_pins_satisfy_every_declared_dependency(resolved, target):
    report = resolved[target]["report"]
    assert report is not None, f"no resolve for Python {target} (see the wheel test)"
    pinned = {canonicalize_name(item["metadata"]["name"]): Version(item["metadata"]["version"])
              for item in report["install"]}
    metadata = {canonicalize_name(item["metadata"]["name"]): item["metadata"]
                for item in report["install"]}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    # (who asks, requirement, extras of the asking package that are requested)
    wanted = [("pyproject.toml", Requirement(dep), "") for dep in project["dependencies"]]
    for name, meta in metadata.items():
        wanted += [(name, Requirement(dep), "") for dep in meta.get("requires_dist", [])]
    for dep in project["dependencies"]:  # extras the project asks for, like flwr[simulation]
        req = Requirement(dep)
        for extra in req.extras:
            meta = metadata[canonicalize_name(req.name)]
            wanted += [(req.name, Requirement(d), extra) for d in meta.get("requires_dist", [])]
    problems = []
    for who, req, extra in wanted:
        if req.marker is not None and not req.marker.evaluate(marker_env(target, extra)):
            continue
        name = canonicalize_name(req.name)
        if who == "torch" and name.startswith(CUDA_ONLY):
            continue
        if name not in pinned:
            problems.append(f"{who} needs {req} (not pinned)")
        elif not req.specifier.contains(pinned[name], prereleases=True):
            problems.append(f"{who} needs {req}, pinned {pinned[name]}")
    assert not problems, f"Python {target}:\n" + "\n".join(sorted(set(problems)))
