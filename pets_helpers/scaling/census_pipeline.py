"""Lesson 02's census release on PipelineDP: ε-DP mean household income per public area.

The release is the one of :func:`pets_helpers.dp.dp_grouped_mean` — bounds public, areas public,
every household in exactly one area, so each area gets the full ε (parallel composition) —
computed by PipelineDP's ``DPEngine`` instead of the course's own code. PipelineDP builds the
computation as a graph of map / group-by-key / combine steps on a *backend*:
``pipeline_dp.LocalBackend()`` (Python iterables, one process), ``SparkRDDBackend(sc)`` (an
Apache Spark RDD: local mode or a cluster) or ``BeamBackend()`` (an Apache Beam PCollection:
Dataflow, Flink, …). :func:`area_mean_pipeline` is written once and runs on any of them.

Privacy unit: **one household** (``SERIALNO``), add/remove-one; PipelineDP enforces it itself
(``max_partitions_contributed=1``, ``max_contributions_per_partition=1``: a household with more
rows or in more areas is cut down to one row in one area before aggregation).

PipelineDP's mean differs from the course's in how it spends ε, not in what it estimates: ε/2
goes to a Laplace count (sensitivity 1) and ε/2 to a Laplace sum of values *centred on the
middle of the bounds*, Σ (clip(x) − mid) with sensitivity (upper − lower)/2; the release is
mid + noisy centred sum / max(1, noisy count). Both are centred on the clipped mean; their
spreads are :func:`pipeline_dp_mean_sd` and :func:`pets_helpers.dp.dp_mean_mse`. Its noise comes
from Google's differential-privacy library (secure samplers in C++), which cannot be seeded.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..validation import check_bounds, check_epsilon, check_positive_int, check_real

#: The privacy unit of every release of this module.
PRIVACY_UNIT = "one household (SERIALNO): at most one record, counted in one area"


def _check_areas(areas) -> list:
    if isinstance(areas, (str, bytes)) or not hasattr(areas, "__iter__"):
        raise TypeError(f"areas must be a list of public area codes, got {areas!r}.")
    areas = list(areas)
    if not areas:
        raise ValueError("areas is empty: pass the public list of area codes (e.g. every PUMA).")
    if len(set(areas)) != len(areas):
        raise ValueError("areas lists an area more than once; codes must be unique.")
    return areas


def household_records(households, income: str = "income_adjusted", by: str = "PUMA",
                      id_column: str = "SERIALNO") -> list[tuple]:
    """(household id, area, income) tuples — the plain records a pipeline reads.

    Households without an income (group quarters, vacant units: NaN) are left out, as in
    Lesson 02. Plain tuples of str/float travel to Spark executors or Beam workers as they are.
    """
    if not isinstance(households, pd.DataFrame):
        raise TypeError(f"households must be a pandas DataFrame, got {type(households).__name__}.")
    for name in (income, by, id_column):
        if name not in households.columns:
            raise KeyError(f"column {name!r} is not in the frame (columns: {list(households.columns)}).")
    known = households.dropna(subset=[income])
    values = known[income].to_numpy(dtype=float)
    if not np.isfinite(values).all():
        raise ValueError(f"column {income!r} holds an infinite value; fix the data first.")
    return list(zip(known[id_column].astype(str), known[by].astype(str), values.tolist()))


def area_mean_pipeline(records, backend, areas, lower, upper, epsilon):
    """The release as a PipelineDP computation on ``backend`` — lazy until materialized.

    ``records``: a collection of (household id, area, income) in the backend's own type (a
    list for ``LocalBackend``, an RDD for ``SparkRDDBackend``, a PCollection for
    ``BeamBackend``). Returns the backend's collection of (area, metrics) with
    ``metrics.mean`` and ``metrics.count`` for every area of ``areas`` (areas without records
    are released too: pure noise). The budget is ε-DP in total, δ = 0 (Laplace noise;
    privacy unit: :data:`PRIVACY_UNIT`).
    """
    import pipeline_dp

    lower, upper = check_bounds(lower, upper)
    epsilon = check_epsilon(epsilon)
    areas = _check_areas(areas)
    accountant = pipeline_dp.NaiveBudgetAccountant(total_epsilon=epsilon, total_delta=0)
    engine = pipeline_dp.DPEngine(accountant, backend)
    params = pipeline_dp.AggregateParams(
        noise_kind=pipeline_dp.NoiseKind.LAPLACE,
        metrics=[pipeline_dp.Metrics.MEAN, pipeline_dp.Metrics.COUNT],
        max_partitions_contributed=1,
        max_contributions_per_partition=1,
        min_value=lower,
        max_value=upper,
    )
    extractors = pipeline_dp.DataExtractors(
        privacy_id_extractor=lambda r: r[0],
        partition_extractor=lambda r: r[1],
        value_extractor=lambda r: r[2],
    )
    result = engine.aggregate(records, params, extractors, public_partitions=areas)
    accountant.compute_budgets()  # fixes every mechanism's share of ε; must precede running
    return result


def release_frame(rows, areas, lower, upper, epsilon) -> pd.DataFrame:
    """The materialized (area, metrics) pairs as a frame indexed by area (``areas`` order)."""
    got = {str(area): (float(m.mean), float(m.count)) for area, m in rows}
    out = pd.DataFrame([got[str(a)] for a in areas], columns=["estimate", "noisy_count"],
                       index=pd.Index(areas, name="area"))
    out.attrs.update(epsilon=float(epsilon), delta=0.0, lower=float(lower), upper=float(upper),
                     engine="PipelineDP", privacy_unit=PRIVACY_UNIT)
    return out


def pipeline_dp_area_means(households, areas, lower, upper, epsilon, *,
                           income: str = "income_adjusted", by: str = "PUMA",
                           id_column: str = "SERIALNO") -> pd.DataFrame:
    """ε-DP mean income per area with PipelineDP's ``LocalBackend`` (the course's machine).

    Returns a frame indexed by area with ``estimate`` and ``noisy_count``; ``attrs`` hold ε,
    δ = 0, the bounds and the privacy unit. Same release as
    :func:`pets_helpers.dp.dp_grouped_mean` (a different but equally valid noise recipe).
    """
    import pipeline_dp

    areas = _check_areas(areas)
    records = household_records(households, income, by, id_column)
    rows = area_mean_pipeline(records, pipeline_dp.LocalBackend(), areas, lower, upper, epsilon)
    return release_frame(list(rows), areas, lower, upper, epsilon)


def pipeline_dp_mean_sd(n, clipped_mean, lower, upper, epsilon) -> float:
    """Standard deviation of PipelineDP's Laplace mean around the clipped mean (delta method).

    Count noise Lap(b_c), b_c = 1/(ε/2); centred-sum noise Lap(b_s), b_s = ((upper − lower)/2)/(ε/2);
    with m the clipped mean and mid the middle of the bounds,
    Var ≈ (2 b_s² + (m − mid)²·2 b_c²) / n², neglecting terms of relative order b_c²/n².
    """
    n = check_positive_int(n, "n")
    lower, upper = check_bounds(lower, upper)
    epsilon = check_epsilon(epsilon)
    m = check_real(clipped_mean, "clipped_mean", low=lower, high=upper)
    half = epsilon / 2
    b_sum, b_count = (upper - lower) / 2 / half, 1 / half
    mid = (lower + upper) / 2
    return math.sqrt(2 * b_sum**2 + (m - mid) ** 2 * 2 * b_count**2) / n
