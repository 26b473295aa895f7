# wangge — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
VENDOR := src/wangge/static/vendor
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test bench venv venv-test static demo lint check clean worker

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "need Python 3.11 ($(PY))"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

venv: $(BIN)/python
	$(BIN)/pip install -q -e .

venv-test: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'

# Front-end assets come from the npm registry at set-up time and are served locally (no CDN).
static: $(VENDOR)/.stamp

$(VENDOR)/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/leaflet
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/
	cp node_modules/@picocss/pico/css/pico.min.css $(VENDOR)/
	cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css node_modules/leaflet/dist/images $(VENDOR)/leaflet/
	touch $@

run: venv static
	$(BIN)/wangge serve --port $(PORT)

demo: venv
	$(BIN)/wangge demo --preset town

test: venv-test static
	$(BIN)/python -m playwright --version >/dev/null
	$(BIN)/python manage.py check
	$(BIN)/python -m pytest -n 2 -q $(PYTEST_ARGS)

bench: venv static
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lint: venv-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var test-results
