"""Write the simulated ACS PUMS sample of Lesson 02 (pums_households.csv, pums_persons.csv).

The shipped files are package data, in ``pets_helpers/datasets/data/``, so that an installed
course reads them through ``importlib.resources``.

Usage (from the repository root)::

    python data/make_pums_sample.py                    # rewrites the two shipped files
    python data/make_pums_sample.py --out-dir build/pums  # writes them elsewhere

The rows are simulated by :func:`pets_helpers.datasets.generate_pums_sample` (5,000 housing
records of the fictional city of Lakeport and their persons, seed 2022); running this script
again rewrites the same bytes. Every distribution parameter, and its public source, is listed in
``data/README.md`` ("Lesson 02") and next to the constants in ``pets_helpers/datasets/pums.py``.
Nothing is downloaded. The real files can be downloaded by the learner from the Census Bureau
(https://www.census.gov/programs-surveys/acs/microdata.html) and read with
:func:`pets_helpers.census.read_pums`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pets_helpers.datasets import (PUMS_SAMPLE_HOUSEHOLDS, PUMS_SAMPLE_SEED,
                                   write_pums_sample)

#: Where the shipped sample lives in the repository: the package data of pets_helpers.datasets.
SHIPPED = Path(__file__).resolve().parent.parent / "pets_helpers" / "datasets" / "data"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=SHIPPED,
                        help="folder to write the two CSV files to (default: the package data, "
                             "pets_helpers/datasets/data/)")
    parser.add_argument("--n-households", type=int, default=PUMS_SAMPLE_HOUSEHOLDS,
                        help=f"housing records (default {PUMS_SAMPLE_HOUSEHOLDS:,})")
    parser.add_argument("--seed", type=int, default=PUMS_SAMPLE_SEED,
                        help=f"random seed (default {PUMS_SAMPLE_SEED})")
    args = parser.parse_args(argv)
    for path in write_pums_sample(args.out_dir, args.n_households, args.seed):
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
