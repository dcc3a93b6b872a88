"""How big a fresh setup is, as a plain machine resolves it (the README's setup figures).

    python tools/setup_size.py REPORT.json [--venv .venv]

REPORT.json: ``pip install --isolated --dry-run --ignore-installed --no-deps --report REPORT.json
-r requirements.txt`` (pip's installation report: one wheel per pin, from PyPI). Prints the
download size (HTTP Content-Length of every wheel; PyPI's torch wheel is replaced by the CPU
build the Makefile installs, whose size comes from ``--torch-cpu-wheel`` when given) and, with
``--venv``, the installed size of those distributions in an existing venv (from their RECORD).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def content_length(url: str) -> int:
    request = urllib.request.Request(url, method="HEAD")
    with urllib.request.urlopen(request, timeout=60) as response:
        return int(response.headers["Content-Length"])


def installed_sizes(python: str, names: list[str]) -> dict:
    """{name: bytes} summed from each distribution's RECORD in the venv of ``python``."""
    code = (
        "import json, sys, importlib.metadata as m\n"
        "out = {}\n"
        "for name in json.loads(sys.argv[1]):\n"
        "    try:\n"
        "        files = m.distribution(name).files or []\n"
        "    except m.PackageNotFoundError:\n"
        "        continue\n"
        "    out[name] = sum(f.size or 0 for f in files)\n"
        "print(json.dumps(out))\n")
    out = subprocess.run([python, "-c", code, json.dumps(names)], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("report", type=Path)
    ap.add_argument("--venv", type=Path, help="an installed venv to read installed sizes from")
    ap.add_argument("--torch-cpu-wheel", type=Path, help="the CPU torch wheel (for its size)")
    args = ap.parse_args(argv)
    items = json.loads(args.report.read_text())["install"]
    names = [item["metadata"]["name"] for item in items]
    urls = {item["metadata"]["name"]: item["download_info"]["url"] for item in items}
    with ThreadPoolExecutor(8) as pool:
        sizes = dict(zip(urls, pool.map(content_length, urls.values())))
    if args.torch_cpu_wheel:
        sizes["torch"] = args.torch_cpu_wheel.stat().st_size
    total = sum(sizes.values())
    top = sorted(sizes.items(), key=lambda kv: -kv[1])[:8]
    print(f"{len(sizes)} wheels, download {total / 1e6:,.0f} MB")
    print("largest: " + ", ".join(f"{k} {v / 1e6:.0f} MB" for k, v in top))
    if args.venv:
        inst = installed_sizes(str(args.venv / "bin" / "python"), names)
        print(f"installed: {sum(inst.values()) / 1e9:.2f} GB for {len(inst)} of {len(names)} "
              "distributions, from their RECORD files (without the bytecode pip compiles at "
              "install time: `du -sh .venv` of a real install is the figure to quote)")
        top = sorted(inst.items(), key=lambda kv: -kv[1])[:8]
        print("largest installed: " + ", ".join(f"{k} {v / 1e6:.0f} MB" for k, v in top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
