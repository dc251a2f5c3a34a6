# The user's verbs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OFFLINE := $(CURDIR)/.offline
STACK := $(BIN)/offline-stack --dir $(OFFLINE)
# pytest workers: the machine has 2 cores; Terraform runs are mostly waiting on subprocesses.
TEST_WORKERS ?= 4

.PHONY: help venv test lint offline-up offline-down offline-env

help: ## list the verbs
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

venv: $(STAMP) ## create .venv with terraform, kms-import, the local AWS and the AWS CLI

$(STAMP): pyproject.toml
	@echo "==> setting up $(VENV) (first run: a minute or two)" >&2
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) >&2
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' >&2
	@$(BIN)/offline-stack install >&2
	@touch $@

test: $(STAMP) ## run every test offline (its own isolated local AWS; never touches AWS)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup

offline-up: $(STAMP) ## start the local AWS in the background (reused when already running)
	@$(STACK) up

offline-down: ## stop the local AWS
	@test -x $(BIN)/offline-stack && $(STACK) down || true

offline-env: $(STAMP) ## print the exports that select the offline stack: eval "$$(make -s offline-env)"
	@$(STACK) env
