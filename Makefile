# waakhond — the two commands a new user needs: `make run` and `make test`.
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: run test install system-deps lint bench openapi clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

## Start the engine on http://127.0.0.1:8000 with the embedded SQLite store (./var/) and the demo world.
run: install
	$(BIN)/waakhond serve --demo

## Install what is missing (Python packages, and PostgreSQL from Debian when run as root) and run all tests.
test: install system-deps
	$(BIN)/python -m pytest -q

## Debian packages the tests use: PostgreSQL, chromium, FFmpeg's development packages (and vpdq built with them).
system-deps:
	@sh scripts/system-deps.sh $(BIN)/python

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/bench_classify.py
	$(BIN)/python bench/api_load.py

## Regenerate docs/openapi.json after changing the API.
openapi: install
	$(BIN)/python scripts/openapi.py docs/openapi.json

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
