# admitd: a Kubernetes validating admission webhook.
#
#   make          build build/admitd
#   make run      install what is missing, build, start on https://localhost:8443
#   make test     install what is missing, build, run every test (also under ASan+UBSan,
#                 the deployment checks, the html pages in a browser and the end-to-end
#                 run against a real kube-apiserver)
#   make browser  only the --output html pages in headless chromium
#   make e2e      only the end-to-end run (the first one builds kube-apiserver 1.20, cached)
#   make bench    figures: throughput, latency, memory
#   make fuzz     libFuzzer targets, 300 s each

SHELL      := /bin/bash
CC         ?= cc
BUILD      ?= build
PKGS       := libh2o-evloop openssl jansson libcyaml yaml-0.1 libpcre2-8
# libcurl: headers at build time only; `audit --cluster` dlopen()s it
CURL_PKG   := libcurl
# Debian packages the build, the tests and `make run` need.
DEB_PKGS   := gcc make pkg-config libh2o-evloop-dev libssl-dev libjansson-dev libcyaml-dev \
              libyaml-dev libcurl4-openssl-dev libcmocka-dev openssl curl nghttp2-client clang clang-format python3 \
              python3-yaml libnghttp2-dev libpcre2-dev

# `=` (not `:=`): pkg-config runs only once the packages are there.
CFLAGS_BASE = -std=c11 -D_GNU_SOURCE -DH2O_USE_LIBUV=0 -Wall -Wextra -Werror -g \
              $(shell pkg-config --cflags $(PKGS) $(CURL_PKG))
OPT        ?= -O2
SANFLAGS   ?=
CFLAGS     += $(CFLAGS_BASE) $(OPT) $(SANFLAGS)
LDFLAGS    += $(SANFLAGS)
LDLIBS      = $(shell pkg-config --libs $(PKGS)) -lpthread -lm

