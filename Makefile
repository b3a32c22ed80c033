# rollout.codedeploy: the one entry point.  `make help` lists the targets.
#
# Everything runs from pinned toolchains built by `make venv`:
#   .venv        Python 3.11, ansible-core 2.19 (the default), the lab, Molecule, ansible-lint, AWS CLI
#   .venv-py313  Python 3.13, the newest ansible-core for 3.13, for sanity and units only
# and from a copy of the collection at .build/ansible_collections/rollout/codedeploy, next to
# amazon.aws at .build/ansible_collections/amazon/aws (ansible-test needs that layout).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.NOTPARALLEL:
MAKEFLAGS += --no-print-directory

VENV := $(CURDIR)/.venv
VENV313 := $(CURDIR)/.venv-py313
BUILD := $(CURDIR)/.build
COLLECTION := $(BUILD)/ansible_collections/rollout/codedeploy
AMAZON_AWS := $(BUILD)/ansible_collections/amazon/aws
CACHE := $(CURDIR)/.cache
LAB_STATE := $(CURDIR)/.lab
TOOLS := $(CURDIR)/tools
# ansible-test keeps its per-test virtual environments and the pip bootstrap under $HOME/.ansible/test.
# A HOME of this checkout's own keeps them apart from other checkouts and other users of the machine;
# pip's download cache stays the real one.
TEST_HOME := $(CACHE)/home
export PIP_CACHE_DIR ?= $(HOME)/.cache/pip
export PIP_DISABLE_PIP_VERSION_CHECK := 1

export ANSIBLE_COLLECTIONS_PATH := $(BUILD)
export PATH := $(VENV)/bin:$(PATH)

STEP := $(TOOLS)/step
# ansible-test runs in the copy (integration in a private copy of it: tools/in-private-tree); ANSIBLE_TEST_CONTENT_ROOT stops it from walking up to this repository's
# .git, where the (git-ignored) copy would have no files.
ANSIBLE_TEST_ENV := cd $(COLLECTION) && HOME=$(TEST_HOME) ANSIBLE_TEST_CONTENT_ROOT=$(COLLECTION)
ANSIBLE_TEST_311 := $(ANSIBLE_TEST_ENV) $(VENV)/bin/ansible-test
ANSIBLE_TEST_313 := $(ANSIBLE_TEST_ENV) PATH=$(VENV313)/bin:$$PATH $(VENV313)/bin/ansible-test
# Sanity builds its per-test venvs in $(TEST_HOME), one set per Python version; two runs of one version in one
# checkout would build the same ones at once.
sanity_lock = flock $(CACHE)/sanity-$(1).lock

.PHONY: help browser venv venv-py311 venv-py313 collections sync test test-reset sanity sanity-py311 sanity-py313 units \
        units-py311 units-py313 lab-test iam-policies integration molecule lint docs-lint build release lab-up lab-down lab-status demo docs \
        lock clean distclean bench

help:
	@echo "make demo         set everything up, start the lab, show what the demo does"
	@echo "make test         set everything up and run every test (what CI runs)"
	@echo
	@echo "make venv         build .venv (py3.11) and .venv-py313 from requirements/, amazon.aws, ansible-test's pip shim"
	@echo "make sanity       ansible-test sanity on both toolchains (sanity-py311, sanity-py313)"
	@echo "make units        ansible-test units on both toolchains (units-py311, units-py313)"
	@echo "make lab-test     the lab's own tests (pytest lab/tests; installs Chromium for the console's browser tests) and, at once,"
	@echo "                  the playbooks' IAM policies proven on a lab that enforces IAM (tools/derive-iam-policies --check)"
	@echo "make iam-policies rewrite the IAM policies in playbooks/README.md from the playbooks' calls on an enforcing lab"
	@echo "make integration  ansible-test integration targets against a lab started for the run (TARGETS=a b: only those;"
	@echo "                  without TARGETS, INTEGRATION_JOBS=2 shards at once, each with its own lab)"
	@echo "make molecule     molecule test --all against a lab started for the run (SCENARIO=x: only that one)"
	@echo "make lint         ruff (check, format --check) and mypy over the Python; ansible-lint, production profile, offline"
	@echo "make docs-lint    antsibull-docs lint-collection-docs --plugin-docs (module, plugin and role docs)"
	@echo "make build        build the tarball, install it offline next to amazon.aws, ansible-doc -l"
	@echo "make release      make build, then the tarball and its SHA-256 in .build/release, installed offline into an"
	@echo "                  empty path, the README's example run from there against a lab (--check, run, rerun:"
	@echo "                  changed=0); CHANGELOG=1 first writes CHANGELOG.rst for galaxy.yml's version (docs/development.md)"
	@echo "make lab-up       start the lab in .lab/ (lab-down stops it, lab-status shows it)"
	@echo "make docs         render the module, plugin and role reference (open .build/docs/html/index.html)"
	@echo "make bench        every benchmark in benchmarks/ with --quick (ratios against their baselines)"
	@echo "make lock         re-pin requirements/constraints-*.txt from the current venvs"
	@echo "make clean        remove the build tree and test outputs (distclean: also the venvs and caches)"

