# test/lib.sh - helpers for the echod integration tests.
#
# test/run sources this file and one test/it/*.sh file in a fresh bash per
# test case, inside "timeout", and calls run_case with the case's function
# name.  A case is a function named t_NAME.  It fails by calling fail (or
# any assert_*), which records the reason and exits; it passes by
# returning 0; it skips, when it cannot run here, by calling skip with the
# reason (test/run counts it as skipped, not passed).  A command it needs
# it checks with need: missing, a command from a package that make test
# installs fails the case (a skip would hide a broken setup), any other
# skips it.  Everything it started is killed on exit (first whatever it
# registered with at_exit), and its temporary directory $T is removed
# (set KEEP_TMP=1 to keep it).
#
# Rules for writing cases: never call fail from a subshell (a pipeline
# part or a background job) -- it would only leave that subshell; never
# sleep to synchronise: wait for a condition with wait_for/assert_log.
#
# Sanitizers: ECHOD_SANITIZE (set by test/run) names the -fsanitize= list
# echod was built with.  Then a case whose echod is still running at its
# end stops it cleanly (clients gone, SIGTERM) so that LeakSanitizer and
# TSan check its exit, and a sanitizer report in echod's log or a
# $T/*.err file fails the case (test/run also fails it for the reports
# it collects through log_path).  Cases that cannot run under a
# sanitizer call skip_sanitized.

export LC_ALL=C
ECHOD=${ECHOD:-./echod}

T=		# the case's temporary directory
LOG=		# echod's stderr: $T/log
PID=		# echod's process id
PORT=		# the first port echod logged "listening on" for
PORTS=()	# every port from a "listening on" line, in log order
ECHOD_STATUS=	# echod's exit status, set by wait_exit / stop_echod
BASE_TASKS=1	# echod's threads just after start_echod (see tasks)

# This file's directory, absolute (a case may cd): the Makefile need
# reads is above it.
_TEST_DIR=.
[[ ${BASH_SOURCE[0]} == */* ]] && _TEST_DIR=${BASH_SOURCE[0]%/*}
[[ $_TEST_DIR == /* ]] || _TEST_DIR=$PWD/$_TEST_DIR

# --- case life cycle --------------------------------------------------------

lib_init() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/echod-test.XXXXXX") ||
	    { echo "mktemp failed" >&2; exit 1; }
	LOG=$T/log
	trap _cleanup EXIT
	trap _terminated TERM
	trap 'exit 130' INT
	trap 'exit 129' HUP
}

# On SIGTERM (test/run's time limit): the reason names the check under
# way, if the case set STEP.
_terminated() {
	if [[ -n $STEP && -n ${CASE_REASON-} && ! -s $CASE_REASON ]]; then
		printf 'during %s\n' "$STEP" > "$CASE_REASON"
	fi
	exit 143
}

# run_case FUNCTION: runs one case; called by test/run.
run_case() {
	local fn=$1
	lib_init
	if [[ $ECHOD != */* ]]; then ECHOD=./$ECHOD; fi
	[[ -x $ECHOD && -f $ECHOD ]] ||
	    fail "echod binary '$ECHOD' not found or not executable (build it first)"
	declare -F "$fn" >/dev/null || fail "test bug: no function $fn"
	"$fn" || fail "case function returned status $?"
	exit 0
}

# fail MESSAGE: records why the case failed and ends it.  A case that
# makes several checks may set STEP to the one under way: MESSAGE then
# starts with "STEP: ".
STEP=
fail() {
	local why=${STEP:+$STEP: }$*
	if [[ -n ${CASE_REASON-} && ! -s $CASE_REASON ]]; then
		printf '%s\n' "$why" > "$CASE_REASON"
	fi
	printf 'FAILED: %s\n' "$why" >&2
	exit 1
}

# skip REASON: ends the case; test/run counts it as skipped (not passed)
# and prints REASON, which must say why the case cannot run here.
skip() {
	[[ -n $* ]] || fail "test bug: skip without a reason"
	if [[ -n ${CASE_SKIP-} ]]; then
		printf '%s\n' "$*" > "$CASE_SKIP"
	fi
	printf 'SKIPPED: %s\n' "$*" >&2
	exit 0
}

