import os
import sys
from pathlib import Path

# Headless everywhere: kernels started by the tests (nbval, the grader) inherit these.
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ["PETS_HEADLESS"] = "1"

sys.path.insert(0, str(Path(__file__).parent))
