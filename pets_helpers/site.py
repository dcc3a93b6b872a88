"""The course as a static web site: every lesson executed and rendered to HTML with nbconvert.

``python -m pets_helpers.site [--out site] [--lessons 01 02]`` (``make site``) writes

* ``instructors/NN_name.html`` — the solution notebook, executed;
* ``learners/NN_name.html`` — the student copy, executed the way a learner's *Run All* runs it:
  every demo and plot is there, the unanswered exercises show their "Not yet" boxes, and a cell
  that needs a learner's answer keeps its ``NotDoneYet`` error (executed with ``allow_errors``);
* ``index.html`` — the lessons, links to both versions, and how to launch the course locally.

Notebooks run headless (``PETS_HEADLESS=1``: explorers draw their default plot), each in a
temporary copy of its folder so nothing is written beside the sources. Plots are embedded as
data URIs and MathJax (2.7, from the ``jupyter-server-mathjax`` package) is copied into
``mathjax/``, so the site needs no network: it can be opened from disk or served from any
static host.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LESSON_FILE = re.compile(r"^(\d\d)_\w+\.ipynb$")
LAB_URL = "http://localhost:8888/lab/tree/work/{name}"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: Pages live one folder below the site root; MathJax is copied to ``<site>/mathjax/``.
MATHJAX_URL = "../mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe,pets-site"
#: The package ships MathJax's STIX web fonts only (not its TeX fonts): use them, as Jupyter does.
MATHJAX_CONFIG = """MathJax.Hub.Config({
  "HTML-CSS": {availableFonts: [], preferredFont: null, imageFont: null, webFont: "STIX-Web"},
  SVG: {font: "STIX-Web"}
});
MathJax.Ajax.loadComplete("[MathJax]/config/pets-site.js");
"""
VERSIONS = (("learners", "notebooks", True), ("instructors", "solutions", False))


def lesson_files(root: Path = ROOT, lessons=None) -> list[Path]:
    """The solution notebooks ``NN_name.ipynb`` (only the numbers in ``lessons`` if given)."""
    wanted = None if lessons is None else {str(n).zfill(2) for n in lessons}
    files = sorted(p for p in (root / "solutions").glob("*.ipynb") if LESSON_FILE.match(p.name))
    if wanted is not None:
        unknown = wanted - {p.name[:2] for p in files}
        if unknown:
            raise ValueError(f"no solution notebook for lesson(s) {sorted(unknown)}; "
                             f"available: {[p.name[:2] for p in files]}")
        files = [p for p in files if p.name[:2] in wanted]
    return files


def title_of(path: Path) -> str:
    """The first markdown heading of a notebook (its file name if there is none)."""
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return path.stem


@contextlib.contextmanager
def kernel_env():
    """Environment the kernels inherit: explorers draw one static plot (``PETS_HEADLESS=1``) and
    figures go to the notebook (the inline backend, even if the caller exported ``Agg``)."""
    wanted = {"PETS_HEADLESS": "1", "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    saved = {k: os.environ.get(k) for k in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def static_widgets(nb) -> None:
    """Drop live-widget views (tqdm bars, sliders) for their text fallback, and the widget state:
    a static page has no kernel, and the widget manager would be fetched from a CDN."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data and len(data) > 1:
                del data[WIDGET_VIEW]


def render(source: Path, target: Path, allow_errors: bool, timeout: int) -> None:
    """Execute ``source`` in a temporary copy of its folder and write it as HTML to ``target``."""
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    nb = nbformat.read(source, as_version=4)
    with tempfile.TemporaryDirectory(prefix="pets-site-") as tmp:
        NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
                       resources={"metadata": {"path": tmp}}).execute()
    static_widgets(nb)
    exporter = HTMLExporter(embed_images=True, mathjax_url=MATHJAX_URL)
    body, _ = exporter.from_notebook_node(nb)
    # require.js only serves live widgets, which a static page does not have: no CDN request for it
    body = body.replace(f'<script src="{exporter.require_js_url}"></script>', "")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body)


