#!/usr/bin/env bash
# test/valgrind.sh - a short echod session under valgrind's memcheck.
#
# Usage: bash test/valgrind.sh   (make valgrind builds ./echod first)
#
# echod runs under memcheck through a life an administrator would give
# it: echo sessions (ten at once) and one held connection, SIGUSR1, a
# SIGHUP reload to talk mode (greeting, stop word, a too long line) while
# the held echo connection stays, a reload of an invalid file, one that
# adds a listen address and one that removes it, then SIGTERM with no
# connection left.
# It must exit 0 with no memcheck error, no definitely or indirectly lost
# block, and no descriptor of its own left open.  "echod -T" and "echod
# -t" on an invalid file run under memcheck too.
#
# Environment: ECHOD (default ./echod), VALGRIND (default valgrind),
# VG_TIMEOUT (seconds for everything, default 300), KEEP_TMP=1.
# The last line printed is "ok valgrind" or "FAIL valgrind: REASON";
# the exit status is 0 only for ok.

set -u
export LC_ALL=C

# --- driver: runs the session in a fresh bash, bounded in time ---------------

if [[ ${1-} != --session ]]; then
	cd "$(dirname -- "${BASH_SOURCE[0]}")/.." || exit 2
	ECHOD=${ECHOD:-$PWD/echod}
	export ECHOD VALGRIND=${VALGRIND:-valgrind}
	command -v "$VALGRIND" > /dev/null ||
	    { echo "FAIL valgrind: $VALGRIND is not installed (apt-get install valgrind)"; exit 1; }
	[[ -x $ECHOD ]] ||
	    { echo "FAIL valgrind: $ECHOD not built (make echod)"; exit 1; }
	if grep -aqE '__(asan|tsan|msan)_init' "$ECHOD"; then
		echo "FAIL valgrind: $ECHOD is built with a sanitizer; valgrind needs a plain build (make valgrind without SANITIZE)"
		exit 1
	fi
	VG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/echod-valgrind.XXXXXX") || exit 2
	export VG_DIR CASE_REASON=$VG_DIR/reason
	: > "$CASE_REASON"
	start=${EPOCHREALTIME/./}
	timeout -k 10 "${VG_TIMEOUT:-300}" bash "$PWD/test/valgrind.sh" --session \
	    < /dev/null > "$VG_DIR/out" 2>&1
	rc=$?
	secs=$(( (${EPOCHREALTIME/./} - start) / 1000000 ))
	sed 's/^/    /' "$VG_DIR/out" | cat -v
	if [[ -n ${KEEP_TMP-} ]]; then
		echo "# valgrind logs kept in $VG_DIR"
	fi
	if (( rc == 0 )); then
		echo "ok valgrind (memcheck, ${secs} s)"
	else
		if (( rc == 124 )); then
			reason="timed out after ${VG_TIMEOUT:-300} s"
		elif [[ -s $CASE_REASON ]]; then
			reason=$(head -n 1 "$CASE_REASON")
		else
			reason="exit status $rc"
		fi
		# The log vg_check failed on, or the end of each.
		if [[ -s $VG_DIR/show && -s $(< "$VG_DIR/show") ]]; then
			f=$(< "$VG_DIR/show")
			echo "--- ${f##*/} (first 150 lines) ---"
			head -n 150 "$f" | cat -v | sed 's/^/    /'
		else
			for f in "$VG_DIR"/memcheck.*; do
				[[ -s $f ]] || continue
				echo "--- ${f##*/} (last 40 lines) ---"
				tail -n 40 "$f" | cat -v | sed 's/^/    /'
			done
		fi
		echo "FAIL valgrind: $reason"
	fi
	[[ -n ${KEEP_TMP-} ]] || rm -rf -- "$VG_DIR"
	exit $(( rc != 0 ))
fi

# --- the session ---------------------------------------------------------------

source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh" || exit 3

VG_STARTUP=20	# seconds for echod to come up under valgrind
VG_STEP=15	# seconds for anything else echod does under valgrind