# ---------------------------------------------------------------- toolchain

# Both toolchains at once (pip mostly waits on downloads and unpacking), then amazon.aws from the py3.11 venv.
venv:
	@$(MAKE) venv-py313 & py313=$$!; status=0; \
	    $(MAKE) venv-py311 || status=$$?; wait $$py313 || status=$$?; exit $$status
	@$(MAKE) collections

venv-py311:
	@$(TOOLS)/ensure-venv 3.11 $(VENV) requirements/dev.txt requirements/constraints-py311.txt lab
	@HOME=$(TEST_HOME) $(VENV)/bin/python $(TOOLS)/write-get-pip-shim

venv-py313:
	@$(TOOLS)/ensure-venv 3.13 $(VENV313) requirements/py313.txt requirements/constraints-py313.txt
	@HOME=$(TEST_HOME) $(VENV313)/bin/python $(TOOLS)/write-get-pip-shim

collections: venv-py311
	@$(TOOLS)/fetch-amazon-aws $(VENV)/bin/python $(BUILD) $(CACHE)/wheels

sync: venv
	@$(VENV)/bin/python $(TOOLS)/sync-build-tree $(CURDIR) $(BUILD)

lock: venv
	@( echo '# Generated by `make lock` from a clean .venv (pip freeze); do not edit by hand.'; \
	   $(VENV)/bin/python -m pip freeze --exclude-editable | grep -v -E '^(pip|setuptools|codedeploy-lab)==' ) \
	   > requirements/constraints-py311.txt
	@( echo '# Generated by `make lock` from a clean .venv-py313 (pip freeze); do not edit by hand.'; \
	   $(VENV313)/bin/python -m pip freeze --exclude-editable | grep -v -E '^(pip|setuptools)==' ) \
	   > requirements/constraints-py313.txt
	@git diff --stat -- requirements/

# ---------------------------------------------------------------- tests

JUNIT := $(CACHE)/junit
# `make integration` without TARGETS runs the targets in this many shards at once, each against its own lab
# (tools/integration-shards); INTEGRATION_JOBS=1 runs them one after the other against one lab.
INTEGRATION_JOBS ?= 2
# pytest workers for lab/tests: most of a lab test's time is spent waiting on hooks, hosts and the lab's clock
# (about 0.7 of the 2 cores busy with 2 workers), so more workers than cores finish sooner.
LAB_TEST_JOBS ?= 4

