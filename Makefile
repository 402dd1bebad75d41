# Every target sets itself up: a fresh machine needs nothing but python3.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHARED ?= ../shared

.PHONY: install test lint typecheck pytest rules-check bench crawl faults clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check scraper tests benchmarks
	$(BIN)/ruff format --check scraper tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

rules-check: $(STAMP)
	$(BIN)/scraper rules check

pytest: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck rules-check pytest

crawl: $(STAMP)
	$(BIN)/scraper run --config scraper.toml

# Every fault case of issue 6 against a local server, default workers: one line each; exit 1 if one FAILs.
faults: $(STAMP)
	$(BIN)/python benchmarks/faults.py

bench: $(STAMP)
	$(BIN)/python $(SHARED)/eval/score.py $(SHARED)/seeds --call benchmarks.score_adapters:seed_text
	$(BIN)/python $(SHARED)/eval/score.py $(SHARED)/data/idnews-dev --call benchmarks.score_adapters:page_html
	$(BIN)/python $(SHARED)/eval/score.py $(SHARED)/data/idnews-dev --call benchmarks.score_adapters:page_html_generic
	$(BIN)/python $(SHARED)/eval/score.py $(SHARED)/data/idnews-dev --call benchmarks.score_adapters:page_html_loso
	$(BIN)/python $(SHARED)/eval/score.py $(SHARED)/data/aeb-dev --call benchmarks.score_adapters:page_html
	$(BIN)/python $(SHARED)/eval/score.py $(SHARED)/data/aeb-dev --call benchmarks.score_adapters:bare_trafilatura
	$(BIN)/python benchmarks/text2025.py $(SHARED)/data/idnews-text-2025/dev.csv
	$(BIN)/python benchmarks/extract_speed.py
	$(BIN)/python benchmarks/crawl.py --urls 2000

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
