#!/bin/bash
# Runs the libFuzzer targets built by test/fuzz/fuzz.mk (make fuzz,
# make fuzz-regress); run from anywhere, it works in the repository root.
#
#   run.sh fuzz SECONDS TARGET...   fuzz each target for SECONDS
#   run.sh regress 0 TARGET...      run each seed of each target once
#
# Seeds are read from test/fuzz/corpus/TARGET/ and never written to: new
# inputs go to build/fuzz/corpus/TARGET/ (emptied first), crash inputs to
# build/fuzz/artifacts/TARGET/, and the output to build/fuzz/logs/.
# Exits 1 if any target crashed (or any seed did).
set -u
cd "$(dirname "$0")/../.." || exit 1

mode=$1 seconds=$2
shift 2

# Stacks for UBSan reports too; leaks are errors (ASan's default).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

# Options for fuzzing only: replays take every seed whole.
fuzz_options() {
	case $1 in
	fuzz_config) echo -max_len=8192 -dict=test/fuzz/fuzz_config.dict ;;
	fuzz_addr) echo -max_len=600 -dict=test/fuzz/fuzz_addr.dict ;;
	fuzz_talk) echo -max_len=4096 ;;
	fuzz_proxy) echo -max_len=1088 -dict=test/fuzz/fuzz_proxy.dict ;;
	esac
}

# The end of a failed run's log, without libFuzzer's own stack frames.
show_failure() {
	grep -av -e ' in fuzzer::' -e '__sanitizer_print_stack_trace' \
	    -e ' in main ' -e '__libc_start' -e ' in _start ' "$1" |
	    tail -n "${2:-40}" | sed 's/^/    /'
}

fuzz_one() {
	local t=$1 bin=build/fuzz/$1 seeds=test/fuzz/corpus/$1
	local work=build/fuzz/corpus/$1 art=build/fuzz/artifacts/$1
	local log=build/fuzz/logs/$1.log stamp=build/fuzz/logs/$1.start

	rm -rf "$work"
	mkdir -p "$work" "$art" build/fuzz/logs
	touch "$stamp"
	echo "fuzz: $t for ${seconds}s (log: $log)"
	# New inputs go to the first directory only; the seeds stay as
	# they are.
	# shellcheck disable=SC2046
	if ! "$bin" -max_total_time="$seconds" -timeout=10 \
	    -print_final_stats=1 -artifact_prefix="$art/" \
	    $(fuzz_options "$t") "$work" "$seeds" >"$log" 2>&1; then
		echo "fuzz: $t FAILED; the end of $log:"
		show_failure "$log" 60
		find "$art" -type f -newer "$stamp" |
		    sed 's/^/    crash input saved: /'
		return 1
	fi
	# "#123 DONE cov: 456 ft: 789 corp: ..." and the final stats.
	grep -aE '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 |
	    sed 's/^/    /'
	grep -aE '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' \
	    "$log" | sed 's/^/    /'
	echo "    new inputs: $(find "$work" -type f | wc -l) in $work"
}

regress_one() {
	local t=$1 bin=build/fuzz/$1 seeds=test/fuzz/corpus/$1
	local art=build/fuzz/artifacts/$1 log=build/fuzz/logs/$1.regress.log
	local f n=0 bad=0

	mkdir -p "$art" build/fuzz/logs
	: >"$log"
	# One process a seed, so that every failing seed is named.
	for f in "$seeds"/*; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		if ! "$bin" -runs=0 -artifact_prefix="$art/" "$f" \
		    >"$log.one" 2>&1; then
			bad=$((bad + 1))
			echo "fuzz-regress: $t: $f FAILED:"
			show_failure "$log.one" 25
		fi
		cat "$log.one" >>"$log"
	done
	rm -f "$log.one"
	if [ "$bad" -gt 0 ]; then
		echo "fuzz-regress: $t: $bad of $n seeds failed (log: $log)"
		return 1
	fi
	echo "fuzz-regress: $t: $n seeds ok"
}

failed=
for t in "$@"; do
	if [ "$mode" = fuzz ]; then
		fuzz_one "$t" || failed="$failed $t"
	else
		regress_one "$t" || failed="$failed $t"
	fi
done
if [ -n "$failed" ]; then
	echo "fuzz: FAILED:$failed"
	exit 1
fi
exit 0
