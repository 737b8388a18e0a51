# Two commands for a fresh machine: `make run` and `make test`.
#
# Every environment is built from the lock files (exact versions with hashes, made by uv from
# pyproject.toml): requirements.txt for running Oasis, requirements-dev.txt for developing it. make
# installs uv itself, pinned, into .venv-tools. `make lock` re-resolves after pyproject.toml changes;
# `make test-latest` tries the newest versions pyproject.toml allows, in a separate environment.
PYTHON ?= python3
UV_VERSION := 0.13.9
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TOOLS := .venv-tools
UV := $(CURDIR)/$(TOOLS)/bin/uv
UV_STAMP := $(TOOLS)/.uv-$(UV_VERSION)
LATEST := .venv-latest
LOCKS := requirements.txt requirements-dev.txt
LINTED := core bots adapters scheduler tests bench tools
# One resolution for every platform and Python the project supports, with the hash of every file.
COMPILE := $(UV) pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock"

# uv: never fetch a Python of its own (use $(PYTHON)), trust the system's certificates, no progress bars.
export UV_PYTHON_DOWNLOADS := never
export UV_SYSTEM_CERTS := 1
export UV_NO_PROGRESS := 1

.PHONY: run test lint lock lock-upgrade lock-check test-latest migrate clean catalogs fuzz

$(UV_STAMP):
	@test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	@$(TOOLS)/bin/python -m pip install -qq --disable-pip-version-check uv==$(UV_VERSION)
	@touch $@

# The lock first (every file hash-checked, nothing else left installed), then Oasis itself, editable,
# without dependencies. The dependencies' bytecode is compiled at install: where PYTHONDONTWRITEBYTECODE
# is set (this machine, CI), every `oasis` process and test worker would otherwise compile SQLAlchemy,
# python-telegram-bot and the rest from source at each start (start-up 4.6-5.2 s instead of 1.7-2.3 s).
$(STAMP): pyproject.toml $(LOCKS) $(UV_STAMP)
	@echo "Installing the locked dependencies into $(VENV) ..."
	@test -x $(BIN)/python || $(UV) venv --quiet --python $(PYTHON) $(VENV)
	@$(UV) pip sync --quiet --compile-bytecode --python $(BIN)/python --require-hashes requirements-dev.txt
	@$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $@

migrate: $(STAMP)
	@$(BIN)/oasis db upgrade

run: migrate
	@$(BIN)/oasis run

lint: lock-check $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -q -n 2

# The hostile-input suite with 10,000 generated requests per handler (`make test` runs a short profile).
fuzz: $(STAMP)
	OASIS_FUZZ=1 $(BIN)/pytest -q tests/property

# Resolve the locks again after editing pyproject.toml, keeping every pin that still fits.
lock: $(UV_STAMP)
	$(COMPILE) pyproject.toml -o requirements.txt
	$(COMPILE) pyproject.toml --extra dev -c requirements.txt -o requirements-dev.txt

# Move every pin to the newest version pyproject.toml allows (then `make test`, and commit the locks).
lock-upgrade: $(UV_STAMP)
	$(COMPILE) --upgrade pyproject.toml -o requirements.txt
	$(COMPILE) --upgrade pyproject.toml --extra dev -c requirements.txt -o requirements-dev.txt

# Fails when the locks no longer match pyproject.toml: resolves again from the committed pins, as `make
# lock` would, and compares.
lock-check: $(UV_STAMP)
	@rm -rf .lock-check && mkdir .lock-check && cp pyproject.toml $(LOCKS) .lock-check/
	@cd .lock-check && $(COMPILE) pyproject.toml -o requirements.txt \
		&& $(COMPILE) pyproject.toml --extra dev -c requirements.txt -o requirements-dev.txt
	@for f in $(LOCKS); do diff -u $$f .lock-check/$$f || { echo "$$f does not match pyproject.toml: \
	run 'make lock' and commit the result"; rm -rf .lock-check; exit 1; }; done
	@rm -rf .lock-check

# The newest versions pyproject.toml allows, in $(LATEST), with the whole suite: run it before `make
# lock-upgrade`, and now and then (weekly) to see a breaking release before a newcomer's install does.
test-latest: $(UV_STAMP)
	rm -rf $(LATEST)
	$(UV) venv --quiet --python $(PYTHON) $(LATEST)
	$(UV) pip install --quiet --refresh --compile-bytecode --python $(LATEST)/bin/python -e '.[dev]'
	$(LATEST)/bin/python tools/lock_drift.py requirements-dev.txt
	$(LATEST)/bin/ruff check $(LINTED)
	$(LATEST)/bin/mypy
	$(LATEST)/bin/pytest -q

clean:
	rm -rf $(VENV) $(TOOLS) $(LATEST) .lock-check .pytest_cache .mypy_cache .ruff_cache

# Refresh the catalogs from the code (English message ids; fill in the Korean msgstr afterwards). The
# extraction settings are in pyproject.toml ([tool.babel.*]), which the catalog test reads too.
CATALOG_LANGUAGES := ko en ja zh
catalogs: $(STAMP)
	BABEL_PYPROJECT_TOML=pyproject.toml $(BIN)/pybabel extract
	for lang in $(CATALOG_LANGUAGES); do BABEL_PYPROJECT_TOML=pyproject.toml $(BIN)/pybabel update -l $$lang || exit 1; done
