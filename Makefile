# Ledge developer entry points. `make test` is what CI runs (.ci/run).
# LEDGE_HOME is the set-up folder with runtimes, venv and fixtures.
LEDGE_HOME ?= $(CURDIR)/.ledge
export LEDGE_HOME
# ONNX Runtime's wheels (1.29 on) send telemetry from Linux: a device id and an event database under
# ~/.cache/Microsoft, uploads to mobile.events.data.microsoft.com. The reference runtime in the venv
# (set-up, tests, benchmarks) gets the runtime's own opt-out, as the ledge binary sets it for itself.
export ORT_DISABLE_TELEMETRY ?= 1
SWIFT ?= swift
# Release builds link the Swift runtime and Foundation statically: a process starts in
# ~13 ms instead of ~50 ms (the dynamic linker's symbol lookups) and maps less code.
# Stripped at link time: images and devices get no symbol tables (51 MB instead of 163).
# Each function in a section of its own (Swift and C): the link drops the unused ones and places the
# functions `ledge serve` runs side by side, in the order of scripts/hot_text.order (`make hot-text`
# writes it) — the kernel maps code 64 KiB at a time, so scattered code costs RSS it does not run.
SECTION_FLAGS = -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections
RELEASE_FLAGS ?= --static-swift-stdlib $(SECTION_FLAGS) -Xlinker --strip-all -Xlinker --section-ordering-file=$(CURDIR)/scripts/hot_text.order
# swift-driver's incremental build recompiles nothing when only -Xfrontend flags change: a release
# build made with other compile flags is removed before the next one (.build/release-compile-flags
# records them), or its objects would be linked without their sections.
RELEASE_OBJECTS_CHECK = [ "$$(cat .build/release-compile-flags 2>/dev/null)" = "$(SECTION_FLAGS)" ] || { \
	if [ -e .build/release ]; then echo "removing the release build made with other compile flags"; rm -rf "$$(readlink -f .build/release)"; fi; \
	mkdir -p .build && echo "$(SECTION_FLAGS)" > .build/release-compile-flags; }
# The release binary must read its arguments: a static build once printed the root help for
# every command and exited 0 (a C constructor had moved the environment block, beside which
# the Swift runtime looks for argv, when ORT_DISABLE_TELEMETRY was not set, as it is here).
# `--version` must print the version.
RELEASE_CHECK = env -u ORT_DISABLE_TELEMETRY .build/release/ledge --version | grep -Eqx '[0-9]+\.[0-9]+\.[0-9]+' || { echo "error: .build/release/ledge does not read its arguments" >&2; exit 1; }
IMAGES := $(LEDGE_HOME)/fixtures/images
MODELS := $(LEDGE_HOME)/fixtures/models

.PHONY: all setup build release test run bench bench-package bench-deploy bench-serve bench-grpc bench-quantize bench-probe bench-graph-cache bench-compression bench-batching bench-instructions hot-text soak lint format fuzz fuzz-libfuzzer fuzz-schemathesis clean distclean

all: build

## setup: system packages, Python venv, runtime libraries, fixtures, references
setup:
	scripts/setup.sh

## build: debug build of the package
build:
	$(SWIFT) build

## test: set up, then build and run all tests (scripts/run_tests.sh: a hung test fails the run after
## LEDGE_TEST_TIME_LIMIT seconds, naming the tests still running, instead of running out CI's clock)
test: setup
	$(SWIFT) build --build-tests
	SWIFT=$(SWIFT) scripts/run_tests.sh $(TEST_ARGS)

## run: serve efficientnet_lite0 on port 8000 with the release CLI (prints the URL; Ctrl-C stops it)
run: setup
	@$(RELEASE_OBJECTS_CHECK)
	$(SWIFT) build -c release --product ledge $(RELEASE_FLAGS)
	@$(RELEASE_CHECK)
	.build/release/ledge classify -m $(MODELS)/efficientnet_lite0.tflite \
		-i $(IMAGES)/chelsea.jpg -i $(IMAGES)/coffee.jpg -k 3 -c 5
	.build/release/ledge serve --model $(MODELS)/efficientnet_lite0.tflite --name efficientnet_lite0 --port 8000

## bench: run the benchmark suite (Benchmarks/run.sh: runtimes, ledge bench, ledge serve under wrk)
bench: setup
	Benchmarks/run.sh $(BENCH_ARGS)

## bench-serve: only the ledge serve benchmark (wrk on loopback)
bench-serve: setup
	SERVE_ONLY=1 Benchmarks/run.sh $(BENCH_ARGS)

## bench-grpc: ledge serve over gRPC (h2load, tritonclient) against HTTP V2 JSON (wrk, h2load --h1) and ledge bench, one run
bench-grpc: setup
	@$(RELEASE_OBJECTS_CHECK)
	$(SWIFT) build -c release --product ledge $(RELEASE_FLAGS)
	@$(RELEASE_CHECK)
	command -v wrk >/dev/null || env DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null
	$(LEDGE_HOME)/venv-grpc/bin/python Benchmarks/grpc_bench.py --ledge .build/release/ledge $(BENCH_ARGS)

## release: the release ledge (static Swift runtime, stripped); on an arm64 machine this is the --binary linux/arm64 file
release: setup
	@$(RELEASE_OBJECTS_CHECK)
	$(SWIFT) build -c release --product ledge $(RELEASE_FLAGS)
	@$(RELEASE_CHECK)
	@echo "built .build/release/ledge"

