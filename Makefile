# Two commands for a fresh machine:
#   make run   — set up .venv and serve the demo on http://127.0.0.1:8080 (SQLite + in-memory bus)
#   make test  — set up, lint, start a real Kafka broker and PostgreSQL, run the whole test suite,
#                stop both
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint system-deps kafka postgres clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/wismo serve --demo

# Java 17 and Maven fetch and run the Kafka broker the tests use; the PostgreSQL server binaries
# (initdb, postgres) run their PostgreSQL server (pg_local.py bindir finds them or fails).
system-deps:
	@command -v java >/dev/null && command -v mvn >/dev/null || { \
	  echo "installing Java 17 and Maven (apt)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless maven; }
	@$(PYTHON) deploy/postgres-local/pg_local.py bindir >/dev/null 2>&1 || { \
	  echo "installing PostgreSQL (apt)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; }

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/wismo schema --check

test: $(STAMP) system-deps lint
	$(BIN)/python deploy/kafka-local/kafka_local.py fetch
	$(BIN)/python deploy/kafka-local/kafka_local.py run -- \
	  $(BIN)/python deploy/postgres-local/pg_local.py run -- $(BIN)/pytest

# A throwaway PostgreSQL in the foreground, for trying it by hand (deploy/postgres-local/README.md).
postgres: $(STAMP) system-deps
	$(BIN)/python deploy/postgres-local/pg_local.py serve

# A broker in the foreground for trying Kafka mode by hand (see deploy/kafka-local/README.md).
kafka: $(STAMP) system-deps
	$(BIN)/python deploy/kafka-local/kafka_local.py serve

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache deploy/kafka-local/libs
