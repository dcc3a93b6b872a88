"""`make lab` serves the course: JupyterLab starts from the venv at the repository root and opens
the first lesson."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_jupyterlab_serves_the_welcome_notebook(tmp_path):
    port, token = free_port(), "pets-lab-test"
    cmd = [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser",
           f"--port={port}", "--ip=127.0.0.1", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={ROOT}", "notebooks/00_welcome.ipynb"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path), JUPYTER_CONFIG_DIR=str(tmp_path))
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                assert server.poll() is None, "jupyter lab exited"
                assert time.monotonic() < deadline, "jupyter lab did not start in 60 s"
                time.sleep(0.5)
        # the file browser opens at the repository root: README, data/README.md, every lesson
        with urllib.request.urlopen(f"{base}/api/contents/?token={token}", timeout=10) as resp:
            names = {item["name"] for item in json.load(resp)["content"]}
        assert {"README.md", "data", "notebooks"} <= names, names
        url = f"{base}/api/contents/data/README.md?token={token}"
        with urllib.request.urlopen(url, timeout=10) as resp:
            assert json.load(resp)["type"] == "file"
        url = f"{base}/api/contents/notebooks/00_welcome.ipynb?token={token}"
        with urllib.request.urlopen(url, timeout=10) as resp:
            model = json.load(resp)
        assert model["type"] == "notebook"
        assert model["content"]["metadata"]["pets"]["lesson"] == "L00"
        with urllib.request.urlopen(f"{base}/lab?token={token}", timeout=10) as resp:
            assert resp.status == 200 and b"JupyterLab" in resp.read()
    finally:
        server.terminate()
        server.wait(timeout=20)
