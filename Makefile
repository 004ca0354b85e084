# The two commands:   make demo   |   make test
# Both set up everything they need (virtualenv, sandbox binaries, clusters)
# and reuse caches under $(CACHE) when present.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

CACHE      ?= $(HOME)/.cache/dce5-skoala
PYTHON     ?= python3
REQ_HASH   := $(shell cat requirements.txt requirements-test.txt | sha256sum | cut -c1-12)
VENV       ?= $(CACHE)/venv-$(REQ_HASH)
VBIN       := $(VENV)/bin
# A collections root in which ansible_collections/dce5/skoala is this checkout,
# so the checkout is usable as the collection without ansible-galaxy install.
COLL_ROOT  := $(CACHE)/collections/$(shell echo "$(CURDIR)" | sha256sum | cut -c1-12)
COLL_LINK  := $(COLL_ROOT)/ansible_collections/dce5/skoala
SANDBOX    := $(CURDIR)/.sandbox
WORKERS    ?= 2
BASELINE   ?= 0.19.2

export ANSIBLE_COLLECTIONS_PATH := $(COLL_ROOT)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(VBIN):$(PATH)
export DCE5_SKOALA_CACHE := $(CACHE)

VERSION    := $(shell sed -n 's/^version: *//p' galaxy.yml)

.PHONY: help venv tools collection sandbox sandbox-down sandbox-status demo test test-unit test-integration lint \
        ansible-lint changelog-lint ansible-doc docs-check sanity docs changelog ee build bench clean

help:
	@echo "make demo          sandbox clusters + the real upgrade playbook"
	@echo "make test          every test (unit, integration on the sandbox, lint)"
	@echo "make sandbox       start or reset the sandbox (WORKERS=$(WORKERS) BASELINE=$(BASELINE))"
	@echo "make sandbox-down  stop every sandbox process"
	@echo "make lint          ansible-lint, changelog lint, ansible-doc, docs check, ansible-test sanity"
	@echo "make docs          regenerate docs/variables.md and docs/modules.md"
	@echo "make bench         manual vs playbook vs helm alone, N=1..16, instant and realistic readiness (bench/README.md)"

$(VBIN)/.installed: requirements.txt requirements-test.txt
	@echo "== virtualenv $(VENV)"
	@test -x $(VBIN)/python || $(PYTHON) -m venv $(VENV)
	@$(VBIN)/pip install --quiet --disable-pip-version-check -r requirements-test.txt
	@touch $@

venv: $(VBIN)/.installed

collection:
	@mkdir -p $(dir $(COLL_LINK))
	@ln -sfn $(CURDIR) $(COLL_LINK)

tools:
	@bash tests/sandbox/provision.sh >/dev/null

sandbox: venv collection
	@$(VBIN)/python tests/sandbox/sandbox.py up --workers $(WORKERS) --baseline $(BASELINE)

sandbox-down: venv
	@$(VBIN)/python tests/sandbox/sandbox.py down

sandbox-status: venv
	@$(VBIN)/python tests/sandbox/sandbox.py status

demo: sandbox
	@. $(SANDBOX)/env && ansible-playbook -i $(SANDBOX)/inventory.yml playbooks/upgrade.yml

test-unit: venv collection
	@echo "== unit tests"
	@$(VBIN)/python -m pytest -q tests/unit

# Three pytest-xdist workers, each with its own sandbox and a whole test file
# at a time (module fixtures stay within a worker); much of a test is waiting
# on helm and the clusters, so a third worker still gains on two cores
# (79 tests: 22 min 56 s with 3, on a machine also busy with other work).
# TEST_JOBS=0 runs them in
# one process.
TEST_JOBS ?= 3
test-integration: venv collection tools
	@echo "== integration tests (sandbox clusters, $(TEST_JOBS) workers)"
	@$(VBIN)/python -m pytest -q -n $(TEST_JOBS) --dist loadfile --no-loadscope-reorder --durations=12 tests/integration

# Conformance: ansible-lint (production profile), changelog fragments,
# ansible-doc of every module and role, generated docs up to date, and
# ansible-test sanity (a few minutes the first time, about one warm).
lint: ansible-lint changelog-lint ansible-doc docs-check sanity

test: test-unit lint test-integration

ansible-lint: venv collection
	@echo "== ansible-lint (production profile)"
	@$(VBIN)/ansible-lint --offline -q

changelog-lint: venv
	@echo "== antsibull-changelog lint"
	@$(VBIN)/antsibull-changelog lint

ansible-doc: venv collection
	@echo "== ansible-doc"
	@$(VBIN)/python tests/conformance/ansible_doc.py

docs-check: venv
	@echo "== generated docs up to date"
	@$(VBIN)/python tests/conformance/gen_docs.py --check

sanity: venv tools
	@echo "== ansible-test sanity (python 3.11, local)"
	@bash tests/conformance/sanity.sh

# Regenerate docs/variables.md and docs/modules.md from the argument specs
# and the modules' DOCUMENTATION.
docs: venv
	@$(VBIN)/python tests/conformance/gen_docs.py

# changelogs/changelog.yaml and CHANGELOG.rst for the version in galaxy.yml;
# fragments are kept, and a re-run adds new ones to that version.
changelog: venv
	@$(VBIN)/antsibull-changelog release --version $(VERSION)

# Stage ee-build/ (the collection tarball, the sandbox's helm binary and its
# helm-diff plugin) and render the execution environment's build context with
# ansible-builder (its own virtualenv). Building the image needs podman or
# docker; this project's machines have neither (docs/awx.md).
BUILDER_VENV := $(CACHE)/venv-builder
ee: venv tools
	@test -x $(BUILDER_VENV)/bin/ansible-builder || { $(PYTHON) -m venv $(BUILDER_VENV) && \
	  $(BUILDER_VENV)/bin/pip install --quiet --disable-pip-version-check ansible-builder; }
	@rm -rf ee-build && mkdir -p ee-build
	@$(VBIN)/ansible-galaxy collection build --force --output-path ee-build >/dev/null
	@mv ee-build/dce5-skoala-$(VERSION).tar.gz ee-build/dce5-skoala.tar.gz
	@cp $(CACHE)/bin/helm ee-build/helm
	@mkdir -p ee-build/helm-plugins/diff/bin
	@cp $(CACHE)/helm-plugins/diff/plugin.yaml ee-build/helm-plugins/diff/
	@cp -L $(CACHE)/helm-plugins/diff/bin/diff ee-build/helm-plugins/diff/bin/diff
	@rm -rf $(CACHE)/ee-context
	@$(BUILDER_VENV)/bin/ansible-builder create -f execution-environment.yml -c $(CACHE)/ee-context --output-filename Containerfile
	@echo "build context: $(CACHE)/ee-context"

bench: venv collection tools
	@$(VBIN)/pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	@$(VBIN)/python bench/run.py

build: venv
	@$(VBIN)/ansible-galaxy collection build --force

clean:
	rm -rf .pytest_cache dce5-skoala-*.tar.gz
