# Two commands from a fresh machine: `make train` and `make test`. Everything else is in pyproject.toml.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: train test test-fast lint install install-test clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install -e ".[test]"
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

train: install
	$(PY) train.py $(ARGS)

# One pytest worker per core (pytest-xdist); tests/conftest.py gives each worker one thread.
WORKERS ?= $(shell nproc)

test: install-test
	$(PY) -m pytest -n $(WORKERS) $(PYTEST_ARGS)

# The inner loop: everything but the tests marked slow.
test-fast: install-test
	$(PY) -m pytest -n $(WORKERS) -m "not slow" $(PYTEST_ARGS)

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) logs .pytest_cache
