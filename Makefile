# The project's front door. `make test` and `make run` work on a fresh Debian
# machine: every target first installs what it needs (scripts/setup.sh).
BUILD      := build
ASAN_BUILD := build-asan
FUZZ_BUILD := build-fuzz
FUZZ_SECONDS ?= 60
EXAMPLE    := examples/services.toml

.PHONY: all setup build run test asan fuzz format clean

all: build

setup:
	@scripts/setup.sh

build: setup
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) >/dev/null
	@meson compile -C $(BUILD) >/dev/null || meson compile -C $(BUILD)

# Until the daemon lands, running tend on the example registry means
# validating it and showing its dependency order.
run: build
	./$(BUILD)/tend validate -c $(EXAMPLE)
	./$(BUILD)/tend services dependencies -c $(EXAMPLE)

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
	@meson compile -C $(FUZZ_BUILD) fuzz-toml >/dev/null || meson compile -C $(FUZZ_BUILD) fuzz-toml
	@mkdir -p fuzz/corpus
	./$(FUZZ_BUILD)/fuzz/fuzz-toml -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		-max_len=4096 fuzz/corpus ../shared/conformance/toml

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