SRCS       := $(wildcard webhook/*.c policies/*.c)
LIB_SRCS   := $(filter-out webhook/main.c,$(SRCS))
LIB_OBJS   := $(LIB_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRCS:%.c=$(BUILD)/%)
UNIT_HELP  := $(filter-out $(UNIT_SRCS),$(wildcard tests/unit/*.c))
UNIT_HOBJS := $(UNIT_HELP:%.c=$(BUILD)/%.o)

# keep test objects between runs (make would delete them as intermediates)
.SECONDARY:

.PHONY: all deps run test test-run unit race integration asan check-format-result clean check-format docs bench deploy e2e fuzz fuzz-quick browser

all: $(BUILD)/admitd

$(BUILD)/%.o: %.c $(wildcard webhook/*.h policies/*.h policies/*.def tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# each policy's page is embedded in registry.o (.incbin)
$(BUILD)/policies/registry.o: $(wildcard policies/*.md)

# <h2o/http2_internal.h> wants klib's khash.h, which Debian does not ship
$(BUILD)/webhook/h2guard.o $(BUILD)/tests/unit/test_h2guard.o: CFLAGS += -Iwebhook/compat

$(BUILD)/admitd: $(LIB_OBJS) $(BUILD)/webhook/main.o
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/unit/test_%: $(BUILD)/tests/unit/test_%.o $(UNIT_HOBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# Installs only what is missing, so a ready machine pays one dpkg query.
deps:
	@missing=$$(for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		if [ "$$(id -u)" != 0 ]; then echo "need root to install: $$missing" >&2; exit 1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

run: deps
	@$(MAKE) --no-print-directory $(BUILD)/admitd
	@./tests/dev-run.sh $(BUILD)/admitd

# Each suite appends one pass/fail line per test to $(RESULTS).
RESULTS    ?= $(CURDIR)/$(BUILD)/test-results
export RESULTS

unit: $(UNIT_BINS)
	@ADMITD_SHARED=$(CURDIR)/../shared ./tests/unit/run.sh $(UNIT_BINS)

# HTTP/2 Rapid Reset client for tests/integration/test_hostile.sh (never sanitized)
$(BUILD)/rapid_reset: tests/hostile/rapid_reset.c
	@mkdir -p $(dir $@)
	cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -o $@ $< $$(pkg-config --cflags --libs libnghttp2 openssl)

# drives the registry client (webhook/oci.c) for tests/integration/test_oci.sh
$(BUILD)/oci_probe: $(BUILD)/tests/integration/oci_probe.o $(BUILD)/webhook/oci.o \
		$(BUILD)/webhook/libcurl.o $(BUILD)/webhook/readall.o
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# drives the signature verifier (webhook/sigverify.c) for tests/integration/test_sigverify.sh
$(BUILD)/sig_probe: $(BUILD)/tests/integration/sig_probe.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

integration: $(BUILD)/admitd $(BUILD)/rapid_reset $(BUILD)/oci_probe $(BUILD)/sig_probe
	@ADMITD=$(CURDIR)/$(BUILD)/admitd RAPID_RESET=$(CURDIR)/$(BUILD)/rapid_reset \
		OCI_PROBE=$(CURDIR)/$(BUILD)/oci_probe SIG_PROBE=$(CURDIR)/$(BUILD)/sig_probe \
		./tests/integration/run.sh

# libFuzzer targets (clang, ASan+UBSan), built into build/fuzz; see tests/fuzz/run.sh.
# make test runs each briefly after replaying tests/fuzz/regressions/; make fuzz longer.
FUZZ_TEST_SECONDS ?= 20
FUZZ_SECONDS      ?= 300
fuzz-quick:
	@./tests/fuzz/run.sh $(FUZZ_TEST_SECONDS)
fuzz: deps
	@./tests/fuzz/run.sh $(FUZZ_SECONDS)

# Data races: tests/unit/test_race.c (the engine judged from several threads)
# and test_sigcache.c (the signature cache's single flight) under
# ThreadSanitizer; a report fails it (halt_on_error, exit status 66).
RACE_BINS := build/tsan/tests/unit/test_race build/tsan/tests/unit/test_sigcache
race:
	@$(MAKE) --no-print-directory BUILD=build/tsan OPT=-O1 SANFLAGS="-fsanitize=thread" \
		$(RACE_BINS)
	@TSAN_OPTIONS=halt_on_error=1:exitcode=66 ADMITD_SHARED=$(CURDIR)/../shared \
		./tests/unit/run.sh $(RACE_BINS)

# The same suites against an AddressSanitizer + UndefinedBehaviorSanitizer build.
asan:
	@st=0; export LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0; \
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1; \
	for suite in unit integration; do \
		$(MAKE) --no-print-directory BUILD=build/asan OPT=-O1 \
		SANFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
		$$suite || st=1; done; exit $$st

test: deps
	@$(MAKE) --no-print-directory test-run

# manifests, chart, Dockerfile and the operations guide (normal build: ldd must see
# the production library set)
deploy: $(BUILD)/admitd
	@ADMITD=$(CURDIR)/$(BUILD)/admitd ./tests/deploy/test_deploy.sh

# The --output html pages in headless chromium (Debian's, installed as root when
# missing) driven by playwright-core (npm, pinned, cached in ~/.cache/admitd);
# screenshots in $(BUILD)/artifacts/browser. Once, never under the sanitizers.
browser: $(BUILD)/admitd
	@ADMITD=$(CURDIR)/$(BUILD)/admitd ARTIFACTS=$(CURDIR)/$(BUILD)/artifacts/browser \
		./tests/browser/test_browser.sh

# End to end: admitd behind a real kube-apiserver v1.20.2 and etcd, all on
# loopback (tests/e2e/). The first run builds the API server from Debian's
# source package (7 minutes or more), cached in ~/.cache/admitd.
e2e: deps
	@$(MAKE) --no-print-directory $(BUILD)/admitd
	@ADMITD=$(CURDIR)/$(BUILD)/admitd ./tests/e2e/run.sh

# Every suite runs even when an earlier one failed; the last line counts all.
test-run:
	@mkdir -p $(BUILD) && rm -f $(RESULTS)
	@st=0; \
	$(MAKE) --no-print-directory check-format-result || st=1; \
	$(MAKE) --no-print-directory unit || st=1; \
	$(MAKE) --no-print-directory race || st=1; \
	$(MAKE) --no-print-directory integration || st=1; \
	$(MAKE) --no-print-directory deploy || st=1; \
	$(MAKE) --no-print-directory browser || st=1; \
	$(MAKE) --no-print-directory asan || st=1; \
	$(MAKE) --no-print-directory fuzz-quick || st=1; \
	$(MAKE) --no-print-directory e2e || st=1; \
	./tests/summary.sh $(RESULTS) || st=1; \
	exit $$st

# Figures, not a test: throughput, latency, memory; see docs/performance.md.
$(BUILD)/parse_rate: tests/bench/parse_rate.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LDFLAGS) -ljansson -lpthread

$(BUILD)/peak_rss: tests/bench/peak_rss.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<

# how fast an audit's input can merely be read: audit's yardstick
$(BUILD)/audit_parse_rate: tests/bench/audit_parse_rate.c $(BUILD)/webhook/yamljson.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

$(BUILD)/hotpath: $(BUILD)/tests/bench/hotpath.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# the review path with the contents policies' facts and scans cached (tests/bench/fastpath.sh)
$(BUILD)/fastpath: $(BUILD)/tests/bench/fastpath.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

bench: deps
	@$(MAKE) --no-print-directory $(BUILD)/admitd $(BUILD)/parse_rate $(BUILD)/audit_parse_rate \
		$(BUILD)/peak_rss $(BUILD)/fastpath
	@ADMITD=$(CURDIR)/$(BUILD)/admitd PARSE_RATE=$(CURDIR)/$(BUILD)/parse_rate \
		AUDIT_PARSE_RATE=$(CURDIR)/$(BUILD)/audit_parse_rate PEAK_RSS=$(CURDIR)/$(BUILD)/peak_rss \
		./tests/bench/run.sh

# docs/policies.md is generated from the policy descriptors; a test keeps them equal.
# docs/policies.md whole; the key tables inside configuration.md, server.md, security.md
DOCS_SPLICED := docs/configuration.md docs/server.md docs/security.md
docs: $(BUILD)/admitd
	$(BUILD)/admitd policies --markdown > docs/policies.md
	@for f in $(DOCS_SPLICED); do \
		python3 tests/splice-docs.py $$f $(BUILD)/admitd > $$f.new && mv $$f.new $$f; done

check-format:
	@clang-format --dry-run --Werror $(SRCS) $(wildcard webhook/*.h policies/*.h)

# make test's form of it: one pass/fail line in $(RESULTS), the files named on failure
check-format-result:
	@if $(MAKE) --no-print-directory -s check-format >$(BUILD)/format.log 2>&1; then \
		echo "ok   every C file is formatted with .clang-format"; echo pass >>$(RESULTS); \
	else grep -o '^[^:]*\.[ch]' $(BUILD)/format.log | sort -u | sed 's/^/     not formatted: /'; \
		echo "FAIL C files not formatted (make check-format; clang-format -i FILE)"; \
		echo fail >>$(RESULTS); exit 1; fi

clean:
	rm -rf build
