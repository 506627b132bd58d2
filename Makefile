# The two commands: `make demo` and `make test`. Everything else is set up from here.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-sqlite lint bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/shiji demo

BROWSER_PACKAGES := chromium fonts-wqy-microhei fonts-noto-color-emoji

test: $(STAMP)
	$(BIN)/ruff check .
	@$(BIN)/pytest; status=$$?; \
	test -x /usr/bin/chromium || echo "NOTE: the demo page's browser tests were SKIPPED (no /usr/bin/chromium). Enable them: apt-get install -y $(BROWSER_PACKAGES)"; \
	exit $$status

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m tests.bench.run_all

clean:
	rm -rf $(VENV) data/*.db data/*.db-*
