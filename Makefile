# Dealcast: the two commands of the quick start are `make run` and `make test`.
SWIFT ?= swift
# Arguments passed to `dealcast run` by `make run`, e.g. make run ARGS="--trials 1000000 --seed 7".
ARGS ?=
# `make fuzz`: how long to fuzz (seconds), and the folder for the fuzzer's build, growing corpus and crashes.
FUZZ_SECONDS ?= 120
FUZZ_DIR ?= .build-fuzz
# `make bench`: arguments of bench/bench.py, and the build folder of the release executable it times.
BENCH_ARGS ?=
BENCH_SCRATCH ?= .build

.PHONY: all deps build run test bench fuzz clean

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

## Benchmark (issue 8): build release, then time the default scenario at 10^5, 10^6 and 10^7 trials on
## 1 thread and all cores against bench/numpy_reference.py and the draw floor; writes
## bench/results/<date>.md. BENCH_ARGS go to bench/bench.py, e.g. BENCH_ARGS="--trials 1e5,1e6 --skip-numpy"
## (bench/README.md). BENCH_SCRATCH is the build folder of the executable timed.
bench: deps
	@./scripts/ensure-deps.sh --bench
	$(SWIFT) build -c release --product dealcast --scratch-path $(BENCH_SCRATCH)
	python3 bench/bench.py --dealcast $(BENCH_SCRATCH)/release/dealcast $(BENCH_ARGS)

## Fuzz the scenario loader and binder with libFuzzer for FUZZ_SECONDS seconds, starting from the
## invalid-scenario corpus and the bundled datasets. A crash, hang or runaway allocation is saved as
## $(FUZZ_DIR)/artifacts/crash-* (or timeout-*, oom-*); docs/security.md says how to turn it into a test.
fuzz: deps
	DEALCAST_FUZZ=1 $(SWIFT) build --product DealcastFuzz --scratch-path $(FUZZ_DIR) \
		-Xswiftc -sanitize=fuzzer -Xcc -fsanitize=fuzzer-no-link
	mkdir -p $(FUZZ_DIR)/corpus $(FUZZ_DIR)/artifacts
	SWIFT_BACKTRACE=enable=no DEALCAST_FUZZ_BASE=datasets $(FUZZ_DIR)/debug/DealcastFuzz \
		-max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
		-dict=Sources/DealcastFuzz/scenario.dict -artifact_prefix=$(FUZZ_DIR)/artifacts/ \
		$(FUZZ_DIR)/corpus Tests/DealcastCLITests/Corpus/invalid datasets

clean:
	rm -rf .build reports
