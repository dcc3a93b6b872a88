"""The course in a real browser: JupyterLab on localhost driven by headless Chromium.

Lesson 01's student copy (cut to its set-up, exercise E1 and its check, the data and the
explorer, plus a hint cell) is opened in JupyterLab, its cells run with Shift+Enter, the ε slider of the frequency
explorer dragged (the plot must change), and a check box and a hint box must appear. A second
test builds the static course site for Lesson 01 (or checks the one named by ``PETS_SITE``, e.g.
after ``make site``) and opens every page offline: no broken link, no missing image, no
request to the network, and formulas typeset by the MathJax shipped with the site.

Needs Debian's ``chromium`` and Playwright's Python package (``.ci/run`` installs both; no browser
is downloaded at run time). Without them each test is skipped with the reason, never silently.
"""

from __future__ import annotations

import json
import re
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a JupyterLab server, kernels and a browser: `make fast` skips it

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic", "--disable-dev-shm-usage"]  # containers: a small /dev/shm
WAIT_MS = 180_000  # generous: the machine may be loaded; every wait is on a condition, not a sleep


def chromium_path() -> str:
    """The system Chromium, or a skip that says what to install."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("browser test skipped: the Python package playwright is not installed "
                    "(pip install -r requirements.txt)")
    path = os.environ.get("PETS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.skip("browser test skipped: no chromium executable "
                    "(apt-get install chromium, or set PETS_CHROMIUM)")
    return path


def open_browser(playwright, profile: Path):
    return playwright.chromium.launch_persistent_context(
        str(profile), executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS,
        viewport={"width": 1400, "height": 1000})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lesson_01_excerpt(dest: Path) -> str:
    """Lesson 01's student copy cut to its set-up, E1 with its check, the data and the explorer,
    plus a hint cell: the parts a learner touches in the browser, without the long experiments."""
    nb = json.loads((ROOT / "notebooks" / "01_randomized_response.ipynb").read_text())
    keep = []
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] != "code":
            continue
        if ("from pets_helpers" in src or "L01.E1" in src or "zipf_population(" in src
                or "frequency_explorer(" in src):
            keep.append(dict(cell, outputs=[], execution_count=None))
    keep.append({"cell_type": "code", "metadata": {}, "source": 'hint("L01.E1")',
                 "outputs": [], "execution_count": None})
    nb["cells"] = [nb["cells"][0]] + keep
    (dest / "01_excerpt.ipynb").write_text(json.dumps(nb))
    return "01_excerpt.ipynb"


@pytest.fixture
def jupyterlab(tmp_path):
    """JupyterLab on 127.0.0.1 with a fixed token, serving a temporary workspace."""
    chromium_path()  # skip before starting a server nobody will use
    work = tmp_path / "work"
    work.mkdir()
    notebook = lesson_01_excerpt(work)
    port, token = free_port(), "pets-lab-browser-test"
    cmd = [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser",
           f"--port={port}", "--ip=127.0.0.1", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={work}",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--LabApp.news_url=None"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"),
               JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "ws"),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    env.pop("PETS_HEADLESS", None)  # a learner's kernel: live widgets, inline plots
    env.pop("MPLBACKEND", None)
    log = (tmp_path / "lab.log").open("w")
    server = subprocess.Popen(cmd, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                assert server.poll() is None, "jupyter lab exited: " + (tmp_path / "lab.log").read_text()
                assert time.monotonic() < deadline, "jupyter lab did not start in 90 s"
                time.sleep(0.5)
        yield f"{base}/lab/tree/{notebook}?token={token}", work
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_lesson_runs_in_jupyterlab_with_a_live_epsilon_slider(jupyterlab, tmp_path):
    chromium_path()
    from playwright.sync_api import sync_playwright

    url, work = jupyterlab
    with sync_playwright() as p:
        browser = open_browser(p, tmp_path / "profile")
        try:
            page = browser.pages[0] if browser.pages else browser.new_page()
            page.set_default_timeout(WAIT_MS)
            page.goto(url)
            cells = page.locator(".jp-Notebook .jp-CodeCell")
            cells.first.wait_for()
            page.get_by_text("| Idle").first.wait_for()  # the kernel has started (status bar)
            count = cells.count()
            assert count == 6, f"expected 6 code cells in the excerpt, found {count}"
            # run every cell the way a learner does: select the first, then Shift+Enter each
            cells.first.locator(".jp-InputArea-editor").click()
            page.keyboard.press("Escape")
            for _ in range(count):
                page.keyboard.press("Shift+Enter")

            # the check box of the unanswered E1 and the first hint
            check_box = page.locator(".jp-OutputArea-output", has_text="Not yet").first
            check_box.wait_for()
            assert "L01.E1" in check_box.inner_text()
            hint_box = page.locator(".jp-OutputArea-output", has_text="Hints for").first
            hint_box.wait_for()
            assert "Hint 1/" in hint_box.inner_text()

            # the explorer: an ε slider and its plot
            plot = page.locator(".widget-output img").first
            plot.wait_for()
            before = plot.get_attribute("src")
            assert before and before.startswith("data:image/png")
            handle = page.locator(".widget-slider .noUi-handle[role='slider']").first
            handle.wait_for()
            eps_before = handle.get_attribute("aria-valuenow")
            box = handle.bounding_box()
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            page.mouse.move(x, y)
            page.mouse.down()
            page.mouse.move(x + 60, y, steps=8)
            page.mouse.up()
            assert handle.get_attribute("aria-valuenow") != eps_before, "the slider did not move"
            page.wait_for_function(
                "before => { const i = document.querySelector('.widget-output img');"
                " return i !== null && i.getAttribute('src') !== before; }",
                arg=before, timeout=WAIT_MS)
            after = plot.get_attribute("src")
            assert after != before
            errors = page.locator(".jp-OutputArea-output[data-mime-type='application/"
                                  "vnd.jupyter.stderr']", has_text="Traceback")
            assert errors.count() == 0, errors.first.inner_text()
        finally:
            browser.close()
    # the hint was recorded beside the notebook, for `pets-course progress`
    assert (work / ".pets-grades" / "hints.json").exists()


def test_built_site_has_no_broken_link_or_missing_image(tmp_path):
    chromium_path()
    from playwright.sync_api import sync_playwright

    from pets_helpers import site

    if os.environ.get("PETS_SITE"):  # check a site built by `make site`: PETS_SITE=site
        out = Path(os.environ["PETS_SITE"]).resolve()
    else:
        out = tmp_path / "site"
        site.build(out, lessons=["01"], timeout=300)   # a lesson with formulas
    with sync_playwright() as p:
        browser = open_browser(p, tmp_path / "profile")
        try:
            page = browser.pages[0] if browser.pages else browser.new_page()
            page.set_default_timeout(WAIT_MS)
            failed, external = [], set()
            page.on("requestfailed", lambda r: failed.append(r.url))

            def offline(route):  # no network: record what a page would fetch from outside
                external.add(route.request.url.split("?")[0])
                route.abort()

            page.route(re.compile(r"^https?://"), offline)
            pages = [out / "index.html"] + sorted(out.glob("*/*.html"))
            assert len(pages) == 1 + 2 * len(list((out / "instructors").glob("*.html"))) >= 3
            plots = typeset = 0
            for html in pages:
                page.goto(html.as_uri())
                page.wait_for_load_state("load")
                broken = page.evaluate(
                    "() => Array.from(document.images)"
                    ".filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)")
                assert broken == [], f"{html.name}: images that do not load: {broken}"
                plots += page.evaluate("() => document.images.length")
                if html.name != "index.html":
                    # the formulas are typeset by the MathJax copied beside the pages
                    page.wait_for_function(
                        "() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0")
                    typeset += page.evaluate(
                        "() => document.querySelectorAll('.MathJax, .MathJax_Display').length") > 0
                for href in page.evaluate(
                        "() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"):
                    if href.startswith("file://"):
                        target = Path(urllib.request.url2pathname(href[len("file://"):].split("#")[0]))
                        assert target.exists(), f"{html.name}: broken link {href}"
            assert plots >= len(pages) - 1, "plots are missing (at least one per lesson page)"
            # MathJax's hidden assistive MathML asks for TeX fonts the package does not ship
            # (\mathbb, \mathcal in Lessons 04 and 06); the visible formulas use its STIX fonts
            optional = "/mathjax/fonts/HTML-CSS/TeX/otf/"
            assert [u for u in failed if u.startswith("file:") and optional not in u] == [], failed
            assert typeset >= 1, "no formula was typeset on any page"
            assert external == set(), f"the site fetches from the network: {external}"
        finally:
            browser.close()