## hot-text: rewrite scripts/hot_text.order from perf samples of the release server under load
## (scripts/hot_text.py; needs perf: apt-get install linux-perf), then relink the release ledge with it
hot-text: setup
	@$(RELEASE_OBJECTS_CHECK)
	$(SWIFT) build -c release --product ledge --static-swift-stdlib $(SECTION_FLAGS)
	python3 scripts/hot_text.py --ledge .build/release/ledge
	$(SWIFT) build -c release --product ledge $(RELEASE_FLAGS)
	@$(RELEASE_CHECK)

## bench-quantize: ledge quantize (release) against ONNX Runtime's quantize_static on the same tensors, int8 against float latency
bench-quantize: setup
	@$(RELEASE_OBJECTS_CHECK)
	$(SWIFT) build -c release --product ledge $(RELEASE_FLAGS)
	@$(RELEASE_CHECK)
	$(LEDGE_HOME)/venv/bin/python Benchmarks/quantize_bench.py --ledge .build/release/ledge $(BENCH_ARGS)

## bench-batching: ledge serve of mobilenet_gen.onnx at 16 clients with and without dynamic batching, against ledge bench --batch 1,8
bench-batching: setup
	Benchmarks/batching.sh $(BENCH_ARGS)

## bench-package: image sizes per platform and layer, time to package, to push, to push again unchanged
bench-package: setup
	@$(RELEASE_OBJECTS_CHECK)
	$(SWIFT) build -c release --product ledge $(RELEASE_FLAGS)
	@$(RELEASE_CHECK)
	Benchmarks/package_size.sh .build/release/ledge

## bench-deploy: first / unchanged / model-only deploy to three loopback sshd devices, bytes sent, switch time
bench-deploy: setup
	$(SWIFT) build --build-tests
	Benchmarks/deploy.sh

## bench-probe: ready time with and without the model probe (cold and warm cache), the probe's peak RSS
bench-probe: setup
	@$(RELEASE_OBJECTS_CHECK)
	$(SWIFT) build -c release --product ledge $(RELEASE_FLAGS)
	@$(RELEASE_CHECK)
	$(LEDGE_HOME)/venv/bin/python Benchmarks/probe_bench.py --ledge .build/release/ledge $(BENCH_ARGS)

## bench-compression: bytes and server p50 of plain vs deflate-compressed infer bodies (binary tensors and JSON)
bench-compression: setup
	@$(RELEASE_OBJECTS_CHECK)
	$(SWIFT) build -c release --product ledge $(RELEASE_FLAGS)
	@$(RELEASE_CHECK)
	$(LEDGE_HOME)/venv/bin/python Benchmarks/compression_bench.py --ledge .build/release/ledge $(BENCH_ARGS)

## bench-graph-cache: ready time and peak RSS with and without kept optimized ONNX graphs (--onnx-cache)
bench-graph-cache: setup
	@$(RELEASE_OBJECTS_CHECK)
	$(SWIFT) build -c release --product ledge $(RELEASE_FLAGS)
	@$(RELEASE_CHECK)
	$(LEDGE_HOME)/venv/bin/python Benchmarks/graph_cache_bench.py --ledge .build/release/ledge $(BENCH_ARGS)

## bench-instructions: instructions per add.onnx JSON infer and per GET /v2/health/live under callgrind (a count, free of the VM's noise)
bench-instructions: setup
	command -v valgrind >/dev/null || env DEBIAN_FRONTEND=noninteractive apt-get install -y valgrind >/dev/null
	Benchmarks/request_instructions.sh $(BENCH_ARGS)

## soak: mixed good and bad traffic at 32 connections for SOAK_SECONDS (default 600) under wrk
## (SOAK_ARGS=--grpc adds good and bad gRPC calls under h2load)
SOAK_SECONDS ?= 600
SOAK_ARGS ?=
soak: setup
	@$(RELEASE_OBJECTS_CHECK)
	$(SWIFT) build -c release --product ledge $(RELEASE_FLAGS)
	@$(RELEASE_CHECK)
	command -v wrk >/dev/null || env DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null
	$(LEDGE_HOME)/venv/bin/python Benchmarks/soak.py --ledge .build/release/ledge --duration $(SOAK_SECONDS) $(SOAK_ARGS)

## lint: check the formatting of the Swift sources against .swift-format (the toolchain's swift format)
lint:
	$(SWIFT) format lint --strict --recursive --parallel Package.swift Sources Tests Fuzz/Package.swift Fuzz/Sources

## format: rewrite the Swift sources in the .swift-format style
format:
	$(SWIFT) format --in-place --recursive --parallel Package.swift Sources Tests Fuzz/Package.swift Fuzz/Sources

## fuzz: libFuzzer targets (Fuzz/run.sh, FUZZ_SECONDS per target, default 60), then Schemathesis against ledge serve; not part of test
fuzz: fuzz-libfuzzer fuzz-schemathesis

## fuzz-libfuzzer: build Fuzz/ with -sanitize=fuzzer,address in .build-fuzz, replay Fuzz/Crashers, run each target for a bounded time
fuzz-libfuzzer:
	Fuzz/run.sh

## fuzz-schemathesis: docs/openapi-v2.yaml against the debug ledge serve (own venv $(LEDGE_HOME)/venv-fuzz)
fuzz-schemathesis: setup
	$(SWIFT) build --product ledge
	scripts/run_schemathesis.sh

## clean: remove build products (keeps the set-up folder)
clean:
	rm -rf .build .build-fuzz

## distclean: also remove the repository's own set-up folder (<repo>/.ledge)
distclean: clean
	rm -rf $(CURDIR)/.ledge
