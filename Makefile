# Two commands set everything up on a fresh clone: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
# Python 3.12+ (3.13 matches the Lambda runtime); pyenv installs are found even when not activated.
PYTHON ?= $(shell for c in python3.13 python3.12 $$(ls -d $$HOME/.pyenv/versions/3.1[23]*/bin/python3 2>/dev/null | sort -r) python3; do \
	$$c -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null && { echo $$c; break; }; done)
CDK := node_modules/.bin/cdk
PIP := $(BIN)/pip install --quiet
# Some machines' pip config names wheel folders that don't exist; keep pip's exit status, drop that noise.
QUIET_PIP := 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }; test $${PIPESTATUS[0]} -eq 0

.PHONY: run demo test test-urllib3-1.26 mutation lint deadcode format synth bootstrap deploy diff destroy bench bench-controls openapi screenshots chromium clean venv scan install

# The Lambda runtime may ship urllib3 1.26 instead of 2.x: the HTTP client and delivery tests run on both.
URLLIB3_126_VENV := .venv-urllib3-1.26
URLLIB3_126_TESTS := tests/unit/test_http_client.py tests/unit/test_delivery.py tests/unit/test_deliver_guards.py \
	tests/unit/test_retry.py tests/integration/test_hostile_receivers.py
# checkov has dependencies of its own that clash with the project's pins: it lives in its own venv.
CHECKOV_VENV := .venv-checkov

# Passed through to the CDK CLI: make deploy ARGS="-c alarm_email=ops@example.com --profile prod --region eu-west-1"
ARGS ?=

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.12+ is needed (python3.13 or python3.12 on PATH)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip $(QUIET_PIP)
	$(PIP) -r requirements-dev.txt $(QUIET_PIP)
	$(PIP) --no-deps -e . $(QUIET_PIP)
	touch $@

$(URLLIB3_126_VENV)/.installed: requirements.txt requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "Python 3.12+ is needed (python3.13 or python3.12 on PATH)"; exit 1; }
	$(PYTHON) -m venv $(URLLIB3_126_VENV)
	$(URLLIB3_126_VENV)/bin/pip install --quiet -r <(grep -v '^urllib3==' requirements.txt) urllib3==1.26.20 \
		$$(grep -E '^(pytest|moto\[server\]|hypothesis)==' requirements-dev.txt) $(QUIET_PIP)
	touch $@

node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

# checkov has many dependencies that would fight the project's pins: it gets its own virtualenv.
$(CHECKOV_VENV)/.installed: requirements-scan.txt
	@test -n "$(PYTHON)" || { echo "Python 3.12+ is needed (python3.13 or python3.12 on PATH)"; exit 1; }
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet -r requirements-scan.txt $(QUIET_PIP)
	touch $@

venv: $(VENV)/.installed

# Puts `hookwire` on PATH (a link in ~/.local/bin to .venv/bin/hookwire); or run `source .venv/bin/activate`.
install: $(VENV)/.installed
	mkdir -p $(HOME)/.local/bin
	ln -sf $(CURDIR)/$(BIN)/hookwire $(HOME)/.local/bin/hookwire
	@case ":$$PATH:" in *":$(HOME)/.local/bin:"*) echo "hookwire is on PATH";; \
	  *) echo "add ~/.local/bin to PATH (export PATH=\"$$HOME/.local/bin:$$PATH\"), or: source .venv/bin/activate";; esac

run: $(VENV)/.installed
	$(BIN)/hookwire local

demo: $(VENV)/.installed
	$(BIN)/python -m hookwire.demo

# The portal's browser tests drive Debian's chromium (never a downloaded browser); install it when missing.
chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

# pytest reruns a failed test once: the end-to-end and pipeline tests wait on real sockets, processes and
# queues on a 2-core machine; a rerun shows as R in the summary, so a flaky test stays visible.
test: $(VENV)/.installed node_modules/.installed chromium $(CHECKOV_VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n 2 --dist loadfile --reruns 1
	$(MAKE) --no-print-directory test-urllib3-1.26
	$(BIN)/python -m infra.scan

test-urllib3-1.26: $(URLLIB3_126_VENV)/.installed
	$(URLLIB3_126_VENV)/bin/python -c 'import urllib3; assert urllib3.__version__.startswith("1.26"), urllib3.__version__'
	$(URLLIB3_126_VENV)/bin/python -m pytest -q -p no:cacheprovider $(URLLIB3_126_TESTS)

# Mutation testing (not part of `make test`; 30-60 min on 2 cores): mutmut mutates each module (config in
# pyproject.toml) and runs every mutant against only the unit and fakes-based tests that execute the mutated
# function, one module at a time; the report fails when a module scores under 90 %.
# One module: make mutation MUTATION_MODULES=functions/common/ssrf.py
MUTATION_MODULES ?= functions/common/matching.py functions/common/retry.py functions/common/signing.py \
	functions/common/rawjson.py functions/common/ssrf.py functions/deliver/logic.py functions/fanout/logic.py
MUTATION_CHILDREN ?= 2
mutation: $(VENV)/.installed
	@for module in $(MUTATION_MODULES); do \
		$(BIN)/mutmut run --max-children $(MUTATION_CHILDREN) "$$(echo $${module%.py} | tr / .).*" || exit 1; \
	done
	$(BIN)/python -m tools.mutation_report $(MUTATION_MODULES)

# checkov on the synthesized template: 0 failed checks, every skip with its reason (infra/checkov.py).
scan: $(VENV)/.installed $(CHECKOV_VENV)/.installed
	$(BIN)/python -m infra.scan

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# vulture over the code and tests (config in pyproject.toml); vulture_whitelist.py lists framework entry points.
deadcode: $(VENV)/.installed
	$(BIN)/vulture

format: $(VENV)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

synth: $(VENV)/.installed node_modules/.installed
	$(CDK) synth --quiet $(ARGS)

bootstrap: $(VENV)/.installed node_modules/.installed
	$(CDK) bootstrap $(ARGS)

deploy: $(VENV)/.installed node_modules/.installed
	$(CDK) deploy $(ARGS)

diff: $(VENV)/.installed node_modules/.installed
	$(CDK) diff $(ARGS)

destroy: $(VENV)/.installed node_modules/.installed
	$(CDK) destroy $(ARGS)

bench: $(VENV)/.installed
	$(BIN)/python -m hookwire.bench
	$(BIN)/python -m hookwire.bench_controls

bench-controls: $(VENV)/.installed
	$(BIN)/python -m hookwire.bench_controls

openapi: $(VENV)/.installed
	$(BIN)/python -m functions.api.openapi

screenshots: $(VENV)/.installed chromium
	$(BIN)/python -m hookwire.portal_screenshots

clean:
	rm -rf $(VENV) $(URLLIB3_126_VENV) $(CHECKOV_VENV) node_modules cdk.out .build
