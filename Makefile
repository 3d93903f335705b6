# Two entry points for a fresh machine: `make demo` and `make test` (each sets itself up first).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo
PYTEST_ARGS ?=
# Two pytest workers (pytest-xdist), each test file kept on one worker: much of a test's time is one
# process's driver-side work (JVM start, planning, Great Expectations), so two overlap well on 2 cores.
# PYTEST_WORKERS=0 runs everything in one process.
PYTEST_WORKERS ?= 2
# --no-loadscope-reorder keeps tests/conftest.py's order (files with slow tests first); without it xdist
# orders files by test count and the longest single test starts last.
XDIST = $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder)

.PHONY: setup demo test test-fast test-unit test-crash clean zip

$(STAMP): setup.py constraints.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip==25.3
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	$(BIN)/ipr-guard jars
	$(BIN)/ipr-guard assets
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/ipr-guard demo --out $(DEMO_DIR)

test: $(STAMP)
	$(BIN)/python -m pytest tests $(XDIST) $(PYTEST_ARGS)

# The crash tests alone, killing after every stage of the nightly and at every mid-write point (`make
# test` runs them too, at one point of each kind).
test-crash: $(STAMP)
	IPR_GUARD_EVERY_KILL=1 $(BIN)/python -m pytest tests/integration/test_faults.py \
		tests/integration/test_faults_replays.py $(XDIST) $(PYTEST_ARGS)

# Kinds of test by marker (tests/conftest.py): the unit tests alone, without any end-to-end run.
test-unit: $(STAMP)
	$(BIN)/python -m pytest tests -m unit $(XDIST) $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest tests -m "not slow" $(XDIST) $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache

# The job as a zip for spark-submit --py-files (Spark puts zips, not wheels, on the workers' path):
# the package with conf/ and expectations/ bundled inside (deploy/build_zip.py).
dist/ipr_guard.zip: deploy/build_zip.py $(shell find lib/ipr_guard -name '*.py' -o -name '*.html') $(shell find conf expectations -type f)
	$(BIN)/python deploy/build_zip.py $@

zip: $(STAMP) dist/ipr_guard.zip
