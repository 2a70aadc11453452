# The two commands of the README. Both create the virtualenv and install on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-quick lint bench install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# A stamp per extra, so `make run` after `make test` does not reinstall.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} ORGDESIGN_ADDRESS=http://$(HOST):$(PORT) $(BIN)/python manage.py seed_demo
	# The worker of background jobs, and the scheduler of what is due (directory pulls), run
	# beside the server and stop with it.
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py db_worker & \
	  WORKER=$$!; \
	  DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py run_schedule & \
	  SCHEDULE=$$!; trap "kill $$WORKER $$SCHEDULE 2>/dev/null" EXIT INT TERM; \
	  DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py runserver $(HOST):$(PORT)

# Every test, on every core (pytest-xdist; worksteal evens out the long ones). PYTEST_ARGS adds
# to it, e.g. PYTEST_ARGS="-n 0" to run in one process.
test: install-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest -n auto --dist worksteal $(PYTEST_ARGS)

# The inner loop: no browser, checker, web-process, worker, benchmark or large-organisation test.
test-quick: install-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest -n auto --dist worksteal -m "not browser and not complete and not slow" \
	  $(PYTEST_ARGS)

# The figures of docs/performance.md on PostgreSQL: SIZE=M (a few minutes) or SIZE=L; writes
# benchmarks/results/<size>.json. BENCH_URL names a database the benchmark may fill.
SIZE ?= M
BENCH_URL ?= postgres://postgres@127.0.0.1:5432/orgdesign_bench
bench: install-dev
	psql "$(BENCH_URL)" -c "SELECT 1" >/dev/null 2>&1 || createdb -h 127.0.0.1 -U postgres orgdesign_bench
	DATABASE_URL=$(BENCH_URL) DJANGO_SETTINGS_MODULE=orgdesign.settings_test $(BIN)/python manage.py migrate --noinput -v 0
	DATABASE_URL=$(BENCH_URL) $(BIN)/python benchmarks/bench.py $(SIZE)

lint: install-dev
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
