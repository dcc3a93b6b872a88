"""Scaling past one machine with existing engines (Lesson 10's appendix).

- :mod:`.census_pipeline`: Lesson 02's census release (ε-DP mean household income per public
  area) written once with PipelineDP; the same pipeline runs on PipelineDP's ``LocalBackend``
  (the course), ``SparkRDDBackend`` (Apache Spark, local mode in ``make test-scale``, or a
  cluster) and ``BeamBackend`` (Apache Beam runners) unchanged.

PipelineDP (``pipeline-dp``) is imported when a function is called.
"""

from .census_pipeline import (PRIVACY_UNIT, area_mean_pipeline, household_records,
                              pipeline_dp_area_means, pipeline_dp_mean_sd)

__all__ = ["PRIVACY_UNIT", "area_mean_pipeline", "household_records", "pipeline_dp_area_means",
           "pipeline_dp_mean_sd"]
