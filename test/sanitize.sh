# test/sanitize.sh - what the tests do only when echod is built with
# sanitizers.  test/run and test/lib.sh source it.
#
# ECHOD_SANITIZE names the -fsanitize= list echod was built with (empty:
# none).  Any report makes a sanitized process exit with status 66: UBSan
# and ASan (LeakSanitizer included) stop at the first error; TSan reports
# every race it sees and exits 66 at the end.  Reports go to a directory
# of their own for each case (log_path), not to stderr, so none is lost
# where a test discards stderr, and test/run fails the case with the
# report whatever the case itself found.
#
# For test/run (which sets RUNDIR and defines indent):
#   san_init       sets ECHOD_SANITIZE (unless set) and the *SAN_OPTIONS
#   san_dir NAME   a fresh report directory for a case
#   san_reports    whether the case left reports, and the first one's line
#   san_show       prints the start of each report
# For the cases (test/lib.sh):
#   sanitized [NAME], skip_sanitized REASON [NAME...], no_leak_check,
#   sanitizer_threads, and for the case's cleanup _sanitizer_stop and
#   _sanitizer_scan.

# --- test/run -------------------------------------------------------------------

# san_init: reads ECHOD_SANITIZE from the binary $ECHOD when it is unset
# (address or thread; "undefined" alone cannot be told) and exports the
# sanitizers' options.  They are set whatever the binary: they do nothing
# to one built without.
san_init() {
	if [[ -z ${ECHOD_SANITIZE+set} ]]; then
		ECHOD_SANITIZE=
		if [[ -f $ECHOD ]]; then
			if grep -aqF __tsan_init "$ECHOD"; then
				ECHOD_SANITIZE=thread
			elif grep -aqF __asan_init "$ECHOD"; then
				ECHOD_SANITIZE=address
			fi
		fi
	fi
	export ECHOD_SANITIZE
	export ASAN_OPTIONS="exitcode=66:halt_on_error=1:abort_on_error=0:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1:print_summary=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
	export UBSAN_OPTIONS="exitcode=66:halt_on_error=1:print_stacktrace=1:report_error_type=1:print_summary=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
	export TSAN_OPTIONS="exitcode=66:halt_on_error=0:second_deadlock_stack=1:print_summary=1${TSAN_OPTIONS:+:$TSAN_OPTIONS}"
	export LSAN_OPTIONS="exitcode=66${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
}

