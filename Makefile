# Everything installs from pinned requirements into .venv on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
STACK ?= dev
FORMAT ?= text
# The policy pack and the post-deploy check each get their own venv: pulumi-policy pins an
# older protobuf, and azure-ai-ml pins other opentelemetry versions than the program's.
POLICY_VENV ?= .venv-policy
POLICY_PY := $(POLICY_VENV)/bin/python
VERIFY_VENV ?= .venv-verify
VERIFY_PY := $(VERIFY_VENV)/bin/python
PREFLIGHT_VENV ?= .venv-preflight
PREFLIGHT_PY := $(PREFLIGHT_VENV)/bin/python
# checkov (make scan) has its own venv: a hundred dependencies the program must not share.
SCAN_VENV ?= .venv-scan
SCAN_NAME = $(if $(STACK_FILE),$(patsubst Pulumi.%.yaml,%,$(notdir $(STACK_FILE))),$(STACK))

# Compiled modules go to build/pycache, out of the tree, even where the shell sets
# PYTHONDONTWRITEBYTECODE (these machines do): without a cache every interpreter make test starts
# (two test workers, the import check's subprocess) compiled this repository's ~140 modules and
# rewrote the tests' asserts again, about 4 s of CPU each (docs/benchmarks.md).
export PYTHONPYCACHEPREFIX := $(CURDIR)/build/pycache
unexport PYTHONDONTWRITEBYTECODE

.PHONY: help setup plan test lint clean docs setup-policy policy verify graphs bench adopt snapshot preflight scan smoke drift prices package-schema

help:
	@echo "make plan [STACK=dev] [FORMAT=text|json]  offline plan of a stack (no Azure, no Pulumi CLI)"
	@echo "                 [FORMAT=mermaid|dot]     its resource graph"
	@echo "make graphs                               regenerate the resource graphs in README.md"
	@echo "make bench [BENCH_ARGS=--write]           plan speed and growth (docs/benchmarks.md)"
	@echo "make bench BENCH_ARGS=\"--suite --write\"    the time of make test (docs/benchmarks.md)"
	@echo "make test                                 the whole test suite"
	@echo "make lint                                 ruff, mypy (strict), the import contract, zizmor (workflows)"
	@echo "make policy [STACK=dev]                   the policy pack's rules over the offline plan of a stack"
	@echo "make verify STACK=dev                     after pulumi up: the deployed workspace, computes, datastores"
	@echo "make smoke STACK=dev [SMOKE_ARGS=...]     after verify: the stack's journeys for real (docs/delivery.md)"
	@echo "make preflight STACK=dev [FORMAT=json]    before pulumi up: read-only checks against Azure (docs/preflight.md)"
	@echo "make drift STACK=dev                      does Azure still match the stack? (refresh preview, no changes made)"
	@echo "make adopt ARM=<folder> ENV=<env> STACK=<name> [RG=<group>] [COMPUTE=plain|vnet] [PREFIX=<p>] [FORCE=1]"
	@echo "                                          legacy ARM parameter files -> Pulumi.<name>.yaml (docs/migration.md)"
	@echo "make snapshot                             regenerate tests/snapshots/ (URNs and names of stateful resources)"
	@echo "make scan [STACK=dev | STACK_FILE=path]   checkov over the plan exported as an ARM template (docs/scan.md)"
	@echo "make package-schema                       schemas/package.json from the package's components (the SDK's analyzer)"
	@echo "make prices [REGIONS=westeurope,...] [CURRENCY=EUR]  the cost table's price snapshot from the Azure Retail Prices API (docs/cost.md)"

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $@

setup: $(VENV)/.installed

$(POLICY_VENV)/.installed: policy/requirements.txt policy/requirements-dev.txt
	test -x $(POLICY_PY) || python3 -m venv $(POLICY_VENV)
	$(POLICY_PY) -m pip install --quiet --disable-pip-version-check -r policy/requirements-dev.txt
	touch $@

setup-policy: $(POLICY_VENV)/.installed

