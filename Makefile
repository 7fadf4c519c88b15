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

## Delete the local store and cache (PODBRIEF_DB and PODBRIEF_CACHE_DIR from the environment, else data/).
## An object store (PODBRIEF_DB=s3://...) is never deleted from here: remove its prefix with the store's own tools.
clean-store:
	@case "$${PODBRIEF_DB:-data/lancedb}" in \
		*://*) echo "PODBRIEF_DB=$$PODBRIEF_DB is an object store; not deleting it (e.g. aws s3 rm --recursive $$PODBRIEF_DB)" ;; \
		*) rm -rf "$${PODBRIEF_DB:-data/lancedb}" ;; \
	esac
	rm -rf "$${PODBRIEF_CACHE_DIR:-data/cache}"
