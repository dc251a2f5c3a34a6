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

# Terraform on the root. With the offline stack selected (eval "$$(make -s offline-env)", or
# inside `make demo`), state, data dir and tfvars live under .offline/demo so a real
# terraform.tfstate or terraform.tfvars in the root is never touched.
TF := $(BIN)/terraform
ifdef KMS_IMPORT_OFFLINE_DIR
  STATE_DIR := $(KMS_IMPORT_OFFLINE_DIR)/demo
  TFVARS ?= $(STATE_DIR)/terraform.tfvars
  export TF_DATA_DIR := $(STATE_DIR)/.terraform
  BACKEND_CONFIG := -backend-config=path=$(STATE_DIR)/terraform.tfstate
else
  TFVARS ?= terraform.tfvars
  BACKEND_CONFIG :=
endif
# The root's local-exec and external steps find kms-import on PATH.
export PATH := $(BIN):$(PATH)
ALIAS ?= alias/MyImportedKey
DEMO_ESCROW = $(OFFLINE)/escrow

MODULES := $(wildcard modules/*)

.PHONY: help venv test docs offline-up offline-down offline-env demo demo-down _demo init plan apply status

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

test: $(STAMP) softhsm ## run every test offline (its own isolated local AWS; never touches AWS)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup

docs: $(STAMP) ## regenerate the inputs/outputs tables in modules/*/README.md
	@$(BIN)/python -m tfdocs $(MODULES)

offline-up: $(STAMP) ## start the local AWS in the background (reused when already running)
	@$(STACK) up

offline-down: ## stop the local AWS
	@test -x $(BIN)/offline-stack && $(STACK) down || true

offline-env: $(STAMP) ## print the exports that select the offline stack: eval "$$(make -s offline-env)"
	@$(STACK) env

demo: offline-up ## set up, start the local AWS, apply the root, run the seed's encrypt test, prove no material in state
	@eval "$$($(STACK) env)" && $(MAKE) --no-print-directory _demo

_demo:
	@test -n "$$KMS_IMPORT_OFFLINE_DIR" || { echo "demo: offline stack not selected" >&2; exit 1; }
	@mkdir -p $(STATE_DIR) && chmod 700 $(STATE_DIR)
	@test -f $(TFVARS) || printf '%s\n' \
	  '# Demo settings (offline stack). The escrow holds the only copy of the material.' \
	  'material_source = "generate:demo?escrow=file://$(DEMO_ESCROW)"' > $(TFVARS)
	@echo "==> terraform init + apply (state in $(STATE_DIR))"
	@$(TF) init -input=false -no-color $(BACKEND_CONFIG) > $(STATE_DIR)/init.log
	@TF_LOG=trace TF_LOG_PATH=$(STATE_DIR)/terraform-trace.log \
	  $(TF) apply -input=false -auto-approve -var-file=$(TFVARS)
	@echo "==> the seed's encrypt test, as written, through the AWS CLI"
	@aws kms encrypt --key-id $(ALIAS) --plaintext c2Vuc2l0aXZlIGRhdGEK --output text \
	  --query CiphertextBlob | base64 --decode > $(STATE_DIR)/ExampleEncryptedFile
	@echo "ciphertext: $$(wc -c < $(STATE_DIR)/ExampleEncryptedFile) bytes in $(STATE_DIR)/ExampleEncryptedFile"
	@kms-import test --key-id $(ALIAS)
	@echo "==> status"
	@kms-import status --key-id $(ALIAS)
	@echo "==> a second plan changes nothing"
	@$(TF) plan -input=false -detailed-exitcode -var-file=$(TFVARS) > $(STATE_DIR)/replan.log \
	  && echo "no changes" || { cat $(STATE_DIR)/replan.log; exit 1; }
	@echo "==> leak scan: state, plan, trace log and data dir hold no material"
	@kms-import leak-scan --source "generate:demo?escrow=file://$(DEMO_ESCROW)" $(STATE_DIR)

demo-down: ## destroy the demo key, stop the local AWS and remove .offline/
	@if [ -f $(OFFLINE)/demo/terraform.tfstate ] && $(STACK) status | grep -q running; then \
	  eval "$$($(STACK) env)" && $(MAKE) --no-print-directory _demo-destroy; fi
	@$(MAKE) --no-print-directory offline-down
	@rm -rf $(OFFLINE)
	@echo "demo removed"

_demo-destroy:
	@$(TF) destroy -input=false -auto-approve -var-file=$(TFVARS) > $(STATE_DIR)/destroy.log \
	  && echo "demo key scheduled for deletion" || cat $(STATE_DIR)/destroy.log

init: $(STAMP) ## terraform init for the root
	$(TF) init -input=false $(BACKEND_CONFIG)

plan: init ## terraform plan for the root with $(TFVARS)
	$(TF) plan -input=false -var-file=$(TFVARS)

apply: init ## terraform apply for the root with $(TFVARS)
	$(TF) apply -input=false -var-file=$(TFVARS)

status: $(STAMP) ## state, expiry, aliases and fingerprint of the root's key (ALIAS=...)
	@kms-import status --key-id $(ALIAS)

# SoftHSM2, the HSM the pkcs11: source tests run against (Debian package softhsm2). Installed
# here only as root (CI); anyone else is told what to run, and those tests then fail saying so.
SOFTHSM_MODULE := /usr/lib/softhsm/libsofthsm2.so
.PHONY: softhsm
softhsm: ## install SoftHSM2 (the test HSM) if missing: apt-get as root, else prints what to run
	@if [ -e $(SOFTHSM_MODULE) ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "==> installing softhsm2 (the pkcs11 tests' HSM)" >&2; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q softhsm2 >&2 || { apt-get update -q >&2 && apt-get install -y -q softhsm2 >&2; }; \
	else \
	  echo "softhsm: $(SOFTHSM_MODULE) is missing; run: sudo apt-get install softhsm2 (the pkcs11 tests fail without it)" >&2; \
	fi

# Benchmarks (bench/README.md): side by side on a local AWS of their own; not part of `make test`.
.PHONY: bench
bench: $(STAMP) ## time the helper vs the seed's CLI flow and the provider's own import (~12 min)
	cd $(VENV)/.. && $(BIN)/python -m bench --out bench/last-run.md
