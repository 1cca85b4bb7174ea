# The project's front door. `make test` and `make run` work on a fresh Debian
# machine: every target first installs what it needs (scripts/setup.sh).
BUILD      := build
ASAN_BUILD := build-asan
FUZZ_BUILD := build-fuzz
FUZZ_SECONDS ?= 60
# fuzz-rpc: its niceness, and more libFuzzer flags (FUZZ_RPC_FLAGS=-runs=10000000).
FUZZ_NICE ?= 10
FUZZ_RPC_FLAGS ?=
EXAMPLE    := examples/services.toml

.PHONY: all setup build run test asan fuzz bench fresh-check format clean

all: build

setup:
	@scripts/setup.sh

build: setup
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) >/dev/null
	@meson compile -C $(BUILD) >/dev/null || meson compile -C $(BUILD)

# tend on the example registry, in the foreground (Ctrl+C stops it and
# every service). In another shell: export TEND_HOME=$$PWD/.tend and
# ./build/tend services list.
run: build
	./$(BUILD)/tend validate -c $(EXAMPLE)
	TEND_HOME=$(CURDIR)/.tend ./$(BUILD)/tend daemon -c $(EXAMPLE)

test: build
	@scripts/run-tests.sh $(BUILD)

# The same tests against a build with AddressSanitizer and UBSan.
asan: setup
	@[ -f $(ASAN_BUILD)/build.ninja ] || meson setup $(ASAN_BUILD) \
		-Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fno-sanitize-recover=all -Dbuildtype=debug >/dev/null
	@meson compile -C $(ASAN_BUILD) >/dev/null || meson compile -C $(ASAN_BUILD)
	@scripts/run-tests.sh $(ASAN_BUILD)

# libFuzzer on the TOML parser, seeded with the conformance files.
fuzz:
	@scripts/setup.sh fuzz
	@[ -f $(FUZZ_BUILD)/build.ninja ] || CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=true \
		-Dbuildtype=debugoptimized >/dev/null
	@meson compile -C $(FUZZ_BUILD) fuzz-toml fuzz-rpc >/dev/null || \
		meson compile -C $(FUZZ_BUILD) fuzz-toml fuzz-rpc
	@mkdir -p fuzz/corpus fuzz/corpus-rpc fuzz/artifacts
	./$(FUZZ_BUILD)/fuzz/fuzz-toml -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		-max_len=4096 fuzz/corpus ../shared/conformance/toml
	@/usr/bin/python3 scripts/fuzz_seeds.py $(FUZZ_BUILD)/fuzz/seeds-rpc $(FUZZ_BUILD)/fuzz/rpc.dict
	nice -n $(FUZZ_NICE) ./$(FUZZ_BUILD)/fuzz/fuzz-rpc -max_total_time=$(FUZZ_SECONDS) \
		$(FUZZ_RPC_FLAGS) -print_final_stats=1 -max_len=8192 -artifact_prefix=fuzz/artifacts/ \
		-dict=$(FUZZ_BUILD)/fuzz/rpc.dict fuzz/corpus-rpc $(FUZZ_BUILD)/fuzz/seeds-rpc \
		../shared/conformance/json/test_parsing

# Speed and memory: tend alone through its API, then side by side with s6,
# runit and supervisord (../shared/bench/peers.py). Not part of make test.
BENCH_N ?= 1000
bench: build
	@scripts/setup.sh bench
	/usr/bin/python3 bench/bench_tend.py $(BENCH_N)
	/usr/bin/python3 bench/bench_dashboard.py $(BENCH_N)
	/usr/bin/python3 bench/bench_adopt.py $(BENCH_N)
	TEND_BIN=$(CURDIR)/$(BUILD)/tend /usr/bin/python3 ../shared/bench/peers.py $(BENCH_N)

# The README's commands on a new Debian 12 root (debootstrap, in .fresh/),
# in PID, mount and network namespaces of its own. Root; needs the Debian
# mirror. Not part of make test.
fresh-check:
	@scripts/fresh-check.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
