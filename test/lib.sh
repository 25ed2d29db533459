# test/lib.sh - the life of an echod integration test case, and what
# every case uses.
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
# Under a sanitizer (ECHOD_SANITIZE, set by test/run, names the
# -fsanitize= list echod was built with) a case whose echod is still
# running at its end stops it cleanly (clients gone, SIGTERM) so that
# LeakSanitizer and TSan check its exit, and a sanitizer report in echod's
# log or a $T/*.err file fails the case (test/run also fails it for the
# reports it collects through log_path).
#
# Here:   run_case FUNCTION, fail MESSAGE, skip REASON, need COMMAND
#         PACKAGE, at_exit COMMAND; wait_for SECONDS COMMAND..., alive PID,
#         _now (_t), elapsed_since START_US (_el); q STRING (_q),
#         assert_eq EXPECTED ACTUAL WHAT, assert_file FILE EXPECTED WHAT,
#         _show_file FILE
# Sourced, each listing its own:
#   test/daemon.sh    echod: its configuration, start and stop, log, state
#   test/client.sh    nc sessions and held connections
#   test/systemd.sh   sd_notify, systemd-analyze security, install trees
#   test/sanitize.sh  sanitized, skip_sanitized (a case that cannot run
#                     under a sanitizer), no_leak_check, sanitizer_threads

export LC_ALL=C
ECHOD=${ECHOD:-./echod}

T=		# the case's temporary directory
LOG=		# echod's stderr: $T/log

# This file's directory, absolute (a case may cd): its parts are there,
# and the Makefile need reads is above it.
_TEST_DIR=.
[[ ${BASH_SOURCE[0]} == */* ]] && _TEST_DIR=${BASH_SOURCE[0]%/*}
[[ $_TEST_DIR == /* ]] || _TEST_DIR=$PWD/$_TEST_DIR
source "$_TEST_DIR/daemon.sh" && source "$_TEST_DIR/client.sh" &&
    source "$_TEST_DIR/systemd.sh" && source "$_TEST_DIR/sanitize.sh" ||
    return

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
