#!/usr/bin/env bash
# run.sh SECONDS [TARGET...]: builds the libFuzzer targets (clang,
# -fsanitize=fuzzer,address,undefined) into build/fuzz/, replays every
# input under tests/fuzz/regressions/<target>/, then fuzzes each target for
# SECONDS (-max_total_time) from the seed corpus (seed.sh) plus what earlier
# runs found. Prints one ok/FAIL line per target, appends one pass/fail
# line per target to $RESULTS, and exits non-zero if any target crashed,
# leaked, tripped a sanitizer or timed out.
#
# A crashing input is saved as build/fuzz/artifacts/<target>/crash-*;
# once the bug is fixed, copy it to tests/fuzz/regressions/<target>/ so
# that every later run replays it.
#
#   make test: SECONDS=20   make fuzz: SECONDS=300
#   FUZZ_JOBS is not used: the machine is shared, one target at a time.
set -u
secs=${1:?usage: run.sh SECONDS [TARGET...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$here/../.." && pwd)
BUILD=$TOP/build/fuzz
: "${RESULTS:=/dev/null}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_review fuzz_config fuzz_rules fuzz_image fuzz_yaml fuzz_cosign fuzz_oci fuzz_ocimf fuzz_baseline fuzz_vulnattest)
CLANG=${CLANG:-clang}
NICE=${FUZZ_NICE:-nice -n 10}

pass() { echo "ok   $1"; echo pass >>"$RESULTS"; }
fail() { echo "FAIL $1${2:+: $2}"; echo fail >>"$RESULTS"; }

if ! command -v "$CLANG" >/dev/null; then
	for t in "${targets[@]}"; do fail "$t" "clang not found"; done
	exit 1
fi

# ---- build ----
# The library objects come from the project Makefile's own pattern rule
# (same flags and warnings), compiled by clang with coverage instrumentation.
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
# as in the Makefile: libcurl's headers only (audit --cluster dlopen()s it)
PKGS="libh2o-evloop openssl jansson libcyaml yaml-0.1 libpcre2-8"
cd "$TOP"
objs=()
for src in webhook/*.c policies/*.c; do
	[ "$src" = webhook/main.c ] && continue
	objs+=("build/fuzz/${src%.c}.o")
done
echo "== fuzz: building into build/fuzz"
if ! $NICE make --no-print-directory -s BUILD=build/fuzz CC="$CLANG" OPT="-O1" \
	SANFLAGS="-fsanitize=fuzzer-no-link $SAN" "${objs[@]}"; then
	for t in "${targets[@]}"; do fail "$t" "library objects did not build"; done
	exit 1
fi
cflags="-std=c11 -D_GNU_SOURCE -DH2O_USE_LIBUV=0 -Wall -Wextra -Werror -g -O1 $SAN \
	$(pkg-config --cflags $PKGS libcurl)"
libs="$(pkg-config --libs $PKGS) -lpthread -lm"
built=()
for t in "${targets[@]}"; do
	bin=$BUILD/$t
	newest=$(ls -t "$here/$t.c" "$here/fuzz_common.h" "${objs[@]}" 2>/dev/null | head -1)
	if [ ! -x "$bin" ] || [ "$newest" -nt "$bin" ]; then
		# shellcheck disable=SC2086
		if ! $NICE "$CLANG" $cflags -fsanitize=fuzzer -o "$bin" "$here/$t.c" \
			"${objs[@]}" $libs; then
			fail "$t" "did not build"
			continue
		fi
	fi
	built+=("$t")
done

# ---- seeds ----
"$here/seed.sh" "$BUILD/corpus" || echo "fuzz: seed.sh failed; fuzzing from what is there"

# ---- run ----
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
[ ${#built[@]} -eq ${#targets[@]} ] || status=1
for t in "${built[@]}"; do
	bin=$BUILD/$t
	log=$BUILD/logs/$t.log
	art=$BUILD/artifacts/$t/
	reg=$here/regressions/$t
	mkdir -p "$BUILD/logs" "$art" "$BUILD/corpus/$t" "$reg"
	: >"$log"
	case $t in
	fuzz_review | fuzz_config | fuzz_yaml) maxlen=65536 ;;
	fuzz_vulnattest) maxlen=32768 ;; # a Trivy finding is about 1 KB
	*) maxlen=4096 ;;
	esac
	dict=()
	[ -f "$here/$t.dict" ] && dict=(-dict="$here/$t.dict")

	# every saved regression input, once each
	mapfile -t regs < <(find "$reg" -type f ! -name '.*' ! -name '*.md' | sort)
	if [ ${#regs[@]} -gt 0 ]; then
		if ! timeout 300 "$bin" -timeout=10 -rss_limit_mb=2048 "${regs[@]}" >>"$log" 2>&1; then
			tail -n 60 "$log"
			fail "$t" "a regression input in tests/fuzz/regressions/$t fails again (log: $log)"
			status=1
			continue
		fi
	fi

	# -max_total_time bounds the run; timeout(1) is the backstop
	$NICE timeout $((secs + 120)) "$bin" -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=2048 -max_len=$maxlen -print_final_stats=1 \
		-artifact_prefix="$art" "${dict[@]}" "$BUILD/corpus/$t" "$reg" >>"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	corpus=$(find "$BUILD/corpus/$t" -type f | wc -l)
	if [ $rc -eq 0 ]; then
		pass "$t: ${runs:-?} runs in ${secs} s, coverage ${cov:-?}, corpus $corpus, ${#regs[@]} regressions replayed"
	else
		grep -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|fuzz property violated|SUMMARY:' "$log" | head -5
		tail -n 60 "$log"
		found=$(ls -t "$art" 2>/dev/null | head -1)
		fail "$t" "exit $rc after ${runs:-?} runs; input: ${found:+$art$found} (log: $log)"
		status=1
	fi
done
exit $status
