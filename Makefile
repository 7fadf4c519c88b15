PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean-store

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

## Set up, fill the store from the bundled samples on first run, start the dashboard (unless one already runs).
run: $(STAMP)
	@$(PY) -m ui.already_running
	$(PY) -m pipeline seed
	$(VENV)/bin/streamlit run app.py

## Set up and run the whole test suite (lint first).
test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(PY) bench/ingest.py
	$(PY) bench/insights.py
	$(PY) bench/engine.py --n 10000

clean-store:
	rm -rf data/lancedb data/cache
