# Everything installs from pinned requirements into .venv on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
STACK ?= dev
FORMAT ?= text

.PHONY: help setup plan test lint clean docs graphs

help:
	@echo "make plan [STACK=dev] [FORMAT=text|json]  offline plan of a stack (no Azure, no Pulumi CLI)"
	@echo "                 [FORMAT=mermaid|dot]     its resource graph"
	@echo "make graphs                               regenerate the resource graphs in README.md"
	@echo "make test                                 the whole test suite"
	@echo "make lint                                 ruff"

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $@

setup: $(VENV)/.installed

plan: setup
	$(PY) -m tools.plan --stack $(STACK) --format $(FORMAT)

graphs: setup
	$(PY) -m tools.graph --update-readme

test: setup
	$(PY) -m pytest

lint: setup
	$(PY) -m ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache

docs: setup
	$(PY) -m tools.config_reference
