"""Lesson 05's Flower app: hospitals train one diagnostic model, each on its own directory.

``server_app`` and ``client_app`` are what the app's ``pyproject.toml`` names (see
:func:`write_app`); Flower's deployment engine imports them in the ServerApp and ClientApp
processes it starts. The ClientApp reads only its SuperNode's ``data-dir``
(:func:`.client_app.silo_records`); the ServerApp evaluates each round on the consortium's
benchmark directory (run config ``test-dir``) and writes its results to ``history-file``.
Settings: the run config (``flwr run --run-config``), key by key over :data:`HOSPITAL_SETTINGS`.
"""

from __future__ import annotations

from pathlib import Path

from .client_app import make_client_app, silo_records
from .server_app import make_server_app
from .settings import TrainSettings

#: Lesson 05's training settings: few rounds (a deployment round costs seconds), much local work.
HOSPITAL_SETTINGS = TrainSettings(rounds=2, local_epochs=20, lr=1.0, batch_size=16)


def _benchmark(run_config) -> tuple:
    from .silo import read_silo

    site = read_silo(run_config["test-dir"])
    return site.x, site.y


client_app = make_client_app(load=silo_records)
server_app = make_server_app(HOSPITAL_SETTINGS, test_data=_benchmark, n_classes=2)

PYPROJECT = """[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "hospital-fl"
version = "1.0.0"
description = "PETs Lab Lesson 05: cross-silo federated learning across hospitals"
dependencies = []

[tool.hatch.build.targets.wheel]
packages = ["."]

[tool.flwr.app]
publisher = "petslab"

[tool.flwr.app.components]
serverapp = "hospital_fl:server_app"
clientapp = "hospital_fl:client_app"

[tool.flwr.app.config]
{config}
"""


def write_app(directory, test_dir, n_nodes: int, settings: TrainSettings = HOSPITAL_SETTINGS):
    """Write the Flower app directory (``pyproject.toml`` + ``hospital_fl.py``) to ``directory``
    and return its path. The run config's defaults are ``settings``, ``num-nodes``, the
    benchmark's ``test-dir`` and an empty ``history-file``."""
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    config = {**settings.to_config(), "num-nodes": int(n_nodes),
              "test-dir": str(Path(test_dir).resolve()), "history-file": ""}
    lines = "\n".join(f"{k} = {v!r}".replace("'", '"') for k, v in config.items())
    (root / "pyproject.toml").write_text(PYPROJECT.format(config=lines))
    (root / "hospital_fl.py").write_text(
        '"""The app\'s components live in the course library (pets_helpers.fl.hospital_app)."""'
        "\n\nfrom pets_helpers.fl.hospital_app import client_app, server_app\n\n"
        '__all__ = ["client_app", "server_app"]\n')
    return root
