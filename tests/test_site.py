"""`make site`: a small course tree rendered to static HTML — links resolve, plots are embedded,
learner copies keep their NotDoneYet, a broken solution stops the build."""

from __future__ import annotations

import html.parser
from pathlib import Path

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from pets_helpers import site

WIDGET = "import ipywidgets\nipywidgets.IntSlider(value=3, description='a widget')"
PLOT = ("import matplotlib.pyplot as plt\n"
        "plt.plot([0, 1], [1, 0]); plt.title('a plot'); plt.show()")
STUB = "raise NotImplementedError('NotDoneYet: L99.E1')"


def notebook(*cells) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Lesson 99 — A tiny lesson\n\nSome prose.")]
    nb.cells += [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


def course(root: Path, solution_cells, student_cells) -> Path:
    for folder, cells in (("solutions", solution_cells), ("notebooks", student_cells)):
        (root / folder).mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook(*cells), root / folder / "99_tiny.ipynb")
    (root / "solutions" / "notes.ipynb").write_text("{}")  # not a lesson: ignored
    return root


class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.images = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if tag == "img":
            self.images.append(attrs.get("src", ""))


def parse(path: Path) -> Links:
    links = Links()
    links.feed(path.read_text())
    return links


@pytest.mark.slow  # starts kernels
def test_site_renders_both_versions_with_plots_and_an_index(tmp_path):
    root = course(tmp_path / "course", ["x = 2", PLOT, WIDGET],
                  ["x = 2", PLOT, STUB, "print('after')"])
    out = tmp_path / "site"
    pages = site.build(out, root=root, timeout=120)
    assert sorted(p.relative_to(out).as_posix() for p in pages) == [
        "index.html", "instructors/99_tiny.html", "learners/99_tiny.html"]

    index = parse(out / "index.html")
    local = [h for h in index.hrefs if not h.startswith("http")]
    assert sorted(local) == ["instructors/99_tiny.html", "learners/99_tiny.html"]
    assert all((out / h).exists() for h in local)
    assert "http://localhost:8888/lab/tree/work/99_tiny.ipynb" in index.hrefs
    text = (out / "index.html").read_text()
    assert "Lesson 99 — A tiny lesson" in text and "make lab" in text

    for version in ("instructors", "learners"):
        page = out / version / "99_tiny.html"
        images = parse(page).images
        assert len(images) == 1 and images[0].startswith("data:image/png;base64,"), version
        body = page.read_text()
        assert "require.min.js" not in body
        assert "<script src=\"\"" not in body
        assert "unpkg.com" not in body and "widget-view" not in body  # no CDN widget manager
        assert "libs/mathjax" not in body and f'src="{site.MATHJAX_URL}"' in body  # shipped
    mathjax = out / "mathjax"
    assert (mathjax / "MathJax.js").exists() and (mathjax / "config" / "pets-site.js").exists()
    assert (mathjax / "jax" / "output" / "HTML-CSS" / "fonts" / "STIX-Web").is_dir()
    learner = (out / "learners" / "99_tiny.html").read_text()
    assert "NotDoneYet: L99.E1" in learner and "after" in learner  # Run All goes on past it
    instructor = (out / "instructors" / "99_tiny.html").read_text()
    assert "NotDoneYet" not in instructor
    assert "IntSlider" in instructor  # the widget's text fallback is kept
    assert not list((root / "solutions").glob(".pets-grades")), "nothing written beside sources"


@pytest.mark.slow
def test_a_failing_solution_stops_the_build(tmp_path):
    root = course(tmp_path / "course", [STUB], ["x = 1"])
    with pytest.raises(CellExecutionError, match="NotDoneYet"):
        site.build(tmp_path / "site", root=root, timeout=120)


def test_unknown_lessons_are_named(tmp_path):
    root = course(tmp_path / "course", ["x = 1"], ["x = 1"])
    with pytest.raises(ValueError, match=r"\['42'\].*available: \['99'\]"):
        site.lesson_files(root, ["42"])
    assert [p.name for p in site.lesson_files(root, [99])] == ["99_tiny.ipynb"]
