# The two set-up commands README gives: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
NF := $(VENV)/bin/newsfacet
SAMPLES ?= $(wildcard ../shared/samples/raw) samples
export JAVA_HOME ?= /usr/lib/jvm/temurin-25-jdk-amd64
# Debian packages: python3-venv (only when $(PYTHON) lacks ensurepip) and maven (builds the embedded ES);
# the suite also drives headless Chromium (Prefect UI), lints the shell scripts with shellcheck,
# runs Prefect on PostgreSQL, and the TLS proxy tests on nginx.
DEMO_DEBS := python3-venv maven
TEST_DEBS := python3-venv maven chromium chromium-driver shellcheck postgresql nginx

.PHONY: install deps-demo deps-test demo test test-unit lint clean bench

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q -c constraints.txt -e '.[test]'
	touch $@

install: $(VENV)/.installed

# Installs missing packages with apt-get as root; otherwise names them in one line and stops.
deps-demo:
	@PYTHON=$(PYTHON) devtools/system-deps.sh $(DEMO_DEBS)

deps-test:
	@PYTHON=$(PYTHON) devtools/system-deps.sh $(TEST_DEBS)

# Start the local stack (embedded ES unless ELASTICSEARCH_URL is set, Prefect server + UI, nightly worker),
# ingest the bundled samples as a run the UI shows, then print the facets and where to look.
demo: deps-demo install
	$(NF) up
	$(NF) ingest $(SAMPLES)
	$(NF) search --size 5
	@$(NF) status
	@echo "Open the Prefect UI URL above to see the demo run and its ingest-report; stop everything with: $(NF) down"

test: deps-test install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/python -m pytest

# The fast loop: every test without Elasticsearch or Prefect (about a minute).
test-unit: install
	$(VENV)/bin/python -m pytest -m "not integration"

# Every row of BENCHMARKS.md (about two hours on 2 cores; results in bench/results/).
bench: install
	$(VENV)/bin/pip install -q -c constraints.txt -e '.[test,bench]'
	$(VENV)/bin/python bench/run.py --size 1k --rev HEAD
	$(VENV)/bin/python bench/run.py --size 10k --rev HEAD --naive-sample 500
	$(VENV)/bin/python bench/run.py --size 100k --rev HEAD --skip ceiling,naive

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

clean:
	-$(NF) down
	rm -rf $(VENV) devtools/elasticsearch/target
