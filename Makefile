# Two commands do all the set-up: `make run` (grade the bundled corpus) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint clean

run: $(STAMP)
	PREFECT_SERVER_ANALYTICS_ENABLED=false $(VENV)/bin/grading run $(ARGS)

test: $(STAMP)
	PREFECT_SERVER_ANALYTICS_ENABLED=false $(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check src schemas flows tests benchmarks

# The venv: exact versions and hashes from requirements.lock, then this package without deps.
$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

# Re-lock after changing dependencies in pyproject.toml.
lock:
	$(PY) -m pip install --quiet uv && $(VENV)/bin/uv pip compile pyproject.toml --extra test \
	  --python-version 3.11 --generate-hashes -o requirements.lock

clean:
	rm -rf $(VENV) reports data/warehouse.duckdb data/warehouse.duckdb.wal