# The plan (program venv, secret objects opened) goes through a file: sh has no pipefail.
# STACK_FILE=path/Pulumi.<name>.yaml checks a stack file elsewhere (examples/, tests/fixtures/).
policy: setup setup-policy
	mkdir -p build
	$(PY) policy/export_plan.py $(if $(STACK_FILE),--stack-file $(STACK_FILE),--stack $(STACK)) > build/policy-plan.json
	$(POLICY_PY) policy/offline.py --plan build/policy-plan.json

$(VERIFY_VENV)/.installed: requirements-verify.txt
	test -x $(VERIFY_PY) || python3 -m venv $(VERIFY_VENV)
	$(VERIFY_PY) -m pip install --quiet --disable-pip-version-check -r requirements-verify.txt
	touch $@

# Needs the Pulumi CLI logged in to the stack's backend and an Azure credential (az login,
# workload identity or AZURE_CLIENT_ID/TENANT_ID/...): the pipelines run it after each pulumi up.
verify: setup $(VERIFY_VENV)/.installed
	mkdir -p build
	pulumi stack output --stack $(STACK) --json > build/outputs.$(STACK).json
	$(PY) policy/export_plan.py --stack $(STACK) > build/verify-plan.$(STACK).json
	$(VERIFY_PY) -m tools.verify --outputs build/outputs.$(STACK).json --plan build/verify-plan.$(STACK).json

# After verify, signed in as verify is: the stack's journeys for real (a job on each cluster, each
# datastore read, the registry; SMOKE_ARGS="--endpoints --format json --budget 1800"), removing what
# they made (docs/delivery.md, Smoke test). Quiet recipe lines: with --format json, stdout is the
# JSON document alone.
SMOKE_ARGS ?=
smoke: setup $(VERIFY_VENV)/.installed
	@mkdir -p build
	@pulumi stack output --stack $(STACK) --json > build/outputs.$(STACK).json
	@$(PY) policy/export_plan.py --stack $(STACK) > build/smoke-plan.$(STACK).json
	@$(VERIFY_PY) -m tools.smoke --outputs build/outputs.$(STACK).json --plan build/smoke-plan.$(STACK).json $(SMOKE_ARGS)

# What the nightly drift pipelines run, for a person (docs/delivery.md, Drift): read what Azure has
# now (--refresh, in memory: the state is not written), compare it with the program and the
# stack's policy pack, and fail on any difference. Needs the Pulumi CLI logged in to the stack's
# backend and an Azure sign-in, as verify does; a Reader identity is enough, plus the state
# container and the secrets provider's key.
drift: setup setup-policy
	pulumi preview --stack $(STACK) --refresh --expect-no-changes --diff --non-interactive --policy-pack policy --policy-pack-config policy/config/$(STACK).json

# Legacy ARM templates' parameter files -> a stack file that adopts what they deployed (docs/migration.md).
adopt: setup
	@test -n "$(ARM)" -a -n "$(ENV)" -a -n "$(STACK)" || { echo "usage: make adopt ARM=<legacy arm-templates folder> ENV=<dev|test|...> STACK=<name> [RG=<group>] [COMPUTE=plain|vnet] [PREFIX=<p>] [FORCE=1]"; exit 2; }
	$(PY) -m tools.adopt --arm $(ARM) --env $(ENV) --stack $(STACK) $(if $(RG),--rg $(RG)) $(if $(COMPUTE),--compute $(COMPUTE)) $(if $(PREFIX),--prefix $(PREFIX)) $(if $(FORCE),--force)

# On purpose only: after a change that renames, moves or adds a stateful resource, and review the diff.
snapshot: setup
	$(PY) -m tools.urn_snapshot --write

$(PREFLIGHT_VENV)/.installed: requirements-preflight.txt
	test -x $(PREFLIGHT_PY) || python3 -m venv $(PREFLIGHT_VENV)
	$(PREFLIGHT_PY) -m pip install --quiet --disable-pip-version-check -r requirements-preflight.txt
	touch $@

