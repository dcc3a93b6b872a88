# -*- coding: utf-8 -*-
"""Pre-flight checks for `make`: say up front what will happen and end with one clear message.

    python tools/setup_check.py python            # is this interpreter one PETs Lab supports?
    python tools/setup_check.py same-venv VENV    # does VENV use this interpreter's version?
    python tools/setup_check.py wheels            # (venv python) can every pin install as a wheel?
    python tools/setup_check.py reachable URL     # can this machine reach URL (20 s timeout)?

Exit status 0 = go ahead, 1 = stop (the message names the fix). The first two commands run on
whatever Python a learner has, so this file avoids syntax newer than Python 3.6 (no f-strings
with '=', no walrus) — an old interpreter must be able to print the message.
"""

from __future__ import print_function

import os
import platform
import shutil
import subprocess
import sys

SUPPORTED = ((3, 11), (3, 12), (3, 13))
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONTAINER = ("or skip local setup and use the container: `make lab-container` "
             "(needs Docker; see the README, 'On macOS / Windows / other Python').")


def fail(message):
    print("\nPETs Lab setup: " + message + "\n", file=sys.stderr)
    return 1


def install_hint(version):
    """The command that installs Python `version` (like '3.13') on this kind of machine."""
    if sys.platform == "darwin":
        return "brew install python@{0}   (or the installer from python.org)".format(version)
    if os.path.exists("/etc/debian_version"):
        return ("sudo apt install python{0} python{0}-venv   (Ubuntu before 24.04: add the "
                "deadsnakes PPA first; or use pyenv / uv python install {0})".format(version))
    return "pyenv install {0}   (or uv python install {0}, or your package manager)".format(version)


def check_python():
    if sys.platform == "win32" or platform.system().startswith(("MINGW", "MSYS", "CYGWIN")):
        return fail("native Windows is not supported: run the same two commands inside WSL2 "
                    "(`wsl --install -d Ubuntu`, then clone the repository in the Linux home "
                    "folder), " + CONTAINER)
    found = sys.version_info[:2]
    if found not in SUPPORTED:
        names = ", ".join("{0}.{1}".format(*v) for v in SUPPORTED)
        return fail(
            "{0} is Python {1}.{2}; PETs Lab needs Python {3} (the pinned torch, TenSEAL and Ray "
            "publish wheels for these).\n  Fix: {4}\n  then run `make lab PYTHON=python3.13` "
            "(any supported version works), ".format(
                sys.executable, found[0], found[1], names, install_hint("3.13")) + CONTAINER)
    try:
        import ensurepip  # noqa: F401  (Debian/Ubuntu split it out into pythonX.Y-venv)
        import venv  # noqa: F401
    except ImportError:
        return fail("{0} cannot create virtual environments (no ensurepip).\n  Fix: sudo apt "
                    "install python{1}.{2}-venv   then run make again.".format(
                        sys.executable, found[0], found[1]))
    return 0


def check_same_venv(venv):
    """A venv made by another Python version is not silently reused when PYTHON= is given."""
    exe = os.path.join(venv, "bin", "python")
    if not os.path.exists(exe):
        return 0
    out = subprocess.run([exe, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                         stdout=subprocess.PIPE, universal_newlines=True)
    mine = "{0}.{1}".format(*sys.version_info[:2])
    theirs = out.stdout.strip() or "unknown"
    if theirs != mine:
        return fail("{0} was made with Python {1}, but PYTHON= asks for Python {2}.\n  Fix: "
                    "`make clean` (removes {0}), then run the same make command again.".format(
                        venv, theirs, mine))
    return 0


def pins(path):
    """The `name==version` lines of requirements.txt that apply to this interpreter."""
    try:
        from packaging.requirements import Requirement
    except ImportError:  # a fresh venv has only pip, which vendors packaging
        from pip._vendor.packaging.requirements import Requirement

    out = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate():
                out.append(req)
    return out


def missing_wheels(requirements):
    """Names of the pins pip can install only by building from source on this machine."""
    lines = [str(r).split(";")[0] for r in requirements]
    cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--no-deps",
           "--ignore-installed", "--only-binary=:all:"]
    out = subprocess.run(cmd + lines, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         universal_newlines=True)
    if out.returncode == 0:
        return []
    # Narrow down, one pin at a time, only when the batch fails (rare: an unusual platform).
    return [r.name for r in requirements
            if subprocess.run(cmd + [str(r).split(";")[0]], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode != 0]


def compiler():
    for name in ("c++", "clang++", "g++"):
        if shutil.which(name):
            return name
    return None


def check_wheels():
    missing = missing_wheels(pins(os.path.join(ROOT, "requirements.txt")))
    if not missing:
        return 0
    where = "{0} {1} (Python {2}.{3})".format(platform.system(), platform.machine(),
                                            *sys.version_info[:2])
    others = [m for m in missing if m.lower() != "tenseal"]
    if others:
        return fail("no binary wheels for {0} on {1}: these packages would have to be compiled, "
                    "which PETs Lab does not support.\n  Fix: use Python 3.11–3.13 on Linux "
                    "x86-64/arm64, macOS on Apple silicon or WSL2, ".format(", ".join(others),
                                                                          where) + CONTAINER)
    print("PETs Lab setup: TenSEAL publishes no wheel for {0}, so pip will build it from its "
          "source distribution (about 10–20 minutes; needs cmake, git and a C++17 compiler; "
          "it fetches Microsoft SEAL while building).".format(where))
    todo = []
    if sys.platform == "darwin":
        if not compiler():
            todo.append("xcode-select --install        # Apple's C++ compiler (clang)")
        for tool in ("cmake", "git"):
            if not shutil.which(tool):
                todo.append("brew install {0}".format(tool))
    else:
        if not compiler():
            todo.append("sudo apt install g++          # or your distribution's C++ compiler")
        for tool in ("cmake", "git"):
            if not shutil.which(tool):
                todo.append("sudo apt install {0}".format(tool))
    if todo:
        return fail("cannot build TenSEAL yet: install what is missing, then run make again:\n"
                    + "".join("    " + t + "\n" for t in todo) + "  " + CONTAINER)
    print("PETs Lab setup: found {0}, cmake and git; building TenSEAL from source.".format(
        compiler()))
    return 0


def reachable(url):
    """0 if `url` answers (any HTTP status counts: the host is there), 1 if it cannot be reached."""
    from urllib.error import HTTPError
    from urllib.request import urlopen

    try:
        urlopen(url, timeout=20).close()
    except HTTPError:
        return 0
    except Exception:  # DNS, TLS, proxy, timeout: all mean "not reachable"
        return 1
    return 0


def main(argv):
    if argv[:1] == ["python"]:
        return check_python()
    if argv[:1] == ["same-venv"] and len(argv) == 2:
        return check_same_venv(argv[1])
    if argv[:1] == ["reachable"] and len(argv) == 2:
        return reachable(argv[1])
    if argv[:1] == ["wheels"]:
        return check_wheels()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
