# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint migrate clean catalogs

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

migrate: $(STAMP)
	$(BIN)/oasis db upgrade

run: migrate
	$(BIN)/oasis run

lint: $(STAMP)
	$(BIN)/ruff check core bots adapters scheduler tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Refresh the catalogs from the code (English message ids; fill in the Korean msgstr afterwards).
catalogs: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _ -k text -k s -k plural:1,2 --no-default-keywords \
		--no-location --sort-output -o bots/locales/messages.pot .
	$(BIN)/pybabel update -i bots/locales/messages.pot -d bots/locales -l ko --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel update -i bots/locales/messages.pot -d bots/locales -l en --no-fuzzy-matching --ignore-obsolete