# vg_run NAME ARGS...: echod ARGS under memcheck in the foreground (60 s);
# stdout in $T/NAME.out, stderr in $T/NAME.err, status in _rc; the
# memcheck log is $VG_DIR/memcheck.NAME.
vg_run() {
	local name=$1
	shift
	timeout -k 5 60 env --default-signal "$VALGRIND" "${VG_ARGS[@]}" \
	    --log-file="$VG_DIR/memcheck.$name" "$ECHOD" "$@" \
	    < /dev/null > "$T/$name.out" 2> "$T/$name.err"
	_rc=$?
}

# vg_start CONF: like start_echod, under memcheck (log memcheck.daemon).
vg_start() {
	: > "$LOG"
	env --default-signal "$VALGRIND" "${VG_ARGS[@]}" \
	    --log-file="$VG_DIR/memcheck.daemon" "$ECHOD" -c "$1" \
	    < /dev/null > "$T/echod.stdout" 2> "$LOG" &
	PID=$!
	wait_for "$VG_STARTUP" 'grep -qE "^<[0-7]>listening on " "$LOG" || ! alive "$PID"' ||
	    fail "echod under valgrind did not log 'listening on' within $VG_STARTUP s"
	alive "$PID" ||
	    fail "echod under valgrind exited at start: $(head -c 300 "$LOG" | cat -v)"
	parse_ports
	PORT=${PORTS[0]}
}

# vg_check NAME: memcheck's log NAME is clean: no error, nothing
# definitely or indirectly lost, and (with --track-fds) no descriptor
# open at exit but those inherited.  Prints its summary lines.
vg_check() {
	local f=$VG_DIR/memcheck.$1 n
	[[ -s $f ]] || fail "$1: no memcheck log $f"
	printf '%s\n' "$f" > "$VG_DIR/show"	# shown if a check fails
	grep -E 'ERROR SUMMARY|definitely lost:|indirectly lost:|possibly lost:|still reachable:|All heap blocks were freed|FILE DESCRIPTORS' "$f" |
	    sed "s/^==[0-9]*== */$1: /"
	grep -qE '== ERROR SUMMARY: 0 errors from 0 contexts' "$f" ||
	    fail "$1: memcheck found errors: $(grep -m1 'ERROR SUMMARY' "$f" | sed 's/^==[0-9]*== //')"
	for n in definitely indirectly; do
		if grep -qE "== +$n lost: [1-9]" "$f"; then
			fail "$1: memcheck: $(grep -m1 -E "$n lost:" "$f" | sed 's/^==[0-9]*== *//')"
		fi
	done
	# Each open descriptor is listed with where it was opened, or as
	# inherited from the parent (stdin, stdout, stderr).
	n=$(awk '/== Open [^:]* [0-9]+:/ { fd = $0; next }
	    fd != "" && /<inherited from parent>/ { fd = ""; next }
	    fd != "" && /[^[:space:]=]/ && !/^==[0-9]+== *$/ { print fd; fd = "" }' "$f" |
	    sed 's/^==[0-9]*== *//' | head -n 3 | tr '\n' ';')
	[[ -z $n ]] || fail "$1: descriptors echod opened and left open at exit: $n"
	rm -f -- "$VG_DIR/show"
}

