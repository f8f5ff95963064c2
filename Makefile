# NHS Patient View. `make run` starts the portal; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install run migrate demo test test-fast test-dates lint format train evaluate bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first, on its own: the CPU build of this exact version, before anything depends on it.
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py import_ods
	@# Two years of synthetic feedback for the dashboards, once (real submissions come on top).
	@# Most go to the demo accounts' trust and ICB, so their queues look as a busy one's would.
	$(BIN)/python manage.py generate_feedback --count 15000 --seed 1 --focus RJ1 QMJ --if-empty
	@echo "Demo staff logins (new passwords each run):"
	@$(BIN)/python manage.py load_demo_staff

run: demo
	HOST=$(HOST) PORT=$(PORT) scripts/run-local

# axe-core (npm) for the browser tests only: `make run` needs no Node, the NHS design system's
# build output is committed (rebuild it with `npm ci && npm run build:css`, see docs/adr/0005).
node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: the browser tests need axe-core (npm ci)"; exit 0; }
	npm ci --no-audit --no-fund

test: install node_modules/.package-lock.json
	$(BIN)/pytest

# Everything but the browser, integration and slow tests (fuzzing, contract tests, model runs).
test-fast: install
	$(BIN)/pytest -q -m "not browser and not integration and not slow"

# The suite's fast lane on the dates a calendar bug shows on: the first day of a month (just after
# midnight in summer, when UTC is still in the month before), 29 February, New Year's Eve late at
# night, a substitute bank holiday, and both clock-change days in their odd hours.
TEST_DATES ?= 2027-07-01T00:30:00+01:00 2026-12-01T00:05:00+00:00 2028-02-29T12:00:00+00:00 \
	2026-12-31T23:30:00+00:00 2026-12-28T10:00:00+00:00 2027-03-28T00:30:00+00:00 \
	2027-10-31T01:30:00+00:00
test-dates: install
	@for now in $(TEST_DATES); do \
		echo "== the suite on $$now"; \
		PATIENTVIEW_TEST_NOW=$$now $(BIN)/pytest -q -p no:cacheprovider \
			-m "not browser and not integration and not slow" || exit 1; \
	done

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The sentiment and theme model, then the triage reader for it (each writes analytics/artifacts/).
train: install
	$(BIN)/python manage.py train_models
	$(BIN)/python manage.py train_triage $(if $(TRIAGE_CORRECTIONS),--corrections $(TRIAGE_CORRECTIONS))

evaluate: install
	$(BIN)/python manage.py evaluate_models
	$(BIN)/python manage.py evaluate_triage

# All the benchmarks, or some: make bench BENCH="dashboard export_stream" (see bench/run.py).
bench: install
	$(BIN)/python bench/run.py $(BENCH)

clean:
	rm -rf var/ .pytest_cache .mypy_cache .ruff_cache
