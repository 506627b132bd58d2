# The two commands: `make demo` and `make test`. Everything else is set up from here.
# `make install PREFIX=/opt/shiji` is the production install (README, "Deployment").
PY ?= python3
PREFIX ?= /opt/shiji
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-sqlite lint bench clean install readme

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Other ports, when 8701 (the page) or 8700 (the bot) is taken: make demo DEMO_PORT=8711 DEMO_BOT_PORT=8710
demo: $(STAMP)
	$(BIN)/shiji demo $(if $(DEMO_PORT),--port $(DEMO_PORT)) $(if $(DEMO_BOT_PORT),--bot-port $(DEMO_BOT_PORT))

BROWSER_PACKAGES := chromium fonts-wqy-microhei fonts-noto-color-emoji

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	@$(BIN)/pytest; status=$$?; \
	test -x /usr/bin/chromium || echo "NOTE: the demo page's browser tests were SKIPPED (no /usr/bin/chromium). Enable them: apt-get install -y $(BROWSER_PACKAGES)"; \
	exit $$status

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# README's chat command table is rendered from the router (tests/test_readme.py checks it).
readme: $(STAMP)
	$(BIN)/python -m tests.test_readme

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m tests.bench.run_all

# The program alone, without the dev extras (pytest, playwright…): a venv of its own under
# PREFIX with shiji built from this checkout as a wheel. Run again to upgrade in place.
install:
	$(PY) -m venv $(PREFIX)/.venv
	$(PREFIX)/.venv/bin/pip install --quiet --upgrade pip
	$(PREFIX)/.venv/bin/pip install --quiet --upgrade .
	@echo "installed $(PREFIX)/.venv/bin/shiji; systemd unit: deploy/shiji.service"

clean:
	rm -rf $(VENV) data/*.db data/*.db-*
