"""SDV 2.0 synthesizers and SDMetrics reports for one table, with the course's input checks.

- :func:`table_metadata`: SDV ``Metadata`` declared from the column types (categorical for text,
  numerical for numbers) — not detected, so codes such as area "01203" stay categories.
- :func:`fit_gaussian_copula`, :func:`fit_ctgan`: fitted SDV synthesizers; CTGAN shows a tqdm
  progress bar per epoch (it prints nothing by itself) and is seeded.
- :func:`sample_rows`: a seeded sample as a DataFrame.
- :func:`quality_report`: SDMetrics' quality report with **every** column pair scored.
  By default SDMetrics scores only pairs that are strongly associated in the real data
  (Cramér's V > 0.3, |Pearson r| > 0.5): a synthesizer that breaks a weak-but-real relation
  (education × area, say) is then never marked down for it, and the score looks better than it
  is. The thresholds are set to 0 here.
- :func:`diagnostic_report`: SDMetrics' diagnostic report (validity and structure).
- :func:`pair_score_matrix`: the pair scores as a square table for a heatmap.

None of these synthesizers is differentially private: they are trained on the real rows with no
noise, and Lesson 09 measures what they leak (:mod:`.privacy`).
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pandas as pd

from ..validation import check_positive_int

TABLE = "people"


def _check_table(table, name: str = "table") -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(table).__name__}.")
    if len(table) == 0 or table.shape[1] == 0:
        raise ValueError(f"{name} is empty ({table.shape[0]} rows, {table.shape[1]} columns): "
                         f"there is nothing to model.")
    missing = table.isna().to_numpy()
    if missing.any():
        row, col = map(int, np.argwhere(missing)[0])
        raise ValueError(f"{name} has a missing value (NaN) in column {table.columns[col]!r}, row "
                         f"{row}: drop or impute it first (the course's tables have none).")
    return table


def _sdtype(values: pd.Series, name: str) -> dict:
    kind = values.dtype.kind
    if kind == "b":
        return {"sdtype": "boolean"}
    if kind in "iu":
        return {"sdtype": "numerical"}
    if kind == "f":
        return {"sdtype": "numerical"}
    if isinstance(values.dtype, pd.CategoricalDtype) or (
            kind == "O" and values.map(lambda v: isinstance(v, str)).all()):
        return {"sdtype": "categorical"}
    example = values[~values.map(lambda v: isinstance(v, (str, int, float, bool)))]
    shown = repr(example.iloc[0])[:60] if len(example) else f"dtype {values.dtype}"
    raise TypeError(f"column {name!r} cannot be modelled by SDV's tabular synthesizers: it holds "
                    f"{shown} (dtype {values.dtype}). Use numbers for numerical columns and "
                    f"strings for categorical ones, e.g. table[{name!r}].astype(str).")


def table_metadata(table):
    """SDV ``Metadata`` for one table: text → categorical, numbers → numerical (no detection)."""
    from sdv.metadata import Metadata

    table = _check_table(table)
    columns = {str(c): _sdtype(table[c], c) for c in table.columns}
    return Metadata.load_from_dict({"tables": {TABLE: {"columns": columns}}})


@contextlib.contextmanager
def _quiet():
    """SDV/SDMetrics warn about their own deprecations and version checks; not for learners.

    CTGAN's column transformer runs ``joblib.Parallel(n_jobs=-1)``; threads instead of joblib's
    default worker processes, which would stay alive after the fit (~280 MiB each, per core).
    """
    import joblib

    with warnings.catch_warnings(), joblib.parallel_config(backend="threading"):
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", UserWarning)
        yield


def fit_gaussian_copula(train, seed: int = 0):
    """A fitted ``GaussianCopulaSynthesizer`` (fast: a correlation matrix of normal scores)."""
    from sdv.single_table import GaussianCopulaSynthesizer

    metadata = table_metadata(train)
    model = GaussianCopulaSynthesizer(metadata, default_distribution="beta")
    np.random.seed(seed)   # the copula's distribution fits draw from numpy's global state
    with _quiet():
        model.fit({TABLE: train})
    return model


def fit_ctgan(train, epochs: int = 10, seed: int = 0, batch_size: int = 500,
              progress: bool = True):
    """A fitted ``CTGANSynthesizer`` after ``epochs`` passes, seeded, with a progress bar.

    CTGAN is a conditional GAN; on 2 CPU cores one epoch over 5,000 rows takes ~2.5 s. A few
    epochs give a rough model — enough to see what a GAN does to rare categories.
    """
    import torch
    from sdv.single_table import CTGANSynthesizer

    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size", minimum=10)
    metadata = table_metadata(train)
    model = CTGANSynthesizer(metadata, epochs=epochs, batch_size=batch_size - batch_size % 10,
                             verbose=progress, enable_gpu=False)
    torch.manual_seed(seed)
    np.random.seed(seed)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)   # small networks: a second thread costs more than it saves
    try:
        with _quiet():
            model.fit({TABLE: train})
    finally:
        torch.set_num_threads(threads)
    return model


def sample_rows(model, num_rows: int, seed: int = 0) -> pd.DataFrame:
    """``num_rows`` synthetic rows from a fitted SDV synthesizer, reproducible by ``seed``."""
    num_rows = check_positive_int(num_rows, "num_rows")
    model._set_random_state(seed)
    with _quiet():
        out = model.sample(num_rows)
    return out[TABLE] if isinstance(out, dict) else out


def quality_report(real, synthetic, verbose: bool = False):
    """SDMetrics ``QualityReport`` scoring column shapes and **every** column pair.

    ``report.get_score()`` is the overall score in [0, 1]; ``report.get_details(
    "Column Pair Trends")`` lists each pair. Association thresholds are 0, so no pair is skipped.
    """
    from sdmetrics.reports import QualityReport

    real = _check_table(real, "real")
    synthetic = _check_table(synthetic, "synthetic")
    if list(real.columns) != list(synthetic.columns):
        raise ValueError(f"real and synthetic must have the same columns, got "
                         f"{list(real.columns)} and {list(synthetic.columns)}.")
    report = QualityReport()
    report.real_correlation_threshold = 0
    report.real_association_threshold = 0
    with _quiet():
        report.generate({TABLE: real}, {TABLE: synthetic[real.columns]},
                        table_metadata(real).to_dict(), verbose=verbose)
    return report


def diagnostic_report(real, synthetic, verbose: bool = False):
    """SDMetrics ``DiagnosticReport``: are values in range, categories known, columns present?"""
    from sdmetrics.reports import DiagnosticReport

    real = _check_table(real, "real")
    synthetic = _check_table(synthetic, "synthetic")
    report = DiagnosticReport()
    with _quiet():
        report.generate({TABLE: real}, {TABLE: synthetic[real.columns]},
                        table_metadata(real).to_dict(), verbose=verbose)
    return report


def pair_score_matrix(report) -> pd.DataFrame:
    """The column-pair scores of a quality report as a symmetric columns × columns table."""
    with _quiet():
        details = report.get_details("Column Pair Trends")
    columns = list(dict.fromkeys([*details["Column 1"], *details["Column 2"]]))
    matrix = pd.DataFrame(np.nan, index=columns, columns=columns)
    for a, b, score in zip(details["Column 1"], details["Column 2"], details["Score"]):
        matrix.loc[a, b] = matrix.loc[b, a] = score
    return matrix