# In this order; make stops at the first step that fails.  Molecule runs beside the static checks (lint, docs-lint,
# build), which share no lab and no file it writes.  The closing line adds up the pytest runs (units on both
# toolchains, the lab's tests) from their JUnit reports.
test: test-reset sanity units lab-test integration
	@$(VENV)/bin/python $(TOOLS)/in-parallel molecule -- $(MAKE) molecule ::: \
	    checks -- $(MAKE) lint docs-lint build
	@echo
	@echo "make test: every step passed"
	@$(VENV)/bin/python $(TOOLS)/test-summary $(COLLECTION)/tests/output/junit/*-units.xml $(JUNIT)

test-reset: sync
	@rm -rf $(COLLECTION)/tests/output/junit $(JUNIT)

# Both toolchains at once (tools/in-parallel), each in a private copy of the collection (tools/in-private-tree),
# so an edit in the work tree during the run cannot pull a file from under ansible-test.
sanity: sync
	@$(VENV)/bin/python $(TOOLS)/in-parallel py3.11 -- $(MAKE) sanity-py311 ::: py3.13 -- $(MAKE) sanity-py313

sanity-py311: sync
	@$(STEP) "sanity: ansible-core 2.19 on Python 3.11" $(call sanity_lock,3.11) \
	    $(TOOLS)/in-private-tree $(CURDIR) $(BUILD) -- env HOME=$(TEST_HOME) $(VENV)/bin/ansible-test sanity --local --python 3.11

sanity-py313: sync
	@$(STEP) "sanity: ansible-core $$($(VENV313)/bin/python -c 'import ansible; print(ansible.__version__)') on Python 3.13" \
	    $(call sanity_lock,3.13) $(TOOLS)/in-private-tree $(CURDIR) $(BUILD) -- \
	        env HOME=$(TEST_HOME) PATH=$(VENV313)/bin:$$PATH $(VENV313)/bin/ansible-test sanity --local --python 3.13

units: units-py311 units-py313

units-py311: sync
	@$(STEP) "units: ansible-core 2.19 on Python 3.11" bash -c '$(ANSIBLE_TEST_311) units --local --python 3.11'

units-py313: sync
	@$(STEP) "units: ansible-core $$($(VENV313)/bin/python -c 'import ansible; print(ansible.__version__)') on Python 3.13" \
	    bash -c '$(ANSIBLE_TEST_313) units --local --python 3.13'

# Measured: --dist loadfile (a module's fleets built once, not once per worker) is no faster than the default (114 s
# vs 111 s on a quiet machine): the fleets are cheap next to the tests, and whole files balance worse.
# The console's browser tests drive Debian's Chromium (Playwright cannot download a browser here).
browser:
	@$(TOOLS)/install-browser

lab-test: venv browser sync
	@if [ ! -d lab/tests ]; then echo "lab-test: skipped: lab/tests does not exist yet"; \
	elif ! command -v codedeploy-lab >/dev/null; then echo "lab-test: skipped: the lab package (lab/pyproject.toml) is not there yet"; \
	else $(STEP) "lab: pytest lab/tests, and the IAM policies of playbooks/README.md proven on a lab that enforces IAM" \
	    $(VENV)/bin/python $(TOOLS)/in-parallel \
	        pytest -- bash -c 'cd lab && $(VENV)/bin/python -m pytest tests -n $(LAB_TEST_JOBS) -p no:cacheprovider --junitxml=$(JUNIT)/lab.xml' ::: \
	        iam -- $(VENV)/bin/python $(TOOLS)/derive-iam-policies --check; fi

# Rewrites the policies in playbooks/README.md from the calls the playbooks make on a lab that enforces IAM.
iam-policies: sync
	@$(STEP) "iam-policies: derive playbooks/README.md's IAM policies on an enforcing lab" \
	    $(VENV)/bin/python $(TOOLS)/derive-iam-policies

integration: sync
	@if ! ls tests/integration/targets/*/aliases >/dev/null 2>&1; then echo "integration: skipped: no targets in tests/integration/targets"; \
	elif ! command -v codedeploy-lab >/dev/null; then echo "integration: skipped: the lab package is not there yet"; \
	elif [ -n "$(TARGETS)" ] || [ "$(INTEGRATION_JOBS)" -le 1 ]; then $(STEP) "integration: ansible-test integration against the lab" \
	    $(TOOLS)/in-private-tree $(CURDIR) $(BUILD) -- $(TOOLS)/with-lab --cloud-config tests/integration -- \
	        env HOME=$(TEST_HOME) $(VENV)/bin/ansible-test integration --local --python 3.11 $(TARGETS); \
	else $(STEP) "integration: ansible-test integration against the lab, $(INTEGRATION_JOBS) shards at once" \
	    $(VENV)/bin/python $(TOOLS)/integration-shards $(CURDIR) $(BUILD) $(INTEGRATION_JOBS) -- \
	        env HOME=$(TEST_HOME) $(VENV)/bin/ansible-test integration --local --python 3.11; fi

