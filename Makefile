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

.PHONY: help venv tools collection sandbox sandbox-down sandbox-status demo test test-unit test-integration lint build bench clean

help:
	@echo "make demo          sandbox clusters + the real upgrade playbook"
	@echo "make test          every test (unit, integration on the sandbox, lint)"
	@echo "make sandbox       start or reset the sandbox (WORKERS=$(WORKERS) BASELINE=$(BASELINE))"
	@echo "make sandbox-down  stop every sandbox process"
	@echo "make bench         manual procedure vs playbook, N=1,2,4 workers (BENCH_WORKERS, BENCH_REPS)"

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

test-integration: venv collection tools
	@echo "== integration tests (sandbox clusters)"
	@$(VBIN)/python -m pytest -q tests/integration

lint: venv collection
	@echo "== ansible-lint"
	@$(VBIN)/ansible-lint --offline -q

test: test-unit lint test-integration

bench: venv collection tools
	@$(VBIN)/pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	@$(VBIN)/python bench/run.py

build: venv
	@$(VBIN)/ansible-galaxy collection build --force

clean:
	rm -rf .pytest_cache dce5-skoala-*.tar.gz
