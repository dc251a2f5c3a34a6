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

.PHONY: help venv test docs offline-up offline-down offline-env demo demo-down _demo init plan apply status \
	rotate rotate-material enable disable renew reimport delete-material schedule-deletion cancel-deletion

help: ## list the verbs
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

venv: $(STAMP) ## create .venv with terraform, kms-import, the local AWS and the AWS CLI

$(STAMP): $(REPO)/pyproject.toml
	@echo "==> setting up $(VENV) (first run: a minute or two)" >&2
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) >&2
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '$(REPO)[dev]' >&2
	@$(BIN)/offline-stack install >&2
	@touch $@

test: $(STAMP) softhsm ## run every test offline (its own isolated local AWS; never touches AWS)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup

docs: $(STAMP) ## regenerate the inputs/outputs tables in modules/*/README.md
	@$(BIN)/python -m tfdocs $(MODULES)

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
init: $(STAMP) ## terraform init for the root (then `terraform get` on later runs)
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
ACTIVE = $$($(TFVARS_EDIT) show --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["active_generation"])')
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
	@arn=$$($(TF) output -json key_arns | python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' $(GEN)) && \
	  test -n "$$arn" || { echo "delete-material: no generation $(GEN) in state; see make status" >&2; exit 2; } ; \
	  replicas=$$($(TF) output -json replica_arns 2>/dev/null | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin).get(sys.argv[1], {}).values()))' $(GEN) 2>/dev/null); \
	  if [ "$(YES)" != 1 ]; then \
	    printf 'Delete the material of %s (%s%s)? Data it encrypted is unreadable until `make reimport GEN=%s`. Type the generation name: ' "$(GEN)" "$$arn" "$${replicas:+ and replicas $$replicas}" "$(GEN)"; \
	    read answer; [ "$$answer" = "$(GEN)" ] || { echo "not confirmed; nothing deleted" >&2; exit 1; }; fi; \
	  for key in $$arn $$replicas; do \
	    aws kms delete-imported-key-material --key-id "$$key" --region "$$(echo $$key | cut -d: -f4)" || exit 1; done && \
	  echo "material of $(GEN) deleted$${replicas:+ in every Region}; keys are PendingImport"

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
	  aws kms cancel-key-deletion --key-id "$(KEY)" > /dev/null && \
	  $(TFVARS_EDIT) add-generation $$gen --material-source "$(SOURCE)" && \
	  printf 'import {\n  to = module.key.module.generations.module.key["%s"].aws_kms_external_key.this\n  id = "%s"\n}\n' $$gen "$(KEY)" > adopt_$$gen.tf && \
	  echo "==> key $(KEY) is Disabled again; adopting it as generation $$gen" && \
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
bench: $(STAMP) ## time the helper vs the seed's CLI flow and the provider's own import (~12 min)
	cd $(VENV)/.. && $(BIN)/python -m bench --out bench/last-run.md
