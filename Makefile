# Netral Learn — `make run` (demo app on SQLite) and `make test` (the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app app
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
SYSTEM_PACKAGES := chromium fonts-dejavu-core poppler-utils libpango-1.0-0 libpangoft2-1.0-0 libreoffice-calc-nogui

.PHONY: run test install system-deps translations bench clean

run: install
	$(FLASK) db upgrade
	$(FLASK) demo seed
	$(FLASK) run --host 127.0.0.1 --port 5000

test: install system-deps
	@# The whole suite on SQLite (always), then again on PostgreSQL when TEST_DATABASE_URL is set.
	env -u TEST_DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS)
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL ($$TEST_DATABASE_URL)"; \
		$(BIN)/pytest -m "not browser" $(PYTEST_ARGS); \
	fi

install: $(STAMP) translations

$(STAMP): requirements.txt requirements-dev.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

translations: $(STAMP)
	@$(BIN)/pybabel compile --statistics -d translations >/dev/null

# Debian packages for PDF rendering and the browser tests (Chromium; never a downloaded browser).
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing; \
		else echo "Install these Debian packages first:$$missing (sudo apt-get install$$missing)"; exit 1; fi; \
	fi

bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance/netral_learn.db* .pytest_cache