# san_dir NAME: makes a fresh report directory for NAME, $_sd, and sets
# _san_env to the environment that sends reports there (for env(1)).
san_dir() {
	local v
	_sd=$RUNDIR/${1//\//_}.san
	rm -rf -- "$_sd"
	mkdir -m 1777 -- "$_sd" && chmod 1777 -- "$_sd"
	_san_env=()
	for v in ASAN_OPTIONS UBSAN_OPTIONS TSAN_OPTIONS LSAN_OPTIONS; do
		_san_env+=("$v=${!v}:log_path=$_sd/report")
	done
}

# san_reports: true when $_sd holds reports; sets _san_reason to the
# first report's headline ("ERROR: LeakSanitizer: detected memory leaks").
san_reports() {
	local f files=() line
	for f in "$_sd"/report*; do
		[[ -s $f ]] && files+=("$f")
	done
	(( ${#files[@]} )) || return 1
	line=$(grep -m1 -E 'ERROR: [A-Za-z]+Sanitizer|WARNING: [A-Za-z]+Sanitizer|runtime error:' "${files[0]}")
	[[ -n $line ]] || line=$(grep -m1 -v '^[=[:space:]]*$' "${files[0]}")
	line=${line#==*==}
	_san_reason="sanitizer report: $line"
	(( ${#files[@]} > 1 )) && _san_reason+=" (and $(( ${#files[@]} - 1 )) more reports)"
	return 0
}

# san_show: prints the start of each report (at most 3) and its summary.
san_show() {
	local f n=0
	for f in "$_sd"/report*; do
		[[ -s $f ]] || continue
		(( n++ < 3 )) || break
		echo "--- sanitizer report ${f##*/} (first 40 lines) ---"
		head -n 40 "$f"
		if (( $(wc -l < "$f") > 40 )); then
			echo "[...]"
			grep -E '^SUMMARY: ' "$f" | head -n 3
		fi
	done | cat -v | indent
}

# --- the cases --------------------------------------------------------------------

# sanitized [NAME]: true when echod is built with sanitizer NAME (address,
# undefined, thread, leak), or with any sanitizer when NAME is omitted.
sanitized() {
	[[ -n ${ECHOD_SANITIZE-} ]] || return 1
	(( $# )) || return 0
	[[ ,$ECHOD_SANITIZE, == *,"$1",* ]]
}

# skip_sanitized REASON [NAME...]: skips the case, saying why, when echod
# is built with any sanitizer, or with one of NAMEs if given.
skip_sanitized() {
	local why=$1 n
	shift
	sanitized || return 0
	(( $# )) || skip "under SANITIZE=$ECHOD_SANITIZE: $why"
	for n; do
		sanitized "$n" && skip "under SANITIZE=$n: $why"
	done
	return 0
}

# no_leak_check: echod processes started after this are not checked for
# leaks at exit -- for a case that makes echod exit on purpose while
# connections are open, whose memory it then leaves to the system.
no_leak_check() {
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}detect_leaks=0"
}

# sanitizer_threads: sets _san_threads to the number of threads a
# sanitizer's runtime has in echod once echod has started one of its own:
# those echod had when start_echod measured BASE_TASKS (normally none), or
# TSan's background thread, which TSan starts with the first thread echod
# creates (and before it).  0 without a sanitizer.  A test that limits
# echod's tasks must leave room for them.
sanitizer_threads() {
	_san_threads=0
	sanitized || return 0
	_san_threads=$(( BASE_TASKS - 1 ))
	if sanitized thread && (( BASE_TASKS == 1 )); then
		_san_threads=1
	fi
}

# _sanitizer_stop: under a sanitizer, ends a still running echod the way
# an administrator would, so that the sanitizers check its exit: kills
# every other process of the case, closes the connections this shell
# holds, waits (10 s) for the workers to end and then for echod to exit
# after SIGTERM (15 s).  A sanitizer report is the only possible failure;
# when the workers do not end, echod is simply killed.
_sanitizer_stop() {
	local l fd
	sanitized && [[ -n $PID ]] && alive "$PID" || return 0
	[[ -n $LOG && -f $LOG ]] && cp -- "$LOG" "$T/.log-at-end" &&
	    _shown_log=$T/.log-at-end
	_kill_descendants "$PID"
	for l in /proc/$$/fd/*; do
		fd=${l##*/}
		[[ $fd =~ ^[0-9]+$ ]] && (( fd > 2 )) || continue
		[[ $(readlink "$l" 2>/dev/null) == socket:* ]] || continue
		eval "exec $fd>&-"
	done
	if ! wait_for 10 'tasks; (( _tasks <= 1 ))'; then
		echo "cleanup: echod still has $_tasks threads 10 s after its clients left; no exit check"
		return 0
	fi
	kill -TERM "$PID" 2>/dev/null
	if wait_for 15 '! alive "$PID"'; then
		wait "$PID" 2>/dev/null
	else
		echo "cleanup: echod still running 15 s after SIGTERM; no exit check"
	fi
	return 0
}

# _sanitizer_scan: false (printing the start of each) when echod's log or
# a $T/*.err file has a sanitizer report.  test/run sends reports to
# files of their own (log_path), so this finds those that went to stderr
# when lib.sh is used without it.
_sanitizer_scan() {
	local f files=() bad=() re
	re='^==[0-9]+==(ERROR|WARNING): [A-Za-z]+Sanitizer|^WARNING: ThreadSanitizer|^SUMMARY: [A-Za-z]+Sanitizer|^[^<[:space:]][^[:space:]]*:[0-9]+(:[0-9]+)?: runtime error: |^==[0-9]+==[A-Za-z]+Sanitizer has encountered a fatal error'
	[[ -n $T && -d $T ]] || return 0
	[[ -n $LOG && -f $LOG ]] && files+=("$LOG")
	for f in "$T"/*.err; do
		[[ -f $f ]] && files+=("$f")
	done
	for f in "${files[@]}"; do
		grep -qE -- "$re" "$f" && bad+=("$f")
	done
	(( ${#bad[@]} )) || return 0
	if [[ -n ${CASE_REASON-} && ! -s $CASE_REASON ]]; then
		printf 'sanitizer report in %s: %s\n' "${bad[0]##*/}" \
		    "$(grep -m1 -E -- "$re" "${bad[0]}" | sed 's/^==[0-9]*==//')" \
		    > "$CASE_REASON"
	fi
	for f in "${bad[@]}"; do
		echo "--- sanitizer report in $f ---"
		grep -m1 -n -E -- "$re" "$f" | cut -d: -f1 | {
			read -r l
			tail -n "+$l" "$f" | head -n 40 | cat -v
		}
	done
	return 1
}
