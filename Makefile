# Sales Operations warehouse. `make demo` and `make test` need only Python 3.11 and make.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# The first two nights catch up with one dbt task per layer; the last runs the production DAG (a task per model).
DEMO_CATCH_UP := 2026-11-19 2026-11-20
DEMO_NIGHT := 2026-11-21

.PHONY: setup demo test test-fast lint lock db-start db-stop gx-sync sample bench bench-ingest bench-readme backtest realdata clean help

help:
	@echo "make demo   - set up, start the embedded warehouse, run the sample nights end to end"
	@echo "make test   - set up and run the whole test suite"
	@echo "make lint   - ruff (Python) and sqlfluff (dbt models and macros)"
	@echo "make sample - regenerate the demo sample (sample/landing)"
	@echo "make bench  - the whole night at --scale 1 (BENCH_SCALE=2: twice as large), stage by stage: full vs incremental nights"
	@echo "make bench-ingest - loader vs bare COPY vs pandas at --scale 1 (generates data once)"
	@echo "make bench-readme - rewrite the tables of bench/README.md from bench/results*.json"
	@echo "make backtest - score the forecasts on generated data (scale 0.1, two seeds), table into docs/forecasts.md"
	@echo "make realdata - Maven Analytics' public CRM dataset (REALDATA=../shared/realdata/maven_crm) as one night"
	@echo "make clean  - stop the embedded warehouse and delete local state (.salesops/)"

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), f"Python 3.11 is required, found {sys.version.split()[0]} at {sys.executable}"'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --constraint requirements.lock --editable '.[dev]'
	$(BIN)/salesops dbt manifest
	@touch $@

demo: setup
	$(BIN)/salesops db start
	@for night in $(DEMO_CATCH_UP); do SALESOPS_DBT_TASKS=layer $(BIN)/salesops run --date $$night || exit 1; echo; done
	$(BIN)/salesops run --date $(DEMO_NIGHT)
	$(BIN)/salesops show kpi_quota_attainment_rate --where "scope_type = 'company' and period_type = 'quarter'"
	$(BIN)/salesops show kpi_win_rate --where "period_type = 'quarter' and dimension = 'segment'" --limit 12
	$(BIN)/salesops docs
	@echo
	@echo "Data-quality report: $$(pwd)/.salesops/reports/index.html"
	@echo "The warehouse is still running at $$($(BIN)/salesops db url) (psql it; stop with: make db-stop)"

# Two workers, one test file each at a time (--dist loadfile, in pyproject.toml's addopts): the whole
# nights through Airflow run beside the rest of the suite instead of after it.
test: setup
	$(BIN)/python -m pytest -n 2

test-fast: setup
	$(BIN)/python -m pytest -m "not slow"

lint: setup
	$(BIN)/ruff check plugins dags tests
	$(BIN)/sqlfluff lint dbt_project/models dbt_project/macros

lock:
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e' > requirements.lock.tmp
	@{ echo '# Full pinned dependency tree (Python 3.11, Linux x86_64/aarch64). Regenerate with `make lock`.'; cat requirements.lock.tmp; } > requirements.lock
	@rm requirements.lock.tmp

db-start: setup
	$(BIN)/salesops db start

db-stop: setup
	$(BIN)/salesops db stop

# The shipped demo sample: three tiny nights with planted defects (see sample/landing/_manifest.json).
sample: setup
	rm -rf sample/landing
	$(BIN)/salesops generate --scale 0.001 --start 2026-11-19 --days 3 --out sample/landing --seed 42 --defect-rate 0.005

# The whole night at --scale 1 (seven days generated once into bench/data/), stage by stage, on its own
# embedded server; results in bench/results.json (BENCH_SCALE=2: bench/results_scale_2.json), and the
# tables of bench/README.md rewritten from them.
bench: setup
	SALESOPS_HOME=$$(pwd)/bench/.salesops_night SALESOPS_PG_PORT=$${SALESOPS_BENCH_PORT:-54338} \
	  $(BIN)/python bench/bench_night.py --scale $${BENCH_SCALE:-1} $${BENCH_ARGS:-}
	$(BIN)/python bench/render_readme.py

# Maven Analytics' public CRM practice dataset, converted to one night's extracts (salesops convert-maven)
# and run through the nightly DAG on an embedded warehouse of its own (.salesops_maven/).
REALDATA ?= ../shared/realdata/maven_crm
REALDATA_NIGHT := 2017-12-31
# the dataset has no quotas: a flat stand-in per agent and quarter (about the agents' median quarter,
# 72.5k USD) fills the quota KPIs. REALDATA_QUOTA= leaves them out: they stay empty, with a warning saying why.
REALDATA_QUOTA ?= 80000
realdata: setup
	rm -rf .salesops_maven/landing
	$(BIN)/salesops convert-maven --src $(REALDATA) --out .salesops_maven/landing --night $(REALDATA_NIGHT) \
	  $(if $(REALDATA_QUOTA),--quarterly-quota $(REALDATA_QUOTA))
	export SALESOPS_HOME=$$(pwd)/.salesops_maven SALESOPS_PG_PORT=$${SALESOPS_MAVEN_PORT:-54341} \
	  SALESOPS_LANDING_DIR=$$(pwd)/.salesops_maven/landing; \
	  $(BIN)/salesops db start && $(BIN)/salesops run --date $(REALDATA_NIGHT); \
	  code=$$?; echo "Data-quality report: $$(pwd)/.salesops_maven/reports/index.html"; \
	  echo "stop its warehouse with: SALESOPS_HOME=$$(pwd)/.salesops_maven $(BIN)/salesops db stop"; exit $$code

# The forecast backtest (salesops backtest) at --scale 0.1 on two seeds, on a warehouse of its own; writes the
# table into docs/forecasts.md.
backtest: setup
	SALESOPS_HOME=$$(pwd)/bench/.salesops_backtest SALESOPS_PG_PORT=$${SALESOPS_BACKTEST_PORT:-54342} \
	  $(BIN)/salesops backtest --scale $${BACKTEST_SCALE:-0.1} --seed 42 --seed 7 --docs

# Ingestion benchmark at --scale 1 (data generated once into bench/data/), on its own embedded server.
bench-ingest: setup
	SALESOPS_HOME=$$(pwd)/bench/.salesops SALESOPS_PG_PORT=$${SALESOPS_BENCH_PORT:-54339} \
	  $(BIN)/python bench/bench_ingest.py

# The tables of bench/README.md, regenerated from the results files the benchmarks wrote (stdlib only).
bench-readme:
	$(BIN)/python bench/render_readme.py

gx-sync: setup
	$(BIN)/salesops gx sync

clean:
	-@test -x $(BIN)/salesops && $(BIN)/salesops db stop
	rm -rf .salesops
