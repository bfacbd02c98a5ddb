# Each target installs what it needs: a .venv made on demand from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve grade test lint bench sandbox clean

SERVE_STAMP := $(VENV)/.installed-serve

$(SERVE_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(SERVE_STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## run the HTTP service on port 8000 (the sandbox pool starts in the background; code items wait for it)
serve: $(SERVE_STAMP)
	$(BIN)/referee serve --host $${REFEREE_HOST:-127.0.0.1} --port $${REFEREE_PORT:-8000}

## grade the example file with the CLI (the main job until the HTTP service lands)
grade: $(SERVE_STAMP)
	$(BIN)/referee grade examples/math.jsonl -o -

## Docker installed and running, and the sandbox image built (needs root and apt on a fresh machine)
sandbox: $(SERVE_STAMP)
	sandbox/image/setup-host.sh

## the whole test suite
test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy graders service sandbox

bench: $(STAMP)
	$(BIN)/python bench/math_vs_mathverify.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