# Before pulumi up, signed in to Azure as pulumi up is (docs/preflight.md): what the stack needs
# (program venv, offline) goes through a file to the read-only checks (Azure SDKs, own venv).
# Exits non-zero when a check fails or Azure does not answer. STACK_FILE=path checks another file.
# Quiet recipe lines: with FORMAT=json, stdout is the JSON document alone.
preflight: setup $(PREFLIGHT_VENV)/.installed
	@mkdir -p build
	@$(PY) -m tools.preflight.export $(if $(STACK_FILE),--stack-file $(STACK_FILE),--stack $(STACK)) > build/preflight.$(STACK).json
	@$(PREFLIGHT_PY) -m tools.preflight --needs build/preflight.$(STACK).json --format $(FORMAT)

# The venv ignores itself (as Python 3.13's venv does): git and `ruff check .` stay out of it.
$(SCAN_VENV)/.installed: requirements-scan.txt
	test -x $(SCAN_VENV)/bin/python || python3 -m venv $(SCAN_VENV)
	echo '*' > $(SCAN_VENV)/.gitignore
	$(SCAN_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-scan.txt
	touch $@

# The offline plan as an ARM template (program venv), checkov over it (its own venv; it prints its
# findings and writes them as JSON), then the gate: exit 1 only on a failed check that
# scan-allowlist.yaml does not accept for this stack (docs/scan.md). --skip-download: no call to
# the vendor's platform (nothing to upload, no network here).
scan: setup $(SCAN_VENV)/.installed
	mkdir -p build/scan/$(SCAN_NAME)
	$(PY) -m tools.arm_export $(if $(STACK_FILE),--stack-file $(STACK_FILE),--stack $(STACK)) --out build/scan/$(SCAN_NAME)/template.json
	$(SCAN_VENV)/bin/checkov --file build/scan/$(SCAN_NAME)/template.json --framework arm --skip-download --compact --quiet --soft-fail -o cli -o json --output-file-path console,build/scan/$(SCAN_NAME)/results.json
	$(PY) -m tools.arm_export $(if $(STACK_FILE),--stack-file $(STACK_FILE),--stack $(STACK)) --gate build/scan/$(SCAN_NAME)/results.json

# The cost table's price snapshot (azureml_infra/prices.json) from the Azure Retail Prices API (public,
# no sign-in; needs the network): REGIONS default to the shipped stacks', VM sizes are theirs and the
# snapshot's (docs/cost.md). Nothing is written when the API does not answer.
prices: setup
	$(PY) -m tools.prices $(if $(REGIONS),--regions $(REGIONS)) $(if $(CURRENCY),--currency $(CURRENCY)) $(if $(SIZES),--sizes $(SIZES))

plan: setup
	$(PY) -m tools.plan $(if $(STACK_FILE),--stack-file $(STACK_FILE),--stack $(STACK)) --format $(FORMAT)

graphs: setup
	$(PY) -m tools.graph --update-readme

# Not a test: timings vary with the machine. --write records the results in docs/benchmarks.md.
bench: setup
	$(PY) -m tools.bench $(BENCH_ARGS)

test: setup setup-policy
	$(POLICY_PY) -m pytest policy/tests
	$(PY) -m pytest -n auto --dist loadfile

# ruff; mypy, strict on azureml_infra/ and components/ (pyproject.toml); the import contract
# (pyproject.toml, [tool.importlinter]: layers, independent components, no circles); zizmor over
# the GitHub workflows, offline (pins, permissions, template injection, credentials; docs/delivery.md).
lint: setup
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/zizmor --offline --min-severity medium .github/workflows/

clean:
	rm -rf $(VENV) $(POLICY_VENV) $(VERIFY_VENV) $(PREFLIGHT_VENV) $(SCAN_VENV) .venv-package .pytest_cache .hypothesis .ruff_cache build

# The Pulumi package schema (what `pulumi package add` reads), inferred by the SDK's analyzer from
# azureml_package's components; tests/test_package.py fails when it is stale.
package-schema: setup
	$(PY) -m tools.package_schema

docs: setup
	$(PY) -m tools.config_reference
	$(PY) -m tools.stack_schema
