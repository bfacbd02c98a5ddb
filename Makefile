# Each target installs what it needs: a .venv made on demand from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve grade test lint bench sandbox compose clean

SERVE_STAMP := $(VENV)/.installed-serve

$(SERVE_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[server]'
	touch $(SERVE_STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# verl's reward code (the SandboxFusion test) and reward loop (the Ray test); what those import is in dev
	$(BIN)/python -m pip install --quiet --no-deps 'verl==0.9.1'
	touch $(STAMP)

## run the HTTP service on port 8000: Docker set up first (installed and started when missing, as root);
## the sandbox image is built by the service in the background, and code items are graded once /readyz is 200
serve: $(SERVE_STAMP)
	sandbox/image/setup-host.sh --docker-only || echo "referee: serving math and format only until Docker is up" >&2
	$(BIN)/referee serve --host $${REFEREE_HOST:-127.0.0.1} --port $${REFEREE_PORT:-8000}

## grade the example file with the CLI (the main job until the HTTP service lands)
grade: $(SERVE_STAMP)
	$(BIN)/referee grade examples/math.jsonl -o -

## Docker installed and running, and the sandbox image built (needs root and apt on a fresh machine)
sandbox: $(SERVE_STAMP)
	sandbox/image/setup-host.sh

## the service under Docker Compose: Docker set up, both images built without a registry, the stack up
compose: $(SERVE_STAMP)
	REFEREE=$(BIN)/referee sandbox/image/setup-host.sh --docker-only
	$(BIN)/referee compose build
	docker-compose up -d

## the whole test suite, Docker-backed tests included: Docker and the sandbox image (every language) first
test: $(STAMP)
	REFEREE=$(BIN)/referee REFEREE_SANDBOX_LANGUAGES=all sandbox/image/setup-host.sh
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy graders service sandbox

bench: $(STAMP)
	$(BIN)/python bench/math_vs_mathverify.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
