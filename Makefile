# The user's verbs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
# Paths hang off this Makefile's folder, so `make -f path/to/Makefile -C other-root VERB`
# drives another root (the verbs run Terraform in the current folder) with this venv.
REPO := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
VENV := $(REPO)/.venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OFFLINE := $(REPO)/.offline
STACK := $(BIN)/offline-stack --dir $(OFFLINE)
# pytest workers: the machine has 2 cores; Terraform runs are mostly waiting on subprocesses.
TEST_WORKERS ?= 4

# Terraform on the root. With the offline stack selected (eval "$$(make -s offline-env)", or
# inside `make demo`), state, data dir and tfvars live under .offline/demo so a real
# terraform.tfstate or terraform.tfvars in the root is never touched.
# TF=terraform (on the command line or in the environment) runs your own terraform, with the
# kms-import on PATH (pipx/pip): the verbs then build no .venv (none calls the AWS CLI).
ifeq ($(origin TF),undefined)
  TF := $(BIN)/terraform
  TOOLS := $(STAMP)
else
  TOOLS :=
endif
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

.PHONY: help venv test docs offline-up offline-down offline-env demo demo-down _demo init plan apply status \
	rotate rotate-material enable disable renew reimport delete-material schedule-deletion cancel-deletion

help: ## list the verbs
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

venv: $(STAMP) ## create .venv from the hashed lock: terraform, kms-import, the local AWS, the AWS CLI

# Two distributions, both editable: the helper (pyproject.toml) and the dev tooling
# (tests/support/pyproject.toml). Their dependencies come only from requirements/dev.lock, with
# every file's hash (pip, setuptools included), so CI and every contributor get the same bytes;
# --no-deps and --no-build-isolation keep the two editable installs from fetching anything more.
LOCK := $(REPO)/requirements/dev.lock
PIP := $(BIN)/python -m pip --disable-pip-version-check

$(STAMP): $(REPO)/pyproject.toml $(REPO)/tests/support/pyproject.toml $(LOCK)
	@echo "==> setting up $(VENV) (first run: a minute or two)" >&2
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) >&2
	@$(PIP) install --quiet --require-hashes -r $(LOCK) >&2
	@$(PIP) install --quiet --no-deps --no-build-isolation -e $(REPO) -e $(REPO)/tests/support >&2
	@$(BIN)/offline-stack install >&2
	@touch $@

# pip-compile from PyPI alone: this machine's pip configuration (mirrors, find-links,
# constraints) is set aside, so the lock installs anywhere PyPI is reachable. Pins that still
# satisfy the pyproject files are kept; UPGRADE=1 moves everything to the newest allowed.
PIP_COMPILE := env -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL -u PIP_FIND_LINKS -u PIP_CONSTRAINT \
	PIP_CONFIG_FILE=/dev/null CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile

LOCK_FLAGS = --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	--no-emit-find-links $(if $(filter 1,$(UPGRADE)),--upgrade)

# checkov has a lock of its own (requirements/checkov.in): its venv, .venv/checkov, is apart
# because checkov pins a boto3 the helper cannot share (tests/test_static.py builds it).
.PHONY: lock
lock: $(STAMP) ## re-resolve the hashed locks after a pyproject.toml or checkov.in change; UPGRADE=1 takes the newest
	@cd $(REPO) && $(PIP_COMPILE) $(LOCK_FLAGS) --extra hsm \
	  -o requirements/dev.lock pyproject.toml tests/support/pyproject.toml
	@cd $(REPO) && $(PIP_COMPILE) $(LOCK_FLAGS) -o requirements/checkov.lock requirements/checkov.in
	@echo "requirements/dev.lock and checkov.lock written; \`make venv\` installs the first" >&2

test: $(STAMP) softhsm ## run every test offline (its own isolated local AWS; never touches AWS)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup

# The key-spec table lives in the helper (kms_import/keyspecs.py); the modules read a generated copy.
SPEC_TABLE := modules/external-keys/specs.tf

docs: $(STAMP) ## regenerate the key-spec table (modules/external-keys/specs.tf), the modules' README tables and docs/reference.md
	@$(BIN)/python -m tfdocs.specs $(SPEC_TABLE)
	@$(BIN)/python -m tfdocs $(MODULES)
	@$(BIN)/python -m tfdocs.cli docs/reference.md

offline-up: $(STAMP) ## start the local AWS in the background (reused when already running)
	@$(STACK) up

offline-down: ## save the local AWS's state and stop it (FORCE=1 stops it even if the save fails)
	@if test -x $(BIN)/offline-stack; then $(STACK) down $(if $(FORCE),--force); fi

