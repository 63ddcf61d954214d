# papershelf: `make serve` builds the bundled listings and opens Datasette; `make test` runs the suite.
# Only Python 3.11 and pip are needed: each target creates .venv and installs what it needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DB ?= db/papershelf.db
PORT ?= 8001

.PHONY: install install-test build serve test test-engines clean schema bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# One pip run for the package and its test extras (a fresh clone's `make test` builds it once).
$(VENV)/.installed-test: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

$(VENV)/.installed-engines: $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet -e '.[test,engines]'
	touch $@

$(VENV)/.installed-bench: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

build: install
	$(BIN)/papershelf build --db $(DB)

serve: build
	$(BIN)/papershelf serve --db $(DB) --port $(PORT)

# pytest exits 5 when it collects no test: that fails too (a suite that runs nothing proves nothing).
test: install-test
	$(BIN)/python -m pytest

# PostgreSQL, DuckDB and Spark (issue 18): a PostgreSQL server the tests start themselves, and a Java runtime.
test-engines: $(VENV)/.installed-engines
	$(BIN)/python -m pytest -m engines

# Regenerate the committed files that derive from etl/db/schema.py (tests fail when they drift).
# etl/db/ddl.py first, from etl.db.schema alone (the papershelf command imports etl/db/ddl.py).
schema: install
	$(BIN)/python -c 'from etl.db.schema import ddl_module; print(ddl_module(), end="")' > etl/db/ddl.py.tmp
	mv etl/db/ddl.py.tmp etl/db/ddl.py
	$(BIN)/papershelf schema > schema/papershelf.sql
	$(BIN)/papershelf metadata > metadata.yml

# The figures of docs/performance.md (minutes; the 1M run takes about half an hour).
bench: $(VENV)/.installed-bench
	$(BIN)/python -m benchmarks.run --papers 100000 --check-add
	POLARS_MAX_THREADS=1 $(BIN)/python benchmarks/keywords_bench.py

clean:
	rm -rf $(VENV) $(DB) db/*.db-*
