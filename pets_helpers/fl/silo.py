"""Reading one silo — a hospital's own data directory — for a ClientApp.

A silo directory holds ``records.csv`` (one row per record: numeric feature columns and a 0/1
label column) and ``preprocessing.json`` (``{"label": <column>, "ranges": {feature: [low,
high]}}``: the feature scaling every member of the federation agreed on, so that all sites feed
the model the same units). :func:`read_silo` reads only that directory, scales each feature to
``(value − low) / (high − low)`` and refuses anything malformed with one clear error — a
SuperNode started with a wrong ``data-dir`` fails at once, naming the directory and the problem.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import numpy as np

RECORDS_FILE, PREPROCESSING_FILE = "records.csv", "preprocessing.json"


class Silo(NamedTuple):
    """One site's scaled features ``x`` (float64), labels ``y`` (0/1) and feature names."""

    x: np.ndarray
    y: np.ndarray
    features: tuple


def read_silo(directory) -> Silo:
    """The records of the silo in ``directory`` (see the module docstring), scaled.

    Raises FileNotFoundError for a missing directory or file, ValueError for a malformed one
    (unreadable JSON or CSV, missing or extra columns, NaN, labels other than 0/1, no records).
    """
    import pandas as pd

    if not isinstance(directory, (str, Path)) or not str(directory):
        raise TypeError(f"data-dir must be a path to the site's directory, got {directory!r}. "
                        f"Start the SuperNode with --node-config 'data-dir=\"/path/to/site\"'.")
    root = Path(directory)
    if not root.is_dir():
        raise FileNotFoundError(f"data-dir {str(root)!r} is not a directory: this node has no "
                                f"data. Point data-dir at the site's own directory.")
    for name in (RECORDS_FILE, PREPROCESSING_FILE):
        if not (root / name).is_file():
            raise FileNotFoundError(f"data-dir {str(root)!r} has no {name}; a site directory "
                                    f"holds {RECORDS_FILE} and {PREPROCESSING_FILE}.")
    try:
        spec = json.loads((root / PREPROCESSING_FILE).read_text())
        label, ranges = spec["label"], spec["ranges"]
        low = np.array([float(r[0]) for r in ranges.values()])
        high = np.array([float(r[1]) for r in ranges.values()])
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise ValueError(f"{root / PREPROCESSING_FILE} is malformed ({type(exc).__name__}: "
                         f"{exc}); it must be {{\"label\": …, \"ranges\": {{feature: [low, "
                         f"high]}}}}.") from None
    if not np.all(high > low):
        raise ValueError(f"{root / PREPROCESSING_FILE}: every range needs high > low.")
    try:
        frame = pd.read_csv(root / RECORDS_FILE)
    except Exception as exc:
        raise ValueError(f"{root / RECORDS_FILE} is not a readable CSV ({exc}).") from None
    features = tuple(ranges)
    expected = set(features) | {label}
    if set(frame.columns) != expected:
        missing = sorted(expected - set(frame.columns))
        extra = sorted(set(frame.columns) - expected)
        raise ValueError(f"{root / RECORDS_FILE} does not match the agreed columns: missing "
                         f"{missing[:5]}, unexpected {extra[:5]}.")
    if frame.empty:
        raise ValueError(f"{root / RECORDS_FILE} holds no records.")
    try:
        values = frame[list(features)].to_numpy(dtype=np.float64)
        y = frame[label].to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{root / RECORDS_FILE} holds non-numeric values.") from None
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = map(int, np.argwhere(bad)[0])
        raise ValueError(f"{root / RECORDS_FILE}: row {row + 2} (line in the file), column "
                         f"{features[col]!r} is missing or not finite; fix or drop the record.")
    if not np.all(np.isin(y, (0, 1))):
        raise ValueError(f"{root / RECORDS_FILE}: the label column {label!r} must be 0 or 1.")
    return Silo((values - low) / (high - low), y.astype(np.int64), features)