offline-env: $(STAMP) ## print the exports that select the offline stack: eval "$$(make -s offline-env)"
	@$(STACK) env

demo: offline-up ## set up, start the local AWS, apply the root, run the seed's encrypt test, prove no material in state
	@eval "$$($(STACK) env)" && $(MAKE) --no-print-directory _demo

_demo:
	@test -n "$$KMS_IMPORT_OFFLINE_DIR" || { echo "demo: offline stack not selected" >&2; exit 1; }
	@mkdir -p $(STATE_DIR) && chmod 700 $(STATE_DIR)
	@test -f $(TFVARS) || kms-import tfvars --file $(TFVARS) add-generation g1 --create --activate \
	  --material-source "generate:demo-g1?escrow=file://$(DEMO_ESCROW)" > /dev/null
	@echo "==> terraform init + apply (state in $(STATE_DIR))"
	@$(TF) init -input=false -no-color $(BACKEND_CONFIG) > $(STATE_DIR)/init.log
	@TF_LOG=trace TF_LOG_PATH=$(STATE_DIR)/terraform-trace.log \
	  $(TF) apply -input=false -auto-approve -var-file=$(TFVARS)
	@echo "==> the seed's encrypt test: \"sensitive data\" through the alias, and back"
	@kms-import test --key-id $(ALIAS) --out $(STATE_DIR)/ExampleEncryptedFile
	@echo "==> status"
	@kms-import status --key-id $(ALIAS)
	@echo "==> a second plan changes nothing"
	@$(TF) plan -input=false -detailed-exitcode -var-file=$(TFVARS) > $(STATE_DIR)/replan.log \
	  && echo "no changes" || { cat $(STATE_DIR)/replan.log; exit 1; }
	@echo "==> leak scan: state, plan, trace log and data dir hold no material"
	@kms-import leak-scan --source "generate:demo-g1?escrow=file://$(DEMO_ESCROW)" $(STATE_DIR)

demo-down: ## destroy the demo key, stop the local AWS and remove .offline/
	@if [ -f $(OFFLINE)/demo/terraform.tfstate ] && $(STACK) status | grep -q running; then \
	  eval "$$($(STACK) env)" && $(MAKE) --no-print-directory _demo-destroy; fi
	@$(MAKE) --no-print-directory offline-down FORCE=1
	@rm -rf $(OFFLINE)
	@echo "demo removed"

_demo-destroy:
	@$(TF) destroy -input=false -auto-approve -var-file=$(TFVARS) > $(STATE_DIR)/destroy.log \
	  && echo "demo key scheduled for deletion" || cat $(STATE_DIR)/destroy.log

# init once; later runs only fetch new local modules (`terraform get`): a re-init with state
# present asks the registry for the state's providers even when dev_overrides select them.
init: $(TOOLS) ## terraform init for the root (then `terraform get` on later runs)
	@if [ -f "$(or $(TF_DATA_DIR),.terraform)/terraform.tfstate" ]; then \
	  $(TF) get > /dev/null; else $(TF) init -input=false $(BACKEND_CONFIG); fi

plan: init ## terraform plan for the root with $(TFVARS)
	$(TF) plan -input=false -var-file=$(TFVARS)

apply: init ## terraform apply for the root with $(TFVARS) (AUTO_APPROVE=1 skips the prompt)
	$(APPLY)

status: init ## one line per generation and Region: key, alias, state, expiry, fingerprint, rotations (WARN_DAYS=N warns)
	@$(TF) output -json key_arns | kms-import status --key-arns-json - \
	  $(if $(WARN_DAYS),--expiring-within $(WARN_DAYS))

# ---- Lifecycle verbs: edit $(TFVARS) with `kms-import tfvars`, then apply. ----------------
# GEN defaults to the active generation where that is safe. AUTO_APPROVE=1 skips apply's
# prompt; FORCE=1 allows disabling or deleting the active generation.
ESCROW ?= $(if $(KMS_IMPORT_OFFLINE_DIR),$(DEMO_ESCROW),$(CURDIR)/escrow)
TFVARS_EDIT = kms-import tfvars --file $(TFVARS)
ACTIVE = $$($(TFVARS_EDIT) active)
APPLY = $(TF) apply -input=false -var-file=$(TFVARS) $(if $(filter 1,$(AUTO_APPROVE)),-auto-approve)
FORCE_FLAG = $(if $(filter 1,$(FORCE)),--force)
# The root's one import step (every generation's, replicas and rotations included), for
# -replace: its helper run re-imports whatever material is missing and skips the rest.
IMPORT_STEP = module.key.module.generations.terraform_data.import

