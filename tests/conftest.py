import os
import sys
from pathlib import Path

# Headless everywhere: kernels started by the tests (nbval, the grader) inherit these.
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ["PETS_HEADLESS"] = "1"

sys.path.insert(0, str(Path(__file__).parent))


# `make fast` runs `pytest tests -m "not slow"`: unit tests only. These start kernels (grading
# runs), servers or subprocess benchmark runs, so they are marked slow here, in one place;
# a test file can also mark its own tests with @pytest.mark.slow.
SLOW_FILES = {"test_grader_engine.py", "test_grader_hostile.py", "test_student_run_all.py",
              "test_lab.py", "test_benchmarks.py", "test_he_service.py"}
SLOW_NAME_PARTS = ("notebook_gets", "notebook_scores", "via_the_cli", "cli_grades",
                   "notebook_grade_is_saved")


def pytest_collection_modifyitems(config, items):
    import pytest

    for item in items:
        if item.path.name in SLOW_FILES or any(p in item.name for p in SLOW_NAME_PARTS):
            item.add_marker(pytest.mark.slow)
