"""The same census pipeline on Apache Spark (local mode): ``make test-scale``.

Optional: runs only when ``PETS_TEST_SCALE=1`` (set by ``make test-scale``), and is skipped with
the reason when Java or PySpark is missing (``pip install 'pets-helpers[scale]'`` and a Java 17
runtime). Spark's start takes ~15 s and ~500 MB, so ``make test`` leaves it out.
"""

import math
import os
import shutil
import sys

import numpy as np
import pytest

from pets_helpers.datasets import load_course_pums
from pets_helpers.grading.tolerance import FALSE_FAIL, z_score
from pets_helpers.scaling import area_mean_pipeline, household_records, pipeline_dp_mean_sd
from pets_helpers.scaling.census_pipeline import release_frame

if os.environ.get("PETS_TEST_SCALE") != "1":
    pytest.skip("the Spark test runs with `make test-scale` (PETS_TEST_SCALE=1)", allow_module_level=True)
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("Spark needs a Java runtime (e.g. Debian's openjdk-17-jre-headless); none found",
                allow_module_level=True)
pyspark = pytest.importorskip("pyspark", reason="PySpark is not installed: pip install 'pets-helpers[scale]'")
pipeline_dp = pytest.importorskip("pipeline_dp", reason="pipeline-dp is in requirements.txt")

AREAS = [f"012{i:02d}" for i in range(1, 11)]
LOWER, UPPER, EPS = -59_999.0, 300_000.0, 1.0


@pytest.fixture(scope="module")
def spark_context():
    # Spark's Python workers must run this interpreter (with pipeline-dp), not the system's.
    os.environ["PYSPARK_PYTHON"] = os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    conf = (pyspark.SparkConf().setMaster("local[2]").setAppName("pets-lab-census")
            .set("spark.ui.enabled", "false").set("spark.ui.showConsoleProgress", "false")
            .set("spark.driver.memory", "512m")
            .set("spark.driver.bindAddress", "127.0.0.1").set("spark.driver.host", "127.0.0.1"))
    sc = pyspark.SparkContext.getOrCreate(conf)
    sc.setLogLevel("ERROR")
    yield sc
    sc.stop()


def test_the_same_pipeline_runs_on_spark(spark_context):
    households = load_course_pums().households
    records = spark_context.parallelize(household_records(households), numSlices=4)
    backend = pipeline_dp.SparkRDDBackend(spark_context)
    result = area_mean_pipeline(records, backend, AREAS, LOWER, UPPER, EPS)
    assert isinstance(result, pyspark.RDD)  # lazy: nothing ran until collect()
    release = release_frame(result.collect(), AREAS, LOWER, UPPER, EPS)
    known = households.dropna(subset=["income_adjusted"])
    z = z_score(FALSE_FAIL / len(AREAS))
    for area in AREAS:
        x = known.loc[known["PUMA"] == area, "income_adjusted"].to_numpy()
        m = np.clip(x, LOWER, UPPER).mean()
        sd = pipeline_dp_mean_sd(len(x), m, LOWER, UPPER, EPS)
        assert abs(release.loc[area, "estimate"] - m) <= z * sd * 1.05, area
        assert abs(release.loc[area, "noisy_count"] - len(x)) <= -math.log(FALSE_FAIL / 10) * 2 / EPS
