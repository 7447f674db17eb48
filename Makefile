# ea-pipelines: `make run` and `make test` set everything up themselves (Python 3.11, PyPI only).
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
export DAGSTER_HOME ?= $(CURDIR)/dagster_home

.PHONY: run test test-deploy dev lint snapshots templates docs analyst-role bench clean

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed: set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstall whenever the dependency pins change.
$(STAMP): $(PY) pyproject.toml constraints.txt
	$(PY) -m pip install --quiet --upgrade "pip==25.3"
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev,deploy]"
	@touch $(STAMP)

run: $(STAMP)
	$(PY) -m ea_pipelines.cli run --with-examples

test: $(STAMP)
	$(PY) -m pytest -q

# The server path for real (ea_pipelines_tests/deploy): daemon, webserver, Celery workers on Redis, nginx;
# the three nightly timings go to data/bench/deploy.json (docs/benchmarks.md).
test-deploy: $(STAMP)
	EA_TEST_TIMINGS_FILE=$(CURDIR)/data/bench/deploy.json $(PY) -m pytest -q -m deploy ea_pipelines_tests/deploy

# The Dagster UI (`dg dev`: webserver and daemon, workspace.yaml) on 127.0.0.1:3000, and beside it the reports
# and Data Docs over HTTP on 127.0.0.1:EA_FILES_PORT (default 3001; the UI's links point there); both stop together.
dev: $(STAMP)
	@$(PY) -m ea_pipelines.cli serve & files=$$!; trap 'kill $$files 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/dg dev -w workspace.yaml -h 127.0.0.1 -p 3000

lint: $(STAMP)
	$(VENV)/bin/ruff check ea_pipelines ea_pipelines_tests

# Rebuild the bundled replay snapshots (real capture copied as-is, the rest synthetic).
snapshots: $(STAMP)
	$(PY) -m ea_pipelines.devtools.build_snapshots --capture-dir ../shared/data/cbs_v4

# Templates for partners (xlsx + csv + Dutch explanation per delivery type) in templates/.
templates: $(STAMP)
	$(PY) -m ea_pipelines.cli templates --out templates

# The data dictionary, generated from the SQL models' YAML docs.
docs: $(STAMP)
	$(PY) -m ea_pipelines.cli docs --out docs/warehouse.md

# PostgreSQL: read-only analyst group role on marts (docs/analyst-access.md), e.g.
#   make analyst-role ARGS="--login-user metabase"   (password from EA_ANALYST_PASSWORD or asked)
analyst-role: $(STAMP)
	$(PY) -m ea_pipelines.cli analyst-role $(ARGS)

# Benchmark (not a test): ingestion throughput and memory against a local fake OData server, 1M and 5M
# values; results in data/bench/results.json, written up in docs/benchmarks.md. Takes a few minutes.
bench: $(STAMP)
	$(PY) -m ea_pipelines.devtools.bench

clean:
	rm -rf $(VENV) warehouse data/landing
