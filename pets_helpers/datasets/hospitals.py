"""Lesson 05's silos: the Wisconsin Diagnostic Breast Cancer data held by three hospitals.

The records are real: the 569 fine-needle-aspirate images of breast masses (30 nuclear features
each, diagnosis malignant/benign) of Wolberg, Street & Mangasarian (UCI, 1995), shipped with
scikit-learn. What is simulated is *who holds them*. A quarter (stratified, ``seed``) is the
consortium's benchmark set; the other 426 records are split across three hospitals whose
patients differ the way they do in practice — by **site-specific prevalence**:

- ``referral_centre`` — a tertiary oncology centre; patients arrive after a suspicious finding
  elsewhere, so most masses it sees are malignant (≈ 70 %);
- ``community_hospital`` — a general hospital's breast clinic, prevalence near the population
  of symptomatic patients (≈ 29 %);
- ``screening_clinic`` — a screening programme's assessment clinic: many women, few cancers
  (≈ 8 %), so it has seen only 9 malignant masses.

The exact (malignant, benign) counts are :data:`HOSPITAL_SITES`; which records go where is
random with ``seed``. Parameters and provenance: ``data/README.md``, "Lesson 05 — hospital
silos". :func:`write_hospital_silos` writes each hospital (and the benchmark) to its own
directory, as ``records.csv`` (raw measurements, one row per patient, ``malignant`` = 1/0) and
``preprocessing.json`` (the consortium's agreed feature scaling: the published range of each
feature); :func:`pets_helpers.fl.silo.read_silo` reads one back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..randomness import data_rng

#: Hospital → (malignant, benign) records it holds; prevalences 70 %, 29 % and 8 %.
HOSPITAL_SITES = {
    "referral_centre": (100, 43),
    "community_hospital": (50, 121),
    "screening_clinic": (9, 104),
}
#: Share of the 569 records (stratified) kept as the consortium's benchmark (test) set.
HOSPITAL_TEST_FRACTION = 0.25
#: The label column: 1 for a malignant mass, 0 for a benign one.
HOSPITAL_LABEL = "malignant"
#: File names inside each silo directory.
RECORDS_FILE, PREPROCESSING_FILE = "records.csv", "preprocessing.json"
BENCHMARK = "benchmark"


class HospitalSilos(NamedTuple):
    """Each hospital's records (``{name: DataFrame}``), the benchmark set, and the agreed
    feature ranges ``{feature: [low, high]}``."""

    sites: dict
    benchmark: pd.DataFrame
    ranges: dict


def _frame(x: np.ndarray, y: np.ndarray, names) -> pd.DataFrame:
    frame = pd.DataFrame(x, columns=names)
    frame[HOSPITAL_LABEL] = y.astype(int)
    return frame


def hospital_silos(seed=0) -> HospitalSilos:
    """Split the breast-cancer records into the benchmark set and the three hospitals of
    :data:`HOSPITAL_SITES` (exact counts; which patients go where depends on ``seed``)."""
    from sklearn.datasets import load_breast_cancer

    rng = data_rng(seed)
    data = load_breast_cancer()
    names = [n.replace(" ", "_") for n in data.feature_names]
    x, y = data.data, (data.target == 0).astype(int)  # sklearn codes malignant as 0
    ranges = {n: [float(lo), float(hi)] for n, lo, hi in zip(names, x.min(0), x.max(0))}
    test = []
    for label in (1, 0):
        idx = rng.permutation(np.flatnonzero(y == label))
        test.extend(idx[:int(round(HOSPITAL_TEST_FRACTION * len(idx)))])
    test = np.sort(np.asarray(test))
    rest = np.setdiff1d(np.arange(len(y)), test)
    pools = {label: list(rng.permutation(rest[y[rest] == label])) for label in (1, 0)}
    sites = {}
    for name, (n_malignant, n_benign) in HOSPITAL_SITES.items():
        take = [pools[1].pop() for _ in range(n_malignant)] + \
               [pools[0].pop() for _ in range(n_benign)]
        take = rng.permutation(take)
        sites[name] = _frame(x[take], y[take], names)
    return HospitalSilos(sites, _frame(x[test], y[test], names), ranges)


def write_hospital_silos(directory, seed=0) -> dict:
    """Write each hospital and the benchmark set to ``directory/<name>/`` (``records.csv`` and
    ``preprocessing.json``); return ``{name: Path}``. Existing files are overwritten."""
    silos = hospital_silos(seed)
    root = Path(directory)
    out = {}
    for name, frame in {**silos.sites, BENCHMARK: silos.benchmark}.items():
        path = root / name
        path.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path / RECORDS_FILE, index=False)
        (path / PREPROCESSING_FILE).write_text(json.dumps(
            {"label": HOSPITAL_LABEL, "ranges": silos.ranges}, indent=1))
        out[name] = path
    return out
