# dockyard's two entry points: `make demo` and `make test`. Both set up what
# they need on a fresh machine: a tool venv with the pinned uv, the project
# venv, a Docker engine with BuildKit and Compose v2, and a Python base image.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
# the uv that pyproject.toml pins for dockyard ("uv==X"): one source for its version
UV_VERSION := $(shell sed -n 's/^ *"uv==\([^"]*\)",*$$/\1/p' pyproject.toml)
TOOLS := .work/tools
UV := $(TOOLS)/bin/uv
VENV := .venv
DOCKYARD := $(abspath $(VENV)/bin/dockyard)

.PHONY: demo test test-cluster unit lint engine base venv clean devcontainer-cli registry sshd cosign bench
.DEFAULT_GOAL := help

help:
	@echo "make demo   build, test and run the bundled example (examples/lol_data) end to end"
	@echo "make test   the whole test suite: unit tests, integration tests on a real engine, the cluster"
	@echo "make lint   ruff check, ruff format --check and mypy (make test runs it first)"
	@echo "make unit   the unit tests only: no engine, a few seconds"
	@echo "make test-cluster  the example on a swarm of nested engines: deploy, roll, fail over"
	@echo "make bench  benchmarks vs the seed's Dockerfile and uv's recipe -> BENCHMARKS.md"

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --quiet --compile-bytecode
	$(VENV)/bin/python -m compileall -q src   # fast start even with PYTHONDONTWRITEBYTECODE set
	touch $@

venv: $(VENV)/.synced

engine:
	scripts/ensure-engine.sh

devcontainer-cli:
	scripts/ensure-devcontainer-cli.sh

base: venv engine
	@DOCKYARD=$(DOCKYARD) scripts/ensure-base.sh >/dev/null

# A registry on 127.0.0.1:5000 and an sshd on 127.0.0.1:18022 (the deploy tests' "server").
registry:
	scripts/ensure-registry.sh >/dev/null

sshd:
	scripts/ensure-sshd.sh >/dev/null

# cosign (Debian's package) for `dockyard sign` and deploys that require a signature.
cosign:
	scripts/ensure-cosign.sh

unit: venv
	$(VENV)/bin/pytest tests/unit -q

# The same checks as .pre-commit-config.yaml: lint, formatting, types.
lint: venv
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/ruff format --check src tests
	$(VENV)/bin/mypy src

# The cluster tests run last, in a session of their own (their conftest and helpers
# are separate from the integration tests').
test: lint engine devcontainer-cli registry sshd cosign
	base=$$(DOCKYARD=$(DOCKYARD) scripts/ensure-base.sh); \
	  DOCKYARD_BASE_IMAGE=$$base $(VENV)/bin/pytest tests/unit tests/integration; \
	  DOCKYARD_BASE_IMAGE=$$base $(VENV)/bin/pytest tests/cluster

demo: venv engine
	DOCKYARD_BASE_IMAGE=$$(DOCKYARD=$(DOCKYARD) scripts/ensure-base.sh) \
	  DOCKYARD=$(DOCKYARD) scripts/demo.sh

clean:
	rm -rf .work $(VENV)

# Benchmarks: dockyard vs the seed's Dockerfile vs uv's recipe (BENCHMARKS.md, bench/results.json).
# BENCH_REPS repetitions (default 2); BENCH_REGISTRY is a loopback registry the bench owns.
BENCH_REGISTRY ?= 127.0.0.1:18250
bench: venv engine
	DOCKYARD_BASE_IMAGE=$$(DOCKYARD=$(DOCKYARD) scripts/ensure-base.sh) \
	  $(VENV)/bin/python -m bench --registry $$(scripts/ensure-registry.sh $(BENCH_REGISTRY))

# The example on a swarm of nested Docker engines on this machine (tests/cluster; also
# the last part of `make test`). `registry` installs Debian's docker-registry, which it runs.
test-cluster: venv engine registry
	DOCKYARD_BASE_IMAGE=$$(DOCKYARD=$(DOCKYARD) scripts/ensure-base.sh) \
	  $(VENV)/bin/pytest tests/cluster