rotate: init ## new escrowed material in a new generation (same key spec/usage), make it active, apply
	@gen=$$($(TFVARS_EDIT) next-name) && \
	  source="generate:$$gen-$$(date -u +%Y%m%dT%H%M%SZ)?escrow=file://$(ESCROW)" && \
	  $(TFVARS_EDIT) add-generation $$gen --material-source "$$source" --like-active --activate && \
	  echo "==> generation $$gen is now active; applying" && $(APPLY)

# Same key, new material: KMS on-demand rotation of imported material (symmetric keys only).
# The generation's key id and the alias stay; ciphertexts made before still decrypt.
rotate-material: init ## new escrowed material rotated into GEN's own key on demand (default: active): same key id and alias
	@gen=$${GEN:-$(ACTIVE)} && \
	  source="generate:$$gen-m$$(date -u +%Y%m%dT%H%M%SZ)?escrow=file://$(ESCROW)" && \
	  $(TFVARS_EDIT) add-rotation $$gen --material-source "$$source" && \
	  echo "==> generation $$gen rotates to new material on demand (same key); applying" && $(APPLY)

enable: init ## enable generation GEN (default: active)
	@gen=$${GEN:-$(ACTIVE)} && $(TFVARS_EDIT) set $$gen enabled true && $(APPLY)

disable: init ## disable generation GEN= (the active one only with FORCE=1)
	@test -n "$(GEN)" || { echo "disable: set GEN=<generation>" >&2; exit 2; }
	@$(TFVARS_EDIT) set $(GEN) enabled false $(FORCE_FLAG) && $(APPLY)

renew: init ## set VALID_TO= on GEN (default: active) and re-import the same material with it
	@test -n "$(VALID_TO)" || { echo "renew: set VALID_TO=<RFC 3339, <= 365 days ahead>" >&2; exit 2; }
	@gen=$${GEN:-$(ACTIVE)} && $(TFVARS_EDIT) set $$gen valid_to "$(VALID_TO)" && $(APPLY)

reimport: init ## re-import missing material (after delete-material or expiry), replicas included: one apply re-runs the import step, which skips keys holding theirs; old ciphertexts decrypt again
	@$(APPLY) -replace=$(IMPORT_STEP)

delete-material: init ## DeleteImportedKeyMaterial on GEN= and its replicas (data unreadable until reimport; YES=1 skips the prompt)
	@test -n "$(GEN)" || { echo "delete-material: set GEN=<generation>" >&2; exit 2; }
	@kms-import delete-material $(GEN) --outputs-json <($(TF) output -json) $(if $(filter 1,$(YES)),--yes)

schedule-deletion: init ## schedule GEN='s key for deletion in DAYS=7..30 (removes it from tfvars; active only with FORCE=1)
	@test -n "$(GEN)" || { echo "schedule-deletion: set GEN=<generation>" >&2; exit 2; }
	@echo "$(DAYS)" | grep -Eq '^([7-9]|[12][0-9]|30)$$' || { echo "schedule-deletion: DAYS must be 7 to 30 (KMS's window), got '$(DAYS)'" >&2; exit 2; }
	@if [ "$(GEN)" = "$(ACTIVE)" ] && [ "$(FORCE)" != 1 ]; then \
	  echo "schedule-deletion: $(GEN) is the active generation; rotate first, or FORCE=1" >&2; exit 2; fi
	@$(TFVARS_EDIT) set $(GEN) deletion_window_in_days $(DAYS) && $(APPLY) && \
	  $(TFVARS_EDIT) remove-generation $(GEN) $(FORCE_FLAG) && $(APPLY)

cancel-deletion: init ## cancel KEY='s scheduled deletion and adopt it back as generation GEN= with SOURCE= (its material)
	@test -n "$(KEY)" -a -n "$(SOURCE)" || { echo "cancel-deletion: set KEY=<key id> and SOURCE=<its material reference>" >&2; exit 2; }
	@gen=$${GEN:-$$($(TFVARS_EDIT) next-name)} && \
	  kms-import cancel-deletion --key-id "$(KEY)" --source "$(SOURCE)" --generation $$gen \
	    --tfvars $(TFVARS) --root . && \
	  { $(APPLY); status=$$?; rm -f adopt_$$gen.tf; exit $$status; }

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
bench: $(STAMP) ## time the helper vs the seed's CLI flow and the provider's own import, N = 1..200 keys
	cd $(VENV)/.. && $(BIN)/python -m bench --out bench/last-run.md
