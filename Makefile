# tidekv developer entry points. `make run` and `make test` work on a fresh Debian 12
# machine as root: both install missing packages first (scripts/setup).

BUILD       ?= build
BUILD_ASAN  ?= build-asan
BUILD_FUZZ  ?= build-fuzz
JOBS        ?= $(shell nproc)
CONFIG      ?= config/tidekv.toml
FUZZ_SECONDS ?= 12
CMAKE_FLAGS ?=

.PHONY: all deps build run test test-unit test-asan test-fuzz bench format docs clean

all: build

deps:
	@bash scripts/setup

$(BUILD)/build.ninja: CMakeLists.txt | deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DTIDEKV_WERROR=ON $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# Starts the server in the foreground with the documented default config on port 6379.
run: build
	./$(BUILD)/tidekv-server --config $(CONFIG)

# Everything CI runs: Release build + all tests, the same tests under ASan/UBSan, a short
# libFuzzer run per fuzz target.
test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	$(MAKE) test-asan
	$(MAKE) test-fuzz
	@echo "make test: all suites passed"

test-unit: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L unit

# Under the sanitizers the damaged-directory matrix runs for one directory state (after kill
# -9) instead of three: each state is ~2 minutes of server starts there, and the parsers it
# reaches are the same (the Release run keeps all three). The two scale tests (a log bounded
# under a long overwrite load, a restart with a large dataset) run in Release only: under
# ASan they took 100 s and reach no code the other tests do not.
ASAN_EXCLUDE ?= every damaged file of a (cleanly stopped|never restarted) data directory|the log stays bounded under a steady overwrite load|a restart loads a large dataset and a long log tail

test-asan: deps
	cmake -S . -B $(BUILD_ASAN) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTIDEKV_SANITIZE=ON -DTIDEKV_WERROR=ON
	cmake --build $(BUILD_ASAN) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(BUILD_ASAN) --output-on-failure -j $(JOBS) -E "$(ASAN_EXCLUDE)"

FUZZERS ?= resp_parser_fuzz frame_fuzz manifest_fuzz trace_fuzz listpack_fuzz intset_fuzz hll_fuzz \
           value_codec_fuzz cmsgpack_fuzz struct_fuzz redis_payload_fuzz

test-fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B $(BUILD_FUZZ) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DTIDEKV_FUZZ=ON -DTIDEKV_TESTS=OFF
	cmake --build $(BUILD_FUZZ) -j $(JOBS) --target $(FUZZERS)
	for f in $(FUZZERS); do bash tests/fuzz/run.sh $(BUILD_FUZZ)/$$f $(FUZZ_SECONDS) || exit 1; done

# redis-benchmark against tidekv and redis-server in one run (not part of `make test`).
bench: build
	bash tests/bench/vs-redis.sh

format:
	clang-format-14 -i $$(git ls-files '*.h' '*.cc')

format-check:
	bash scripts/check-format

docs: build
	bash scripts/gen-config-docs $(BUILD)
	./$(BUILD)/tidekv-docs commands > docs/commands.md

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ)
