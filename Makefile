# Two entry points for a fresh machine: `make demo` and `make test` (each sets itself up first).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo
PYTEST_ARGS ?=

.PHONY: setup demo test test-fast clean zip

$(STAMP): setup.py constraints.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip==25.3
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	$(BIN)/ipr-guard jars
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/ipr-guard demo --out $(DEMO_DIR)

test: $(STAMP)
	$(BIN)/python -m pytest tests $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest tests -m "not slow" $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache

# The package as a zip for spark-submit --py-files (Spark puts zips, not wheels, on the workers' path).
dist/ipr_guard.zip: $(shell find lib/ipr_guard -name '*.py')
	mkdir -p dist && rm -f $@ && cd lib && $(CURDIR)/$(BIN)/python -m zipfile -c $(CURDIR)/$@ ipr_guard

zip: $(STAMP) dist/ipr_guard.zip