t_valgrind() {
	local c conf=$T/echod.conf l100 i pids=()
	VG_ARGS=(--tool=memcheck --leak-check=full
	    --show-leak-kinds=definite,indirect
	    --errors-for-leak-kinds=definite,indirect --error-exitcode=99
	    --track-fds=yes --num-callers=30)
	echo "$("$VALGRIND" --version), $ECHOD"

	# Short runs: the configuration printed, and an invalid file.
	echo_conf "$conf" 'max_connections = 8'
	vg_run print -c "$conf" -T
	(( _rc == 0 )) ||
	    fail "echod -T under valgrind: status $_rc: $(head -c 300 "$T/print.err")"
	vg_check print
	printf '[server]\nlisten = 127.0.0.1:0\nmax_connections = 12x\nmode = chat\n' > "$T/bad.conf"
	vg_run check -c "$T/bad.conf" -t
	(( _rc == 78 )) ||
	    fail "echod -t on an invalid file under valgrind: status $_rc (want 78): $(head -c 300 "$T/check.err")"
	vg_check check

	# The daemon.
	vg_start "$conf"
	echo "echod under memcheck: pid $PID, port $PORT"
	roundtrip hello hello "echo of 'hello'"
	head -c 65536 /dev/urandom > "$T/blob"
	nc_send "$T/blob" "$T/blob.out"
	cmp -s "$T/blob" "$T/blob.out" || fail "64 KiB echo differs"
	conn_open c
	conn_send "$c" $'held\n'
	conn_expect "$c" $'held\n' "$VG_STEP" "the held echo connection"
	# Ten clients at once: threads start and end side by side.
	for i in 0 1 2 3 4 5 6 7 8 9; do
		printf 'client %s\n' "$i" > "$T/p$i.in"
		timeout "$VG_STEP" nc -N 127.0.0.1 "$PORT" < "$T/p$i.in" \
		    > "$T/p$i.out" 2>&1 &
		pids+=($!)
	done
	for i in 0 1 2 3 4 5 6 7 8 9; do
		wait "${pids[i]}" || fail "parallel client $i: nc exited with status $?"
		cmp -s "$T/p$i.in" "$T/p$i.out" ||
		    fail "parallel client $i got $(_show_file "$T/p$i.out")"
	done
	stats_until "$VG_STEP" ' 1 active connections, 13 accepted, '

	# Reload: talk mode for new connections; the held one still echoes.
	write_conf "$conf" <<-'EOF'
	[server]
	listen = 127.0.0.1:0
	mode = talk
	idle_timeout = 30s

	[talk]
	greeting = hi
	max_line = 64
	EOF
	kill -HUP "$PID"
	assert_reloaded "$VG_STEP" "$conf"
	roundtrip $'Hello server!\r\nSTOP\n' $'hi\nHello server!\nBYE\n' \
	    "a talk session after the reload"
	printf -v l100 '%0100d' 0
	roundtrip "ok"$'\n'"$l100"$'\n' $'hi\nok\nERR line too long\n' \
	    "a line longer than max_line = 64"
	roundtrip 'no newline' $'hi\nno newline\n' "a last line without LF"
	conn_send "$c" $'STOP\r\n'
	conn_expect "$c" $'STOP\r\n' "$VG_STEP" "the held connection after the reload (echo)"

	# An invalid file changes nothing.
	echo 'bogus = 1' >> "$conf"
	kill -HUP "$PID"
	assert_log "$VG_STEP" "reload failed"

	# A second listen address, then without it again.
	echo_conf "$conf" 'listen = 127.0.0.1:0'
	kill -HUP "$PID"
	assert_reloaded "$VG_STEP" "$conf" 2
	wait_for "$VG_STEP" 'parse_ports; (( ${#PORTS[@]} >= 2 ))' ||
	    fail "no second 'listening on' line after adding a listen address"
	roundtrip two two "echo on the added port ${PORTS[1]}" 127.0.0.1 "${PORTS[1]}"
	echo_conf "$conf"
	kill -HUP "$PID"
	assert_reloaded "$VG_STEP" "$conf" 3
	roundtrip one one "echo on the first port after removing the second"

	conn_close "$c"
	stats_until "$VG_STEP" ' 0 active connections, 18 accepted, '
	kill -TERM "$PID"
	wait_exit 60
	if (( ECHOD_STATUS == 99 )); then
		printf '%s\n' "$VG_DIR/memcheck.daemon" > "$VG_DIR/show"
		fail "memcheck reported errors (exit status 99): $(grep -m1 -E 'ERROR SUMMARY' "$VG_DIR/memcheck.daemon" | sed 's/^==[0-9]*== //')"
	fi
	assert_eq 0 "$ECHOD_STATUS" "echod's exit status after SIGTERM under valgrind"
	assert_log 0 "exiting"
	vg_check daemon
}

run_case t_valgrind
