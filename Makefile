# Dealcast: the two commands of the quick start are `make run` and `make test`.
SWIFT ?= swift
# Arguments passed to `dealcast run` by `make run`, e.g. make run ARGS="--trials 1000000 --seed 7".
ARGS ?=

.PHONY: all deps build run test bench clean

all: build

## Install GSL and pkg-config with apt-get when they are missing.
deps:
	@./scripts/ensure-deps.sh

## Build the dealcast executable, optimised.
build: deps
	$(SWIFT) build -c release --product dealcast

## Run the embedded default scenario (Amazon–OpenAI, Feb 2026) and write reports/amazon-openai-2026/.
run: build
	.build/release/dealcast run $(ARGS)

## Build and run every test.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

clean:
	rm -rf .build reports