molecule: sync
	@if ! ls extensions/molecule/*/molecule.yml >/dev/null 2>&1; then echo "molecule: skipped: no scenarios in extensions/molecule"; \
	elif ! command -v codedeploy-lab >/dev/null; then echo "molecule: skipped: the lab package is not there yet"; \
	else $(STEP) "molecule: molecule test --all against the lab" \
	    bash -c 'cd $(COLLECTION) && $(TOOLS)/with-lab -- molecule test $(if $(SCENARIO),--scenario-name $(SCENARIO),--all)'; fi

# The Python of both products; tools/ has scripts without a .py suffix, named here.
PYTHON_SOURCES := plugins lab benchmarks tools tests $(shell grep -l '^\#!.*python' $(TOOLS)/* 2>/dev/null | sed 's|$(CURDIR)/||')

lint: sync
	@$(STEP) "lint: ruff check" $(VENV)/bin/ruff check --no-cache $(PYTHON_SOURCES)
	@$(STEP) "lint: ruff format --check" $(VENV)/bin/ruff format --no-cache --check $(PYTHON_SOURCES)
	@$(STEP) "lint: mypy, the lab" $(VENV)/bin/mypy --config-file mypy.ini --cache-dir $(CACHE)/mypy lab/codedeploy_lab
	@$(STEP) "lint: mypy, module_utils" bash -c 'cd $(BUILD) && $(VENV)/bin/mypy --config-file $(CURDIR)/mypy.ini \
	    --cache-dir $(CACHE)/mypy -p ansible_collections.rollout.codedeploy.plugins.module_utils'
	@$(STEP) "lint: ansible-lint (production profile, offline)" bash -c 'cd $(COLLECTION) && ansible-lint'

# Schema and markup of every module's DOCUMENTATION/RETURN and every role's meta/argument_specs.yml, the
# RST they render to (rstcheck), and references to this collection and those it depends on.
# antsibull logs to ~/antsibull.log: its HOME is this checkout's own (.cache/home), not the user's.
ANTSIBULL_DOCS := env HOME=$(TEST_HOME) antsibull-docs

docs-lint: sync
	@$(STEP) "docs-lint: antsibull-docs lint-collection-docs --plugin-docs" \
	    $(ANTSIBULL_DOCS) lint-collection-docs --plugin-docs --validate-collection-refs dependent \
	        --disallow-unknown-collection-refs --check-extra-docs-refs $(COLLECTION)

build: sync
	@$(STEP) "build: tarball, offline install next to amazon.aws, ansible-doc" $(TOOLS)/check-build $(COLLECTION) $(AMAZON_AWS)

# Not part of `make test` (a lab and three runs of the README's example: minutes). CHANGELOG=1 first moves
# changelogs/fragments into CHANGELOG.rst as the release of galaxy.yml's version (antsibull-changelog release).
RELEASE := $(BUILD)/release
release: venv
	@if [ -n "$(CHANGELOG)" ]; then antsibull-changelog release --version "$$(sed -n 's/^version: *//p' galaxy.yml)"; fi
	@antsibull-changelog lint
	@$(MAKE) build
	@$(STEP) "release: $(RELEASE): tarball, SHA-256, offline install, the README's example against a lab" \
	    $(TOOLS)/with-lab -- $(TOOLS)/release $(COLLECTION) $(AMAZON_AWS) $(RELEASE)

# ---------------------------------------------------------------- lab and demo

lab-up: venv
	@codedeploy-lab up --state-dir $(LAB_STATE)
	@codedeploy-lab status --state-dir $(LAB_STATE)

lab-down:
	@if [ -x $(VENV)/bin/codedeploy-lab ]; then $(VENV)/bin/codedeploy-lab down --state-dir $(LAB_STATE); fi

lab-status: venv
	@codedeploy-lab status --state-dir $(LAB_STATE)

# Each script starts its own lab on a free port; the goals and full-size commands are in docs/performance.md.
bench: venv
	@for script in rollout_rerun revision_push follow_latency follow_large_fleet; do \
	    $(VENV)/bin/python benchmarks/$$script.py --quick || exit 1; done

demo: sync
	@$(VENV)/bin/python examples/demo/demo.py --state-dir $(LAB_STATE)

# The reference: antsibull-docs writes RST from the build tree's plugins and roles, Sphinx renders it and the
# Markdown guides of docs/ with tools/sphinx/conf.py (offline; warnings are errors).  Open $(DOCS)/html/index.html.
DOCS := $(BUILD)/docs
docs: sync
	@rm -rf $(DOCS) && mkdir -p $(DOCS)/rst
	@$(ANTSIBULL_DOCS) collection --use-current --squash-hierarchy --fail-on-error --dest-dir $(DOCS)/rst rollout.codedeploy
	@mkdir -p $(DOCS)/rst/guides && cp docs/*.md $(DOCS)/rst/guides/
	@sphinx-build -q -b html -W --keep-going -c $(TOOLS)/sphinx $(DOCS)/rst $(DOCS)/html
	@echo "docs: open $(DOCS)/html/index.html"

# ---------------------------------------------------------------- cleaning

clean: lab-down
	rm -rf $(BUILD) $(LAB_STATE) tests/output

distclean: clean
	rm -rf $(VENV) $(VENV313) $(CACHE)