# need COMMAND PACKAGE: returns when COMMAND (a name on PATH, or a path)
# is there.  Without it the case fails when PACKAGE, the Debian package
# that has it, is one make test installs (the Makefile's BUILD_DEPS and
# TEST_DEPS), and skips, naming PACKAGE, when it is not.
need() {
	local p
	command -v -- "$1" > /dev/null && return 0
	_make_deps
	for p in "${_deps[@]}"; do
		[[ $p == "$2" ]] &&
		    fail "$1 is not installed (Debian package $2, which make test installs)"
	done
	skip "$1 is not installed (Debian package $2)"
}

# _make_deps: sets _deps to the packages of the Makefile's BUILD_DEPS and
# TEST_DEPS, continuation lines included.
_make_deps() {
	_deps=()
	read -r -d '' -a _deps < <(awk '
	    /^(BUILD|TEST)_DEPS[ \t]*=/ { on = 1; sub(/^[A-Z_]+[ \t]*=/, "") }
	    on { on = sub(/\\$/, ""); print }' "$_TEST_DIR/../Makefile")
}

# at_exit COMMAND: has the case's cleanup evaluate COMMAND first, on any
# exit (a failure, a timeout, an interrupt too), for what killing the
# case's descendants cannot reach (a container, a cgroup).  It must be
# quick (after a timeout test/run allows 5 s for the whole cleanup) and
# must not call fail.
_at_exit=()
at_exit() { _at_exit+=("$1"); }

_cleanup() {
	local rc=$? c
	trap - EXIT
	trap '' TERM INT HUP
	for c in "${_at_exit[@]}"; do
		eval "$c"
	done
	exec 2>/dev/null	# no "Killed" job notices
	_shown_log=$LOG
	# Not after a timeout or an interrupt: there is no time for it.
	(( rc < 128 )) && _sanitizer_stop
	_kill_descendants
	if ! _sanitizer_scan && (( rc == 0 )); then
		rc=1
	fi
	if (( rc != 0 )) && [[ -n $_shown_log && -s $_shown_log ]]; then
		echo "--- last 30 lines of echod's log ($LOG) ---"
		tail -n 30 "$_shown_log" | cat -v
	fi
	if [[ -n $T && -d $T ]]; then
		if [[ -n ${KEEP_TMP-} ]]; then
			echo "temporary directory kept: $T"
		else
			rm -rf -- "$T"
		fi
	fi
	exit "$rc"
}

# Process ids of every descendant of process $1, from /proc (no forks).
_descendants() {
	local -A kids=()
	local d s rest queue p out=()
	for d in /proc/[0-9]*; do
		s=
		read -r s 2>/dev/null < "$d/stat" || continue
		[[ -n $s ]] || continue
		rest=(${s##*) })
		kids[${rest[1]}]+="${d#/proc/} "
	done
	queue=("$1")
	while (( ${#queue[@]} )); do
		p=${queue[0]}
		queue=("${queue[@]:1}")
		for d in ${kids[$p]-}; do
			out+=("$d")
			queue+=("$d")
		done
	done
	_desc=("${out[@]}")
}

# Stops, then kills, everything this case started (echod, clients, ...);
# _kill_descendants PID spares process PID.
_kill_descendants() {
	local round all=() p mine
	for round in 1 2; do
		_descendants "$$"
		mine=()
		for p in "${_desc[@]}"; do
			[[ $p == "${1-}" ]] || mine+=("$p")
		done
		(( ${#mine[@]} )) || break
		all+=("${mine[@]}")
		kill -STOP "${mine[@]}" 2>/dev/null
	done
	if (( ${#all[@]} )); then
		kill -KILL "${all[@]}" 2>/dev/null
		if [[ -n ${1-} ]]; then
			for p in "${all[@]}"; do
				wait "$p" 2>/dev/null
			done
		else
			wait 2>/dev/null
		fi
	fi
}

# --- sanitizers ------------------------------------------------------------------

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

# --- time and waiting --------------------------------------------------------

# _to_us SECONDS: sets _us to SECONDS (may have a fraction) in microseconds.
_to_us() {
	local s=$1 int frac=
	int=${s%%.*}
	[[ $s == *.* ]] && frac=${s#*.}
	frac=${frac}000000
	_us=$(( 10#${int:-0} * 1000000 + 10#${frac:0:6} ))
}

# _now: sets _t to the current time in microseconds.
_now() { _t=${EPOCHREALTIME/./}; }

# wait_for SECONDS COMMAND...: evaluates COMMAND every 0.05 s until it
# succeeds (returns 0) or SECONDS have passed (returns 1).  COMMAND is
# always evaluated at least once.
wait_for() {
	local secs=$1 end n=0 max
	shift
	_to_us "$secs"
	_now
	end=$(( _t + _us ))
	max=$(( _us / 50000 + 10 ))
	while :; do
		eval "$*" && return 0
		_now
		(( _t >= end || ++n > max )) && return 1
		sleep 0.05
	done
}

# alive PID: true while the process exists and is not a zombie.
alive() {
	local s=
	read -r s 2>/dev/null < "/proc/$1/stat" || return 1
	s=${s##*) }
	[[ -n $s && ${s:0:1} != Z ]]
}

# elapsed_since START_US: sets _el to the seconds since START_US ("1.234").
elapsed_since() {
	local d
	_now
	d=$(( (_t - $1) / 1000 ))
	printf -v _el '%d.%03d' $(( d / 1000 )) $(( d % 1000 ))
}

# --- log ---------------------------------------------------------------------

# wait_log SECONDS TEXT: waits for a line containing TEXT (grep -F).
wait_log() {
	_wl_pat=$2
	wait_for "$1" 'grep -qF -- "$_wl_pat" "$LOG"'
}

# wait_log_re SECONDS ERE: waits for a line matching ERE (grep -E).
wait_log_re() {
	_wl_pat=$2
	wait_for "$1" 'grep -qE -- "$_wl_pat" "$LOG"'
}

assert_log() {
	wait_log "$1" "$2" ||
	    fail "echod's log has no line containing '$2' (waited $1 s)"
}

assert_log_re() {
	wait_log_re "$1" "$2" ||
	    fail "echod's log has no line matching /$2/ (waited $1 s)"
}

assert_no_log() {
	if grep -qF -- "$1" "$LOG"; then
		fail "echod's log unexpectedly contains '$1': $(grep -F -m1 -- "$1" "$LOG" | cat -v)"
	fi
}

# cpu_ticks: sets _ticks to echod's user + system time in clock ticks.
cpu_ticks() {
	local s rest
	read -r s < "/proc/$PID/stat" || fail "cannot read /proc/$PID/stat"
	rest=(${s##*) })
	_ticks=$(( rest[11] + rest[12] ))	# fields 14 and 15: utime, stime
}

# log_count TEXT: prints how many log lines contain TEXT.
log_count() { grep -cF -- "$1" "$LOG"; }

# --- config and daemon ---------------------------------------------------------

# Highest acceptable "systemd-analyze security" exposure of echod.service
# (0.0 to 10.0).
MAX_EXPOSURE=2.0

# assert_exposure FILE [WHERE]: FILE holds what "systemd-analyze security"
# said of echod.service; its overall exposure is at most MAX_EXPOSURE.  A
# note gives the figure (with WHERE).
assert_exposure() {
	local line score
	line=$(grep -F 'Overall exposure level for echod.service:' "$1")
	[[ $line =~ :\ ([0-9]+\.[0-9])\  ]] ||
	    fail "no overall exposure level in the output: $(tail -n 2 "$1")"
	score=${BASH_REMATCH[1]}
	echo "note: systemd-analyze security${2-}: $score (at most $MAX_EXPOSURE)"
	if awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s > m) }'; then
		grep -F '✗' "$1" | sort -k1,1 | head -n 20
		fail "security exposure $score is above $MAX_EXPOSURE"
	fi
}

# install_tree DIR: copies what the Makefile needs to install into DIR,
# with the binary under test ($ECHOD) as its echod and no sources, so that
# make there builds nothing.
install_tree() {
	local src
	src=$(cd "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
	mkdir -p "$1/systemd" "$1/man" "$1/etc" || fail "mkdir $1"
	cp "$src/Makefile" "$1/" &&
	    cp "$src/systemd/echod.service.in" "$src/systemd/echod.socket" \
		"$1/systemd/" &&
	    cp "$src/man/echod.8" "$src/man/echod.conf.5" "$1/man/" &&
	    cp "$src/etc/echod.conf" "$1/etc/" &&
	    cp "$ECHOD" "$1/echod" ||
	    fail "cannot copy the sources to $1"
}

# Started as root, echod refuses to serve unless the file names a user; a
# test run as root says user = root explicitly, at the end of the file so
# that every line number a test checks stays where it is.
_root_user() {
	if (( EUID == 0 )) && ! grep -q '^user *=' "$1"; then
		printf '\n[server]\nuser = root\n' >> "$1"
	fi
}

# write_conf FILE: writes standard input to FILE.
write_conf() { cat > "$1"; _root_user "$1"; }

# echo_conf FILE [EXTRA-SERVER-LINES...]: a minimal echo-mode config.
echo_conf() {
	local f=$1
	shift
	{
		printf '[server]\nlisten = 127.0.0.1:0\nmode = echo\n'
		(( $# )) && printf '%s\n' "$@"
	} > "$f"
	_root_user "$f"
}

# talk_conf [TALK-SECTION-LINES...]: writes $T/echod.conf for talk mode.
talk_conf() {
	{
		printf '[server]\nlisten = 127.0.0.1:0\nmode = talk\n\n[talk]\n'
		(( $# )) && printf '%s\n' "$@"
	} > "$T/echod.conf"
	_root_user "$T/echod.conf"
}

# start_echod CONF [ARGS...]: starts echod in the background with stderr in
# $LOG, waits (5 s) for its "listening on" line, sets PID, PORT and PORTS.
start_echod() {
	local conf=$1 st
	shift
	if [[ -n $PID ]] && alive "$PID"; then
		fail "test bug: start_echod while echod $PID is still running"
	fi
	: > "$LOG"
	env --default-signal "$ECHOD" -c "$conf" "$@" \
	    < /dev/null > "$T/echod.stdout" 2> "$LOG" &
	PID=$!
	wait_for 5 'grep -qE "^<[0-7]>listening on " "$LOG" || ! alive "$PID"' ||
	    fail "echod (pid $PID) did not log 'listening on' within 5 s"
	if ! grep -qE '^<[0-7]>listening on ' "$LOG"; then
		wait "$PID"
		st=$?
		fail "echod exited with status $st before logging 'listening on': $(head -c 300 "$LOG" | cat -v)"
	fi
	parse_ports
	(( ${#PORTS[@]} )) ||
	    fail "no port in the 'listening on' line: $(grep -m1 'listening on ' "$LOG" | cat -v)"
	PORT=${PORTS[0]}
	BASE_TASKS=1
	if sanitized; then
		local a=(/proc/"$PID"/task/*)
		[[ -e ${a[0]} ]] && BASE_TASKS=${#a[@]}
	fi
}

# parse_ports: sets PORTS from every "listening on" line in the log.
parse_ports() {
	local line re='^<[0-7]>listening on (127\.0\.0\.1|\[::1\]|\[::\]|0\.0\.0\.0):([0-9]+)$'
	PORTS=()
	while IFS= read -r line; do
		if [[ $line =~ $re ]]; then
			[[ ${BASH_REMATCH[2]} != 0 ]] ||
			    fail "echod logged port 0 instead of the real port: $line"
			PORTS+=("${BASH_REMATCH[2]}")
		fi
	done < "$LOG"
}

# wait_exit SECONDS: waits for echod to exit; sets ECHOD_STATUS.
wait_exit() {
	wait_for "$1" '! alive "$PID"' ||
	    fail "echod (pid $PID) still running after $1 s"
	wait "$PID"
	ECHOD_STATUS=$?
}

# stop_echod [SECONDS]: SIGTERM, then wait_exit (default 12 s).
stop_echod() {
	kill -TERM "$PID" 2>/dev/null
	wait_exit "${1:-12}"
}

# run_echod NAME ARGS...: runs echod in the foreground (10 s limit) with
# stdout in $T/NAME.out and stderr in $T/NAME.err; sets _rc.
run_echod() {
	local name=$1
	shift
	timeout -k 2 10 env --default-signal "$ECHOD" "$@" \
	    < /dev/null > "$T/$name.out" 2> "$T/$name.err"
	_rc=$?
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

# tasks: sets _tasks to the number of threads of echod: its main thread
# and one for each connection, not counting a sanitizer's threads (see
# sanitizer_threads; TSan's appears only with echod's first worker, so it
# is subtracted only while echod has more threads than at its start).
# _tasks_all counts every thread.
tasks() {
	local a=(/proc/"$PID"/task/*)
	if [[ -e ${a[0]} ]]; then _tasks=${#a[@]}; else _tasks=0; fi
	_tasks_all=$_tasks
	if sanitized && (( _tasks > BASE_TASKS )); then
		sanitizer_threads
		_tasks=$(( _tasks - _san_threads ))
	elif sanitized && (( _tasks > 0 )); then
		_tasks=$(( _tasks - (BASE_TASKS - 1) ))
	fi
}

# stats_until SECONDS ERE: sends SIGUSR1 until the newest "stats:" line
# matches ERE; fails at the deadline, showing the last stats line.
stats_until() {
	local secs=$1 end n=0 before
	_su_re=$2
	_to_us "$secs"
	_now
	end=$(( _t + _us ))
	while (( n++ < 100 )); do
		before=$(log_count "stats: ")
		kill -USR1 "$PID" 2>/dev/null || fail "cannot signal echod $PID"
		_su_before=$before
		wait_for 2 '(( $(log_count "stats: ") > _su_before ))' ||
		    fail "no 'stats:' line within 2 s of SIGUSR1"
		grep -F 'stats: ' "$LOG" | tail -n 1 | grep -qE -- "$_su_re" &&
		    return 0
		_now
		(( _t < end )) || break
		sleep 0.05
	done
	fail "last stats line does not match /$2/: $(grep -F 'stats: ' "$LOG" | tail -n 1)"
}

# assert_reloaded SECONDS CONF [N]: waits for the Nth (default 1st)
# "reloaded CONF" line; on failure shows the reload errors echod logged.
assert_reloaded() {
	_ar_pat="reloaded $2"
	_ar_n=${3:-1}
	wait_for "$1" '(( $(log_count "$_ar_pat") >= _ar_n ))' && return 0
	if grep -q "reload failed" "$LOG"; then
		fail "reload of $2 failed: $(grep "^<3>" "$LOG" | tail -n 3 | tr "\n" " ")"
	fi
	fail "no 'reloaded $2' line (#$_ar_n) within $1 s of SIGHUP"
}

# free_port: sets _port to a TCP port no socket here uses, below the
# kernel's ephemeral range (so no port 0 bind and no outgoing connection
# takes it meanwhile), for a case that needs one fixed port across a
# reload.
free_port() {
	local i p hex low=32768 range
	read -r range < /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null &&
	    low=${range%%[[:space:]]*}
	(( low > 12000 )) || fail "the ephemeral port range starts at $low"
	for ((i = 0; i < 100; i++)); do
		p=$(( 10000 + RANDOM % (low - 10000) ))
		printf -v hex ':%04X ' "$p"
		grep -qF -- "$hex" /proc/net/tcp /proc/net/tcp6 2>/dev/null &&
		    continue
		_port=$p
		return 0
	done
	fail "no free TCP port found between 10000 and $low"
}

has_ipv6_loopback() {
	grep -qi '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null
}

# --- sd_notify ---------------------------------------------------------------------

# notify_listen ADDRESS: receives sd_notify datagrams on ADDRESS (socat
# UNIX-RECV:PATH or ABSTRACT-RECV:NAME) into $T/notify, a message a line.
notify_listen() {
	: > "$T/notify"
	socat -u "$1" "OPEN:$T/notify,append" 2> "$T/socat.err" &
	_nl_pid=$!
}

# notify_count TEXT: prints how many notify lines are exactly TEXT.
notify_count() { grep -cx -- "$1" "$T/notify"; }

assert_notify() {	# SECONDS LINE-ERE
	_an_re=$2
	wait_for "$1" 'grep -qE -- "^($_an_re)\$" "$T/notify"' ||
	    fail "no notify message /$2/ within $1 s; got: $(tr '\n' '|' < "$T/notify")"
}

# --- assertions ------------------------------------------------------------------

# q STRING: sets _q to STRING quoted for a message ($'a\n' style).
q() { printf -v _q '%q' "$1"; }

# _show_file FILE: prints the start of FILE as a quoted string.
_show_file() {
	local s
	s=$(head -c 200 "$1" | tr '\0' '@'; printf x)
	s=${s%x}
	q "$s"
	printf '%s (%s bytes)' "$_q" "$(stat -c %s "$1")"
}

assert_eq() {	# EXPECTED ACTUAL WHAT
	local e a
	q "$1"; e=$_q
	q "$2"; a=$_q
	[[ $1 == "$2" ]] || fail "$3: expected $e, got $a"
}

# assert_file FILE EXPECTED WHAT: FILE's bytes are exactly EXPECTED.
assert_file() {
	printf '%s' "$2" > "$T/.expected"
	if ! cmp -s "$T/.expected" "$1"; then
		q "$2"
		fail "$3: expected $_q, got $(_show_file "$1")"
	fi
}

# --- clients -----------------------------------------------------------------------

# nc_send INPUT-FILE OUTPUT-FILE [NC-ARGS...]: one nc session with
# half-close (-N) to 127.0.0.1:$PORT unless NC-ARGS give host and port.
# Fails unless nc exits 0 within 10 s.
nc_send() {
	local in=$1 out=$2 rc
	shift 2
	(( $# )) || set -- 127.0.0.1 "$PORT"
	timeout 10 nc -N "$@" < "$in" > "$out" 2> "$T/nc.err"
	rc=$?
	(( rc == 0 )) ||
	    fail "nc -N $* exited with status $rc: $(head -c 200 "$T/nc.err")"
}

# roundtrip DATA EXPECTED WHAT [NC-ARGS...]: sends DATA with nc -N and
# checks that exactly EXPECTED comes back.
roundtrip() {
	local data=$1 exp=$2 what=$3
	shift 3
	printf '%s' "$data" > "$T/rt.in"
	nc_send "$T/rt.in" "$T/rt.out" "$@"
	assert_file "$T/rt.out" "$exp" "$what"
}

# refused [NC-ARGS] HOST PORT: true when a TCP connect is refused (not
# when nc fails for another reason).
refused() {
	timeout 3 nc -z -v -w 2 "$@" > "$T/refused.out" 2>&1 && return 1
	grep -qi "connection refused" "$T/refused.out"
}

# conn_open VAR [HOST [PORT]]: opens a held connection (bash /dev/tcp) and
# stores its file descriptor in VAR.
conn_open() {
	local _co_fd host=${2:-127.0.0.1} port=${3:-$PORT}
	exec {_co_fd}<>"/dev/tcp/$host/$port" ||
	    fail "cannot connect to $host port $port"
	printf -v "$1" '%s' "$_co_fd"
}

# conn_send FD DATA: writes DATA (a SIGPIPE only fails the write).
conn_send() {
	( trap '' PIPE; printf '%s' "$2" >&"$1" ) 2>/dev/null ||
	    fail "writing to connection fd $1 failed (closed by echod?)"
}

# conn_expect FD EXPECTED [SECONDS] [WHAT]: reads exactly as many bytes as
# EXPECTED has and compares.
conn_expect() {
	local fd=$1 exp=$2 secs=${3:-5} what=${4:-reply} got= rc e
	IFS= read -r -N "${#exp}" -t "$secs" got <&"$fd"
	rc=$?
	if [[ $got != "$exp" ]]; then
		q "$exp"; e=$_q
		q "$got"
		if (( rc > 128 )); then
			fail "$what: expected $e, got $_q before the $secs s deadline"
		fi
		fail "$what: expected $e, got $_q (connection closed or error)"
	fi
}

# conn_expect_eof FD SECONDS WHAT: echod closes the connection (no data).
conn_expect_eof() {
	local fd=$1 secs=$2 what=$3 got= rc
	IFS= read -r -N 1 -t "$secs" got <&"$fd" 2>/dev/null
	rc=$?
	if [[ -n $got ]]; then
		q "$got"
		fail "$what: expected the connection to be closed, got data $_q"
	fi
	(( rc > 128 )) &&
	    fail "$what: connection still open after $secs s"
	return 0
}

# conn_expect_silence FD SECONDS WHAT: nothing arrives and the connection
# stays open for SECONDS (a negative check).
conn_expect_silence() {
	local fd=$1 secs=$2 what=$3 got= rc
	IFS= read -r -N 1 -t "$secs" got <&"$fd" 2>/dev/null
	rc=$?
	if [[ -n $got ]]; then
		q "$got"
		fail "$what: expected nothing for $secs s, got $_q"
	fi
	(( rc > 128 )) || fail "$what: connection was closed"
}

# conn_close FD
conn_close() {
	local fd=$1
	exec {fd}>&-
}
