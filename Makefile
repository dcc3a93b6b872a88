# PETs Lab — `make lab` opens the course, `make test` runs the whole test suite.
# Both create .venv (Python 3.11) on first use and install the pinned requirements.txt.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test install release clean progress reset test-scale site

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), \
	  "PETs Lab needs Python 3.11 (found " + sys.version.split()[0] + "): install it, or run make PYTHON=/path/to/python3.11"'
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python requirements.txt pyproject.toml
	$(BIN)/python -m pip install --quiet $$(grep '^pip==' requirements.txt)
	# The CPU build of torch goes in first, so that sdv (through ctgan) never pulls a CUDA build.
	$(BIN)/python -m pip install --quiet $$(grep '^torch==' requirements.txt)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

# Your own copies of the lessons live in work/ (git-ignored): missing lessons are copied there
# at every start, an existing file is never overwritten. JupyterLab opens at the repository root
# (README, data/, all lessons in the file browser); its terminal finds pets-grade and
# pets-course because the venv's bin comes first on PATH.
lab: install
	$(BIN)/pets-course workspace
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/jupyter lab $(ROOT_FLAG) \
	  --ServerApp.root_dir="$(CURDIR)" work/00_welcome.ipynb

# Every lesson with your last grade, the hints you used and what is left.
progress: install
	@$(BIN)/pets-course progress

# Put one lesson back to its release version (your copy is kept in work/backups/):
# make reset LESSON=01
reset: install
	@test -n "$(LESSON)" || { echo "say which lesson: make reset LESSON=01"; exit 2; }
	$(BIN)/pets-course reset "$(LESSON)"

test: install
	MPLBACKEND=Agg $(BIN)/python -m pytest

release: install
	$(BIN)/pets-course release

# The course as static HTML in site/ (git-ignored): every lesson executed, learner copies and
# solutions, and an index (open site/index.html). Takes about as long as running every lesson twice.
site: install
	$(BIN)/python -m pets_helpers.site --out site

clean:
	rm -rf $(VENV)

# Optional: Lesson 02's census pipeline on Apache Spark in local mode (needs Java 17 and PySpark:
# pip install -e '.[scale]'); skipped with the reason where either is missing.
test-scale: install
	PETS_TEST_SCALE=1 MPLBACKEND=Agg $(BIN)/python -m pytest -p no:cacheprovider tests/test_scaling.py tests/test_scaling_spark.py
