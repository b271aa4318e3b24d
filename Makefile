# Orion on Django: `make run` serves on http://127.0.0.1:4200, `make test` runs the suite.
# Only python3 and make are assumed; everything else is installed into .venv on first use.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# requirements.txt is the lock: every package pinned and hashed, compiled from the top-level
# requirements.in by `make lock`, so a fresh machine installs exactly what CI tested.
# The stamp records which requirements.txt the venv was built from: pip only runs again
# when that file changes (or the venv is gone), so repeated `make` calls start at once.
STAMP := $(VENV)/.requirements.stamp
PYTEST_ARGS ?=
HOST ?= 127.0.0.1
PORT ?= 4200
# Serving processes; empty: 1 on SQLite, one per core on PostgreSQL (orion_serve decides).
WORKERS ?=

.PHONY: venv compat-venv lock run test test-fast services clean

venv: $(STAMP)

$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check --no-input -q -r requirements.txt
	@cp requirements.txt $@

# Recompile the lock after editing requirements.in (pip-tools is pinned in the lock itself).
lock: venv
	$(VENV)/bin/pip-compile -q --generate-hashes --allow-unsafe --strip-extras \
		--no-emit-index-url --no-emit-find-links -o requirements.txt requirements.in

# The real prefect==2.8.7 client for tests/compat, cached in .compat-venv/ (keyed by a hash
# of its pins); built before pytest starts so its one-off build is not inside a test timeout.
compat-venv: venv
	@$(PY) tests/compat/harness.py build-venv >/dev/null

run: venv
	$(PY) manage.py orion_serve --host $(HOST) --port $(PORT)$(if $(WORKERS), --workers $(WORKERS))

test: venv compat-venv
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: venv
	$(PY) -m pytest -m "not compat" $(PYTEST_ARGS)

services: venv
	$(PY) manage.py orion_services

clean:
	rm -rf $(VENV) .compat-venv .pytest_cache var
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
