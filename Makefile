# Classlights: the commands a developer and CI use. `make help` lists them.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# The pinned tools (cargo-lambda, moto_server, cfn-lint, schemathesis) come first.
export PATH := $(CURDIR)/.venv/bin:$(PATH)

VENV_STAMP := .venv/.installed

.PHONY: help setup dev test lint bench clean

help:
	@echo "make setup   install the pinned tools into .venv (and missing system packages)"
	@echo "make dev     run the whole system locally: API on http://127.0.0.1:9000/v1"
	@echo "make test    every test: unit, integration, end-to-end, API contract, template lint"
	@echo "make lint    cfn-lint, cargo fmt --check, cargo clippy -D warnings"
	@echo "make bench   release builds (x86_64, arm64) measured: requests, latency, size, cold start"
	@echo "make clean   remove .local, .venv and cargo's target directory"

$(VENV_STAMP): requirements-dev.txt infra/local/setup.sh
	infra/local/setup.sh
	touch $@

setup: $(VENV_STAMP)

dev: setup
	infra/local/dev.sh

test: setup
	infra/local/test.sh

lint: setup
	cfn-lint infra/template.yaml
	python3 infra/local/stack.py check-routes
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

bench: setup
	infra/local/bench.sh

clean:
	rm -rf .local .venv
	cargo clean
