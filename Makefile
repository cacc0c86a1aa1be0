# Netral Learn — `make run` (demo app on SQLite) and `make test` (the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app app
HOST   ?= 127.0.0.1
PORT   ?= 5000
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
SYSTEM_PACKAGES := chromium fonts-dejavu-core poppler-utils libpango-1.0-0 libpangoft2-1.0-0 nginx-light systemd \
                   libreoffice-calc-nogui

.PHONY: run test install system-deps sso-provider translations bench lock clean

run: install
	$(FLASK) db upgrade
	HOST=$(HOST) PORT=$(PORT) $(FLASK) demo seed
	HOST=$(HOST) PORT=$(PORT) $(FLASK) run --host $(HOST) --port $(PORT)

test: install system-deps sso-provider
	@# The whole suite on SQLite (always), then again on PostgreSQL when TEST_DATABASE_URL is set.
	env -u TEST_DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS)
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL ($$TEST_DATABASE_URL)"; \
		$(BIN)/pytest -m "not browser" $(PYTEST_ARGS); \
	fi

install: $(STAMP) translations

$(STAMP): requirements.txt requirements-dev.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.txt
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

# The real OpenID Provider the SSO tests run locally (oidc-provider, pinned in its package-lock.json).
SSO_PROVIDER := tests/sso/provider
sso-provider:
	@if command -v npm >/dev/null 2>&1; then \
		if [ ! -f $(SSO_PROVIDER)/node_modules/.package-lock.json ] \
			|| [ $(SSO_PROVIDER)/package-lock.json -nt $(SSO_PROVIDER)/node_modules/.package-lock.json ]; then \
			cd $(SSO_PROVIDER) && npm ci --no-audit --no-fund --loglevel=error; \
		fi; \
	else echo "node and npm are missing: the SSO tests (local OpenID Provider) will be skipped (apt-get install nodejs npm)"; fi

bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

# Regenerate the hashed lock files from requirements.in / requirements-dev.in (pip-tools); see
# docs/operations.md, "Upgrading one dependency". LOCK_ARGS="--upgrade-package NAME" moves one.
LOCK_TOOL := .venv-lock/bin/pip-compile
LOCK_FLAGS := --quiet --generate-hashes --allow-unsafe --no-strip-extras --no-emit-find-links --no-emit-index-url
lock:
	test -x $(LOCK_TOOL) || ($(PYTHON) -m venv .venv-lock && .venv-lock/bin/pip install --quiet pip-tools==7.7.0)
	PIP_FIND_LINKS= $(LOCK_TOOL) $(LOCK_FLAGS) $(LOCK_ARGS) --output-file requirements.txt requirements.in
	PIP_FIND_LINKS= $(LOCK_TOOL) $(LOCK_FLAGS) $(LOCK_ARGS) --output-file requirements-dev.txt requirements-dev.in

clean:
	rm -rf $(VENV) instance/netral_learn.db* .pytest_cache $(SSO_PROVIDER)/node_modules
