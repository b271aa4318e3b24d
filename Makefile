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

# Recompile the locks after editing a .in file (pip-tools is pinned in the lock itself):
# the server's requirements.txt and each compat client's tests/compat/requirements-prefect-*.txt.
COMPILE := $(VENV)/bin/pip-compile -q --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links
COMPAT_LOCKS := $(patsubst %.in,%.txt,$(wildcard tests/compat/requirements-prefect-*.in))
lock: venv
	$(COMPILE) -o requirements.txt requirements.in
	@for lock in $(COMPAT_LOCKS); do echo "$(COMPILE) -o $$lock $${lock%.txt}.in"; \
		$(COMPILE) -o $$lock $${lock%.txt}.in || exit 1; done

# The real prefect clients for tests/compat (2.8.7 and 2.10.21), each in its own venv under
# .compat-venv/ (keyed by a hash of its hashed lock); built before pytest starts so their
# one-off builds are not inside a test timeout.
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
