# PETs Lab — `make lab` opens the course, `make test` runs the linter and the whole test suite.
# Both create .venv on first use, with the newest supported Python found (3.13, 3.12, then 3.11;
# or PYTHON=/path/to/python), and install the one pinned set in requirements.txt.
# Maintainers: `make fast` (unit tests only), `make lint`, `make bench`, `make lab-container`.

SUPPORTED := 3.13 3.12 3.11
ifndef PYTHON
# A name on PATH is not enough (pyenv shims exist for versions that are not selected): it must run.
PYTHON := $(firstword $(foreach v,$(SUPPORTED),$(shell python$(v) -c 'import sys' >/dev/null 2>&1 \
            && command -v python$(v))) $(shell command -v python3))
endif
VENV   ?= .venv
BIN    := $(VENV)/bin
DEPS   := $(VENV)/.deps-installed
STAMP  := $(VENV)/.installed
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
# torch comes from PyPI's CPU-only index (PyPI's own Linux wheel is the CUDA build, GBs more).
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
IMAGE  := pets-lab

.PHONY: lab test fast lint bench install deps check-venv release lab-container clean progress reset test-scale site

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "PETs Lab setup: no python3 found. Install Python 3.13 (or 3.12, 3.11) and run make again, or use make lab-container." >&2; exit 1; }
	@$(PYTHON) tools/setup_check.py python
	$(PYTHON) -m venv $(VENV)

check-venv:
	@if [ "$(origin PYTHON)" = "command line" ] && [ -n "$(PYTHON)" ]; then \
	  $(PYTHON) tools/setup_check.py same-venv $(VENV); fi

$(DEPS): $(BIN)/python requirements.txt tools/setup_check.py
	$(BIN)/python -m pip install --quiet $$(grep '^pip==' requirements.txt)
	@$(BIN)/python tools/setup_check.py wheels
	@# The CPU build of torch goes in first, so that sdv (through ctgan) never pulls a CUDA build.
	@# Where the CPU index cannot be reached, the default index (and the local pip config) decide.
	@torch=$$(grep '^torch==' requirements.txt | cut -d';' -f1); \
	if $(BIN)/python tools/setup_check.py reachable $(TORCH_INDEX)/torch/; then \
	  echo "PETs Lab setup: $$torch, CPU build, from $(TORCH_INDEX)"; \
	  $(BIN)/python -m pip install --quiet --no-deps --index-url $(TORCH_INDEX) "$$torch"; \
	else \
	  echo "PETs Lab setup: $(TORCH_INDEX) cannot be reached; installing $$torch from the default index"; \
	  $(BIN)/python -m pip install --quiet "$$torch"; \
	fi
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(DEPS)

$(STAMP): $(DEPS) pyproject.toml
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

deps: check-venv $(DEPS)

install: check-venv $(STAMP)

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

lint: install
	$(BIN)/ruff check .

test: install lint
	MPLBACKEND=Agg $(BIN)/python -m pytest

# Unit tests only: no nbval, no grading runs, kernels, servers, benchmark runs or network.
fast: install
	MPLBACKEND=Agg $(BIN)/python -m pytest tests -m "not slow" -o addopts="-ra"

# The benchmark-only peers (pyproject's `bench` extra) go in first, without moving any pin.
bench: install
	$(BIN)/python -m pip install --quiet -c requirements.txt -e '.[bench]'
	for script in benchmarks/bench_*.py; do MPLBACKEND=Agg $(BIN)/python $$script || exit 1; done

release: install
	$(BIN)/pets-course release

# The course as static HTML in site/ (git-ignored): every lesson executed, learner copies and
# solutions, and an index (open site/index.html). Takes about as long as running every lesson twice.
site: install
	$(BIN)/python -m pets_helpers.site --out site

# The same course in a container (any OS with Docker): JupyterLab on http://127.0.0.1:8888 with
# a token (printed below); your work/ folder is mounted, so your copies stay on your disk.
lab-container:
	@command -v docker >/dev/null || { echo "PETs Lab: make lab-container needs Docker (Docker Desktop on macOS/Windows, docker.io on Linux)." >&2; exit 1; }
	@docker info >/dev/null 2>&1 || { echo "PETs Lab: Docker is installed but no Docker engine is running: start Docker Desktop (Linux: sudo systemctl start docker), then run make lab-container again." >&2; exit 1; }
	docker build -t $(IMAGE) .
	mkdir -p work
	docker run --rm -it -p 127.0.0.1:8888:8888 -v "$(CURDIR)/work:/home/learner/pets-lab/work" $(IMAGE)

clean:
	rm -rf $(VENV)

# Optional: Lesson 02's census pipeline on Apache Spark in local mode (needs Java 17 and PySpark:
# pip install -e '.[scale]'); skipped with the reason where either is missing.
test-scale: install
	PETS_TEST_SCALE=1 MPLBACKEND=Agg $(BIN)/python -m pytest -p no:cacheprovider tests/test_scaling.py tests/test_scaling_spark.py
