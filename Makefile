# trading-bot — every verb of the project. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TORCH := torch==2.13.0
EXTRAS := all,finbert,bench,dev

export PYTHONDONTWRITEBYTECODE := 1

DASHBOARD := dashboard
DASHBOARD_STAMP := $(DASHBOARD)/node_modules/.installed
DASHBOARD_SOURCES := $(shell find $(DASHBOARD)/src $(DASHBOARD)/public -type f 2>/dev/null) \
	$(wildcard $(DASHBOARD)/index.html $(DASHBOARD)/vite.config.ts $(DASHBOARD)/tsconfig*.json)
CHROMIUM := /usr/bin/chromium

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU build of torch; any other spec would download a CUDA build of several GB.
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e ".[$(EXTRAS)]"
	touch $(STAMP)

.PHONY: install
install: $(STAMP) ## Create the virtual environment and install everything

.PHONY: services
services: ## Make sure the local PostgreSQL and Redis are running (starts them if stopped)
	@scripts/ensure-services.sh

.PHONY: run
run: install dashboard-build ## Run the whole bot on embedded defaults; dashboard at http://127.0.0.1:8000
	$(BIN)/trading-bot up

.PHONY: lint
lint: install ## ruff, mypy (strict on src/), import-linter
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

.PHONY: format
format: install ## Format and auto-fix the Python code
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

.PHONY: test
test: install services lint dashboard-check e2e ## Set up everything, lint, and run every test
	$(BIN)/pytest

.PHONY: bench
bench: install services ## Run the benchmarks; results feed docs/benchmarks.md
	$(BIN)/python -m benchmarks

$(DASHBOARD_STAMP): $(DASHBOARD)/package-lock.json
	cd $(DASHBOARD) && npm ci --no-audit --no-fund
	touch $@

.PHONY: dashboard-install
dashboard-install: $(DASHBOARD_STAMP) ## Install the dashboard's npm packages (npm ci, when the lock file changed)

$(DASHBOARD)/dist/index.html: $(DASHBOARD_STAMP) $(DASHBOARD_SOURCES)
	cd $(DASHBOARD) && npm run build

.PHONY: dashboard-build
dashboard-build: $(DASHBOARD)/dist/index.html ## Build the dashboard into dashboard/dist (when its sources changed)

.PHONY: dashboard-client
dashboard-client: install $(DASHBOARD_STAMP) ## Regenerate dashboard/openapi.json from the API and the typed client from it
	$(DASHBOARD)/scripts/generate-client.sh $(BIN)/trading-bot

.PHONY: dashboard-check
dashboard-check: install $(DASHBOARD_STAMP) ## Dashboard: tsc, eslint, vitest, and fail when the API client is stale
	cd $(DASHBOARD) && npm run typecheck && npm run lint && npm test
	$(DASHBOARD)/scripts/check-client.sh $(BIN)/trading-bot

.PHONY: dashboard-dev
dashboard-dev: $(DASHBOARD_STAMP) ## Run the dashboard with hot reload on :5173, proxying the API on :8000
	cd $(DASHBOARD) && npm run dev

$(CHROMIUM):
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium

.PHONY: e2e
e2e: install dashboard-build $(CHROMIUM) ## Browser tests in Chromium against a real `trading-bot up`; refresh the screenshots
	cd $(DASHBOARD) && TRADING_BOT="$(abspath $(BIN))/trading-bot" npm run test:e2e

.PHONY: clean
clean: ## Remove the virtual environment, caches and local data
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis data build dist
	rm -rf $(DASHBOARD)/node_modules $(DASHBOARD)/dist $(DASHBOARD)/test-results
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