def index_html(rows: list[tuple[str, str]]) -> str:
    """The index page: one row per lesson (file name, title)."""
    lines = []
    for name, title in rows:
        page = name.replace(".ipynb", ".html")
        lines.append(
            f"<tr><td>{html.escape(name[:2])}</td><td>{html.escape(title)}</td>"
            f'<td><a href="learners/{page}">learner copy</a></td>'
            f'<td><a href="instructors/{page}">solutions</a></td>'
            f'<td><a href="{LAB_URL.format(name=name)}">open in your local JupyterLab</a></td></tr>')
    table = "\n".join(lines)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>PETs Lab — course site</title>
<style>
body {{ font-family: sans-serif; max-width: 60rem; margin: 2rem auto; line-height: 1.5; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border-bottom: 1px solid #ccc; padding: .4rem .6rem; text-align: left; }}
code, pre {{ background: #f4f4f4; padding: .1rem .3rem; }}
</style></head>
<body>
<h1>PETs Lab — privacy-enhancing technologies, hands on</h1>
<p>Every lesson, executed. The <b>learner copy</b> is what you see after <i>Run All</i> on the
unanswered notebook: the demos and plots run, each exercise shows its "Not yet" box and
waits for your code. The <b>solutions</b> are the instructors' executed notebooks.
Interactive sliders are drawn at their default setting here; move them in JupyterLab.</p>
<table>
<tr><th>#</th><th>Lesson</th><th>Learners</th><th>Instructors</th><th>Launch locally</th></tr>
{table}
</table>
<h2>Launch the course locally</h2>
<p>With Python 3.11 and <code>make</code>:</p>
<pre>git clone &lt;this repository&gt; pets-lab
cd pets-lab
make lab        # creates .venv, installs the pinned packages, opens JupyterLab</pre>
<p><code>make lab</code> copies each lesson to <code>work/</code> (your copies, never overwritten)
and serves JupyterLab on <code>http://localhost:8888</code>; the "open in your local JupyterLab"
links above point there. <code>make progress</code> lists your grades and hints;
<code>pets-grade work/NN_name.ipynb</code> grades a notebook.</p>
</body></html>
"""


def copy_mathjax(out: Path) -> Path:
    """Copy MathJax's files (shipped by ``jupyter-server-mathjax``, ~10 MB) to ``out/mathjax``."""
    from importlib.resources import files

    try:
        static = files("jupyter_server_mathjax") / "static"
    except ModuleNotFoundError:
        raise RuntimeError("the site needs MathJax from the package jupyter-server-mathjax "
                           "(pinned in requirements.txt): run `make install`") from None
    target = Path(out) / "mathjax"
    shutil.copytree(str(static), target)
    (target / "config" / "pets-site.js").write_text(MATHJAX_CONFIG)
    return target


def build(out: Path, lessons=None, root: Path = ROOT, timeout: int = 600) -> list[Path]:
    """Render every lesson (or only ``lessons``) into ``out``; returns the pages written."""
    files = lesson_files(root, lessons)
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    copy_mathjax(out)
    written, rows = [], []
    with kernel_env():
        for solution in files:
            for folder, source_dir, allow_errors in VERSIONS:
                source = root / source_dir / solution.name
                if not source.exists():
                    raise FileNotFoundError(f"{source} is missing: run the release first")
                target = out / folder / solution.with_suffix(".html").name
                print(f"[site] {folder}/{target.name}", file=sys.stderr, flush=True)
                render(source, target, allow_errors, timeout)
                written.append(target)
            rows.append((solution.name, title_of(solution)))
    index = out / "index.html"
    index.write_text(index_html(rows))
    return [index] + written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pets_helpers.site", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "site", help="output folder (replaced)")
    parser.add_argument("--lessons", nargs="*", help="lesson numbers, e.g. 01 02 (default: all)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args(argv)
    pages = build(args.out, args.lessons, timeout=args.timeout)
    print(f"{len(pages)} pages in {args.out}; open {args.out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
