# PETs Lab in a container, for any OS with Docker (an Intel Mac, Windows without WSL2, ...).
# Built from the same requirements.txt and Makefile as a local setup (no second list of versions).
#   make lab-container        # builds this image and opens JupyterLab on http://127.0.0.1:8888
# or by hand:
#   docker build -t pets-lab . && docker run --rm -it -p 127.0.0.1:8888:8888 pets-lab
ARG PYTHON_VERSION=3.11
FROM python:${PYTHON_VERSION}-slim-bookworm

RUN apt-get update && apt-get install -y --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --shell /bin/bash learner \
    && install -d -o learner -g learner /home/learner/pets-lab
USER learner
WORKDIR /home/learner/pets-lab
# The venv lives outside the course folder, so that a bind mount of the folder (dev container,
# `make lab-container`) does not hide it.
ENV VENV=/home/learner/venv PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 MPLBACKEND=Agg
ENV PATH=/home/learner/venv/bin:$PATH

# Dependencies first (a layer that changes only with requirements.txt), then the course itself.
COPY --chown=learner Makefile requirements.txt pyproject.toml ./
COPY --chown=learner tools tools
RUN make deps PYTHON=python3 VENV=$VENV
COPY --chown=learner . .
RUN make install PYTHON=python3 VENV=$VENV

EXPOSE 8888
# As `make lab`: the learner's copies of the lessons in work/ (missing ones copied, none
# overwritten), then JupyterLab at the course root. It listens on all of the container's
# interfaces (Docker publishes the port on the host's 127.0.0.1 only) and keeps its default
# random token: open the URL with ?token=... it prints.
CMD ["sh", "-c", "pets-course workspace && exec jupyter lab --ip=0.0.0.0 --port=8888 --no-browser work/00_welcome.ipynb"]
