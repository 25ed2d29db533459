# Faults and hostile clients: send_timeout and bounded memory, descriptor
# and thread exhaustion, clients that reset mid-stream, slowloris, garbage
# in talk mode, and garbage configuration files.

# fd_count: sets _fds to the number of echod's open descriptors.
fd_count() {
	local a=(/proc/"$PID"/fd/*)
	if [[ -e ${a[0]} ]]; then _fds=${#a[@]}; else _fds=0; fi
}

# rss_kb: sets _rss to echod's resident set size in KiB.
rss_kb() {
	local line
	line=$(grep '^VmRSS:' "/proc/$PID/status") ||
	    fail "no VmRSS for echod $PID"
	line=${line#VmRSS:}
	line=${line% kB}
	_rss=$(( 10#${line//[[:space:]]/} ))
}

# owed PORT MIN: sets _owed to how many established IPv4 sockets with
# local port PORT have at least MIN bytes queued for sending (not yet
# taken by the peer).  ss asks the kernel for just those: /proc/net/tcp
# lists every socket, and after a churn test its TIME_WAIT ones are
# thousands of lines.
owed() {
	local rq sq rest
	_owed=0
	while read -r rq sq rest; do
		(( sq >= $2 )) && _owed=$(( _owed + 1 ))
	done < <(ss -Htn4 state established "sport = :$1")
	return 0
}

# start_limited_nofile N CONF: start_echod, with N open files (soft and
# hard limit) for echod.
start_limited_nofile() {
	local ECHOD=$ECHOD
	need prlimit util-linux
	printf '#!/bin/sh\nexec prlimit --nofile=%d:%d %q "$@"\n' "$1" "$1" \
	    "$ECHOD" > "$T/limited"
	chmod 755 "$T/limited"
	ECHOD=$T/limited
	start_echod "$2"
}

# --- send_timeout -------------------------------------------------------------

CLOSE_RE='^<6>127\.0\.0\.1:[0-9]+: closed after ([0-9]+\.[0-9]+) s, ([0-9]+) bytes in, ([0-9]+) bytes out'

# _rss_peak: samples echod's RSS into _peak; always false (for wait_for).
_rss_peak() {
	rss_kb
	(( _rss > _peak )) && _peak=$_rss
	return 1
}

t_send_timeout() {
	local base line ms in out sp re
	echo_conf "$T/echod.conf" 'send_timeout = 1s' 'buffer_size = 4k'
	start_echod "$T/echod.conf"
	rss_kb
	base=$_rss
	_peak=$base

	# A client that sends 64 MiB and never reads a byte back (socat -u
	# only writes).  Once the socket buffers are full, echod owes it
	# data it cannot send.
	head -c 64M /dev/zero |
	    timeout 30 socat -u - "TCP:127.0.0.1:$PORT" 2> "$T/socat.err" &
	sp=$!
	# Meanwhile a well-behaved client is served.  (Whether the other one
	# is stuck yet is left open here: t_send_timeout_zero checks that.)
	roundtrip $'polite\n' $'polite\n' "a client while another one pushes data"
	wait_for 10 '_rss_peak; grep -qF "(send timeout)" "$LOG"' ||
	    fail "the client that does not read was not closed within 10 s (send_timeout = 1s)"
	_rss_peak
	line=$(grep -F '(send timeout)' "$LOG")
	re="$CLOSE_RE \\(send timeout\\)\$"
	[[ $line =~ $re ]] ||
	    fail "unexpected close line: $line"
	ms=${BASH_REMATCH[1]/./}
	in=${BASH_REMATCH[2]}
	out=${BASH_REMATCH[3]}
	(( 10#$ms >= 1000 && 10#$ms <= 6000 )) ||
	    fail "closed after ${BASH_REMATCH[1]} s; send_timeout = 1s allows 1 s to a few"
	(( in >= 1048576 )) ||
	    fail "only $in bytes in: the client was closed before it filled the buffers"
	# echod reads no more than a buffer ahead of what it has sent.
	(( in - out <= 4096 )) ||
	    fail "$in bytes in but $out bytes out: echod read $(( in - out )) bytes ahead with buffer_size = 4k"
	(( _peak - base < 8192 )) ||
	    fail "echod's RSS grew from $base KiB to $_peak KiB while a client pushed 64 MiB"
	# The client is disconnected (reset: echod had its data unread).
	wait_for 5 '! alive "$sp"' ||
	    fail "the non-reading client still runs 5 s after echod closed it"
	wait_for 5 'tasks; (( _tasks == 1 ))' ||
	    fail "echod has $_tasks threads after the clients left (want 1)"
	assert_eq 1 "$(log_count '(send timeout)')" "number of send timeouts"
	roundtrip $'after\n' $'after\n' "a client after the send timeout"
}

t_send_timeout_zero() {
	local sp
	echo_conf "$T/echod.conf" 'send_timeout = 0' 'buffer_size = 4k'
	start_echod "$T/echod.conf"
	head -c 64M /dev/zero |
	    timeout 30 socat -u - "TCP:127.0.0.1:$PORT" 2> "$T/socat.err" &
	sp=$!
	wait_for 10 'owed "$PORT" 262144; (( _owed == 1 ))' ||
	    fail "echod never owed the non-reading client 256 KiB (test bug?)"
	# A bounded negative check: "0 never" keeps the stuck client.
	if wait_for 2.5 'grep -q "closed after" "$LOG"'; then
		fail "send_timeout = 0 closed a client: $(grep 'closed after' "$LOG")"
	fi
	tasks
	assert_eq 2 "$_tasks" "threads with a stuck client and send_timeout = 0"
	roundtrip $'x\n' $'x\n' "a client while another one is stuck"
	kill "$sp"
	wait_for 5 'tasks; (( _tasks == 1 ))' ||
	    fail "echod has $_tasks threads after the stuck client was killed (want 1)"
}

# --- resource exhaustion --------------------------------------------------------

# (wait_for evaluates its condition inside itself: the condition uses
# globals, _E_*, whose names its own locals cannot shadow.)
t_accept_emfile() {
	local i line re held c0 c1 t0 t1 hz n=40
	_E_N=$n _E_FDS=() _E_OK=() _E_SERVED=0
	echo_conf "$T/echod.conf" 'max_connections = 1000' \
	    'max_connections_per_ip = 0'
	start_limited_nofile 24 "$T/echod.conf"
	grep -qE '^Max open files +24 +24 ' "/proc/$PID/limits" ||
	    fail "want 24 open files: $(grep 'Max open files' "/proc/$PID/limits")"

	# 40 clients, each with its number sent; echod runs out of
	# descriptors after about 17, and the rest wait in the backlog.
	for ((i = 0; i < n; i++)); do
		conn_open "_E_FDS[i]"
		conn_send "${_E_FDS[i]}" "$i"$'\n'
	done
	re="^<3>accept on 127\\.0\\.0\\.1:$PORT: Too many open files; pausing \\(([0-9]+) more such errors held back\\)\$"
	assert_log_re 5 "$re"
	# Which ones are served: as many as "connected" lines, once their
	# echo arrived.
	_E_K=$(grep -c ': connected (' "$LOG")
	wait_for 5 '_emfile_classify; (( _E_SERVED == _E_K ))' ||
	    fail "$_E_SERVED clients got their echo, but echod logged $_E_K connections"
	(( _E_K >= 5 && _E_K <= 22 )) ||
	    fail "$_E_K clients served with 24 descriptors; want 5 to 22"

	# Exhausted, echod must not spin: it pauses, and says so at most
	# once a second.  (Pacing: a 2 s window.)
	hz=$(getconf CLK_TCK)
	cpu_ticks
	t0=$_ticks
	c0=$(grep -cE "$re" "$LOG")
	sleep 2
	cpu_ticks
	t1=$_ticks
	c1=$(grep -cE "$re" "$LOG")
	(( t1 - t0 < hz * 2 * 20 / 100 )) ||
	    fail "echod used $(( t1 - t0 )) ticks of CPU in 2 s while out of descriptors (busy loop?)"
	(( c1 - c0 <= 3 )) ||
	    fail "$(( c1 - c0 )) accept error lines in 2 s; want at most one a second"
	(( c1 - c0 >= 1 )) ||
	    fail "no accept error line in 2 s: echod stopped trying to accept?"
	line=$(grep -E "$re" "$LOG" | tail -n 1)
	[[ $line =~ $re ]]
	held=${BASH_REMATCH[1]}
	(( held >= 3 )) ||
	    fail "echod retried accept only $held times in a second while exhausted: $line"
	assert_eq "$_E_K" "$(grep -c ': connected (' "$LOG")" \
	    "connections accepted while out of descriptors"

	# Recovery: the served clients leave; every waiting one is served
	# in turn (closing each frees a descriptor for the next).
	for ((i = 0; i < n; i++)); do
		[[ -n ${_E_OK[i]-} ]] && conn_close "${_E_FDS[i]}"
	done
	for ((i = 0; i < n; i++)); do
		[[ -n ${_E_OK[i]-} ]] && continue
		conn_expect "${_E_FDS[i]}" "$i"$'\n' 5 "client $i, which waited while echod was out of descriptors"
		conn_close "${_E_FDS[i]}"
	done
	roundtrip $'new\n' $'new\n' "a new client after the descriptors came back"
	stats_until 5 " 0 active connections, $(( n + 1 )) accepted, "
	alive "$PID" || fail "echod died"
}

# Sets _E_OK[i] for the clients whose echo has arrived; counts them.
_emfile_classify() {
	local i got
	for ((i = 0; i < _E_N; i++)); do
		[[ -n ${_E_OK[i]-} ]] && continue
		read -r -t 0 <&"${_E_FDS[i]}" || continue
		IFS= read -r -N "$(( ${#i} + 1 ))" -t 2 got <&"${_E_FDS[i]}"
		q "$got"
		[[ $got == "$i"$'\n' ]] || fail "client $i got $_q"
		_E_OK[i]=1
		_E_SERVED=$(( _E_SERVED + 1 ))
	done
	return 0
}

# --- threads: pthread_create fails -----------------------------------------------

# The task limit is a cgroup v1 pids controller, or else RLIMIT_NPROC
# with echod run as nobody (root is exempt from RLIMIT_NPROC).
# FAULTS_THREAD_LIMIT=cgroup or nproc forces one.  Either is applied once
# echod runs, leaving room for a sanitizer's threads (sanitizer_threads).
_CG=		# the case's cgroup
_CG_HOME=	# the cgroup echod came from

# The EXIT trap of a case that made a cgroup: puts echod back where it
# was, so that the cgroup can be removed at once, then cleans up as usual.
_cg_exit() {
	local rc=$?
	trap - EXIT
	if [[ -n $_CG && -d $_CG ]]; then
		if [[ -n $PID ]] && alive "$PID"; then
			echo "$PID" > "$_CG_HOME/cgroup.procs" 2>/dev/null
		fi
		wait_for 5 'rmdir "$_CG" 2>/dev/null' ||
		    echo "warning: cannot remove cgroup $_CG"
	fi
	( exit "$rc" )
	_cleanup
}

# start_thread_limited CONF WORKERS: starts echod so that it can have at
# most WORKERS worker threads besides its main thread.
start_thread_limited() {
	local conf=$1 workers=$2 how=${FAULTS_THREAD_LIMIT:-} ECHOD=$ECHOD
	local root=/sys/fs/cgroup/pids line max uid now mine
	if [[ -z $how ]]; then
		if [[ -w $root && -e $root/cgroup.procs ]]; then
			how=cgroup
		elif (( EUID == 0 )) && id nobody >/dev/null 2>&1; then
			how=nproc
		else
			skip "no writable pids cgroup, and not root with a user nobody"
		fi
	fi
	[[ $how == cgroup || $how == nproc ]] ||
	    fail "FAULTS_THREAD_LIMIT must be cgroup or nproc, not '$how'"
	if [[ $how == nproc ]]; then
		need setpriv util-linux
		need prlimit util-linux
		chmod 711 "$T"
		chmod 644 "$conf"
		printf '#!/bin/sh\nexec setpriv --reuid=nobody --regid=nogroup --clear-groups %q "$@"\n' \
		    "$ECHOD" > "$T/as-nobody"
		chmod 755 "$T/as-nobody"
		ECHOD=$T/as-nobody
	fi
	start_echod "$conf"
	_san_threads=0
	declare -F sanitizer_threads >/dev/null && sanitizer_threads
	max=$(( 1 + _san_threads + workers ))
	mine=(/proc/"$PID"/task/*)
	if [[ $how == cgroup ]]; then
		_CG=$root/echod-test-$$-$RANDOM
		mkdir "$_CG" || skip "cannot create a pids cgroup under $root"
		trap _cg_exit EXIT
		line=$(grep -m1 ':pids:' "/proc/$PID/cgroup") ||
		    fail "echod is in no pids cgroup: $(cat "/proc/$PID/cgroup")"
		_CG_HOME=$root${line#*:pids:}
		echo "$max" > "$_CG/pids.max" || fail "cannot set $_CG/pids.max"
		echo "$PID" > "$_CG/cgroup.procs" ||
		    fail "cannot move echod into $_CG"
		read -r now < "$_CG/pids.current"
		assert_eq "${#mine[@]}" "$now" "tasks in the cgroup"
	else
		grep -qE "^Uid:[[:space:]]+$(id -u nobody)[[:space:]]" "/proc/$PID/status" ||
		    fail "echod does not run as nobody: $(grep '^Uid:' "/proc/$PID/status")"
		# RLIMIT_NPROC counts every task of the user (other processes
		# of nobody's included: a test run elsewhere may disturb this).
		uid=$(id -u nobody)
		now=$(ps -L -U "$uid" -o lwp= | wc -l)
		# (As nobody too: root may lack CAP_SYS_RESOURCE here.)
		setpriv --reuid=nobody --regid=nogroup --clear-groups \
		    prlimit --pid "$PID" --nproc=$(( now - ${#mine[@]} + max )) ||
		    fail "prlimit --pid $PID --nproc failed"
	fi
	echo "thread limit: $how, at most $max tasks for echod" >&2
}

t_thread_create_fails() {
	local a b c d e f base re start
	echo_conf "$T/echod.conf"
	start_thread_limited "$T/echod.conf" 3
	fd_count
	base=$_fds

	conn_open a
	conn_open b
	conn_open c
	for f in "$a" "$b" "$c"; do
		conn_send "$f" $'hi\n'
		conn_expect "$f" $'hi\n' 5 "a client within the thread limit"
	done
	tasks
	assert_eq 4 "$_tasks" "threads with 3 clients"

	# No thread can start for a 4th: it waits, neither served nor closed,
	# and accepting pauses, so a 5th waits in the backlog.
	_now
	start=$_t
	conn_open d
	conn_send "$d" $'waited\n'
	re="^<4>cannot start a thread for 127\\.0\\.0\\.1:[0-9]+: Resource temporarily unavailable; new clients wait until one can start \\(0 more such errors held back\\)\$"
	assert_log_re 5 "$re"
	conn_open e
	conn_send "$e" $'5th\n'
	conn_expect_silence "$d" 1 "a client for which no thread could start yet"
	conn_expect_silence "$e" 0.2 "a 5th client while no thread can start"
	alive "$PID" || fail "echod died when pthread_create failed"
	# It retries every 100 ms; the warning is rate-limited to one line a
	# second (checked unless the machine crawls).
	elapsed_since "$start"
	if (( 10#${_el/./} < 1900 )); then
		(( $(log_count 'cannot start a thread') <= 2 )) ||
		    fail "$(log_count 'cannot start a thread') thread warnings within $_el s"
	fi
	assert_no_log 'closed without being served'
	conn_send "$a" $'still\n'
	conn_expect "$a" $'still\n' 5 "a served client while another waits"

	# A thread frees: the waiting clients are served, in order.
	conn_close "$b"
	conn_expect "$d" $'waited\n' 5 "the client that waited for a thread"
	conn_expect_silence "$e" 0.2 "the 5th client while 3 threads run"
	conn_close "$a"
	conn_expect "$e" $'5th\n' 5 "the 5th client after a thread came free"
	tasks
	assert_eq 4 "$_tasks" "threads with 3 clients"
	conn_close "$c"
	conn_close "$d"
	conn_close "$e"
	stats_until 5 ' 0 active connections, '
	wait_for 5 'tasks; (( _tasks == 1 ))' ||
	    fail "echod has $_tasks threads after all clients left (want 1)"
	# Nothing leaked: every client's socket was closed.
	wait_for 5 'fd_count; (( _fds == base ))' ||
	    fail "echod has $_fds descriptors, $base before the clients came"
}

# --- hostile clients ----------------------------------------------------------------

t_client_reset_mid_stream() {
	local base k c=() w=()
	echo_conf "$T/echod.conf"
	start_echod "$T/echod.conf"
	fd_count
	base=$_fds

	# Three clients push data and read nothing back, until echod is
	# blocked sending to them ...
	for k in 0 1 2; do
		conn_open "c[k]"
		head -c 64M /dev/zero >&"${c[k]}" 2>/dev/null &
		w[k]=$!
	done
	wait_for 10 'owed "$PORT" 262144; (( _owed == 3 ))' ||
	    fail "echod does not owe 3 clients 256 KiB each (owes $_owed)"
	tasks
	assert_eq 4 "$_tasks" "threads with 3 clients"
	# ... then vanish: closing with unread data sends a reset.
	kill -KILL "${w[@]}"
	wait "${w[@]}" 2>/dev/null
	for k in 0 1 2; do
		conn_close "${c[k]}"
	done
	wait_for 5 '(( $(grep -cE "$CLOSE_RE" "$LOG") == 3 ))' ||
	    fail "$(grep -cE "$CLOSE_RE" "$LOG") of 3 reset clients logged as closed within 5 s"
	assert_no_log "(send timeout)"
	alive "$PID" || fail "echod died when clients reset mid-stream"
	stats_until 5 ' 0 active connections, 3 accepted, '
	wait_for 5 'tasks; (( _tasks == 1 ))' ||
	    fail "echod has $_tasks threads after the resets (want 1)"
	wait_for 5 'fd_count; (( _fds == base ))' ||
	    fail "echod has $_fds descriptors after the resets, $base before"
	roundtrip $'ok\n' $'ok\n' "a client after the resets"
}

t_slowloris() {
	local n=50 i fds=() first
	_S_N=$n		# for wait_for conditions (its own locals include n)
	echo_conf "$T/echod.conf" 'idle_timeout = 1s' 'max_connections = 100' \
	    'max_connections_per_ip = 0'
	start_echod "$T/echod.conf"
	for ((i = 0; i < n; i++)); do
		conn_open "fds[i]"
	done
	wait_for 5 'tasks; (( _tasks == _S_N + 1 ))' ||
	    fail "echod has $_tasks threads with $n silent clients (want $(( n + 1 )))"
	# A new client is served at once, while the silent ones still hold
	# their threads: its session is over before the first idle timeout.
	roundtrip $'hurry\n' $'hurry\n' "a client among $n silent ones"
	assert_log 5 ' 6 bytes in, 6 bytes out'
	first=$(grep -nE '\(idle timeout\)$| 6 bytes in, 6 bytes out$' "$LOG" | head -n 1)
	[[ $first == *' 6 bytes in, 6 bytes out' ]] ||
	    fail "the new client was served only after a silent one timed out: $first"

	for ((i = 0; i < n; i++)); do
		conn_expect_eof "${fds[i]}" 5 "silent client $i with idle_timeout = 1s"
		conn_close "${fds[i]}"
	done
	wait_for 5 '(( $(log_count "(idle timeout)") == _S_N ))' ||
	    fail "$(log_count "(idle timeout)") of $n silent clients logged an idle timeout"
	assert_log_re 0 '^<6>127\.0\.0\.1:[0-9]+: closed after [0-9.]+ s, 0 bytes in, 0 bytes out \(idle timeout\)$'
	wait_for 5 'tasks; (( _tasks == 1 ))' ||
	    fail "echod has $_tasks threads after the idle timeouts (want 1)"
	stats_until 5 " 0 active connections, $(( n + 1 )) accepted, "
}

# --- talk mode garbage --------------------------------------------------------------

t_talk_random_bytes() {
	local lfs
	# Every line must reach the log: no log budget (talk/log_budget_*).
	talk_conf '[log]' 'talk_lines = 0' 'talk_bytes = 0' \
	    'talk_lines_total = 0' 'talk_bytes_total = 0'
	start_echod "$T/echod.conf"
	# 100000 random bytes in lines of at most 1000 (max_line is 4k),
	# ending with a LF: one talk line per LF.
	head -c 100000 /dev/urandom | fold -b -w 1000 > "$T/in"
	printf '\n' >> "$T/in"
	lfs=$(tr -cd '\n' < "$T/in" | wc -c)
	nc_send "$T/in" "$T/out"
	assert_log 5 "closed after"
	alive "$PID" || fail "echod died on random bytes in talk mode"
	assert_eq "$lfs" "$(tr -cd '\n' < "$T/out" | wc -c)" "lines sent back"
	assert_eq "$lfs" "$(grep -ac '^<6>talk 127\.0\.0\.1:[0-9]*: ' "$LOG")" \
	    "talk lines logged for $lfs lines"
	if grep -qaP '[\x00-\x08\x0b-\x1f\x7f]' "$LOG"; then
		fail "a raw control byte reached the log: $(grep -naP '[\x00-\x08\x0b-\x1f\x7f]' "$LOG" | head -n 1 | cut -c 1-120 | cat -v)"
	fi
	if grep -qavE '^<[0-7]>' "$LOG"; then
		fail "a log line without a prefix (a raw LF or CR?): $(grep -navE '^<[0-7]>' "$LOG" | head -n 1 | cut -c 1-120 | cat -v)"
	fi
	if LC_ALL=C.UTF-8 grep -qavx '.*' "$LOG"; then
		fail "invalid UTF-8 in the log: $(LC_ALL=C.UTF-8 grep -navx '.*' "$LOG" | head -n 1 | cut -c 1-120 | cat -v)"
	fi
	roundtrip $'after\n' $'after\n' "a talk client after the random bytes"
}

t_talk_huge_line() {
	local c w
	talk_conf
	start_echod "$T/echod.conf"
	conn_open c
	# 1 MiB without a LF; the writer may hit the reset, hence no SIGPIPE.
	( trap '' PIPE; head -c 1M /dev/zero | tr '\0' a >&"$c" ) 2>/dev/null &
	w=$!
	conn_expect "$c" $'ERR line too long\n' 5 "a 1 MiB line (max_line = 4k)"
	conn_expect_eof "$c" 5 "after a 1 MiB line"
	conn_close "$c"
	wait_for 5 '! alive "$w"' || fail "the writer still runs 5 s after the close"
	assert_log_re 5 '^<6>talk 127\.0\.0\.1:[0-9]+: line longer than 4096 bytes; closing$'
	assert_log_re 5 "${CLOSE_RE} \\(line too long\\)\$"
	alive "$PID" || fail "echod died on a 1 MiB line"
	roundtrip $'short\n' $'short\n' "a talk client after the huge line"
}

t_talk_nul_only() {
	talk_conf
	start_echod "$T/echod.conf"
	head -c 10000 /dev/zero > "$T/in"
	nc_send "$T/in" "$T/out"
	assert_file "$T/out" '' "reply to 10000 NUL bytes"
	assert_log_re 5 "${CLOSE_RE}\$"
	assert_log 0 "10000 bytes in, 0 bytes out"
	assert_no_log "talk 127.0.0.1:"
	alive "$PID" || fail "echod died on NUL bytes"
	roundtrip $'x\n' $'x\n' "a talk client after the NULs"
}

t_talk_one_byte_per_write() {
	local c i msg='one byte per write, 30 of them'
	talk_conf
	start_echod "$T/echod.conf"
	conn_open c
	for ((i = 0; i < ${#msg}; i++)); do
		conn_send "$c" "${msg:i:1}"
		sleep 0.01	# pacing: each byte its own segment
	done
	conn_send "$c" $'\n'
	conn_expect "$c" "$msg"$'\n' 5 "a line sent a byte at a time"
	conn_close "$c"
	assert_log_re 5 "^<6>talk 127\\.0\\.0\\.1:[0-9]+: $msg\$"
	assert_eq 1 "$(log_count 'talk 127.0.0.1:')" "talk lines for one line"
}

# --- configuration garbage ----------------------------------------------------------

# _check_78 NAME WHAT: run_echod's status is exactly 78 (not a crash) and
# it said something.
_check_78() {
	(( _rc == 78 )) ||
	    fail "$2: exit status $_rc, want 78; stderr: $(head -c 300 "$T/$1.err" | cat -v)"
	[[ -s $T/$1.err ]] || fail "$2: exit status 78 but nothing on stderr"
}

t_config_empty_file() {
	: > "$T/empty.conf"
	run_echod empty -t -c "$T/empty.conf"
	(( _rc == 0 )) ||
	    fail "an empty file: exit status $_rc, want 0: $(head -c 300 "$T/empty.err")"
}

t_config_binary_garbage() {
	local i f
	for ((i = 1; i <= 8; i++)); do
		f=$T/garbage$i.conf
		head -c 4096 /dev/urandom > "$f"
		run_echod "g$i" -t -c "$f"
		_check_78 "g$i" "4096 random bytes (file $i)"
		grep -qaE "^echod: ${f//./\\.}:[0-9]+: " "$T/g$i.err" ||
		    fail "no 'FILE:LINE:' error for random bytes: $(head -c 300 "$T/g$i.err" | cat -v)"
	done
	# On reload, garbage is refused and the daemon keeps serving.
	echo_conf "$T/echod.conf"
	start_echod "$T/echod.conf"
	head -c 4096 /dev/urandom > "$T/echod.conf"
	kill -HUP "$PID"
	assert_log 5 "reload failed"
	alive "$PID" || fail "echod died reloading garbage"
	roundtrip $'x\n' $'x\n' "a client after reloading garbage"
}

t_config_huge_line() {
	head -c 1M /dev/zero | tr '\0' a > "$T/long.conf"
	run_echod long -t -c "$T/long.conf"
	_check_78 long "a file of one 1 MiB line"
	grep -q "$T/long.conf:1: line too long" "$T/long.err" ||
	    fail "no 'line too long' at line 1: $(head -c 300 "$T/long.err")"
}

t_config_too_many_listen() {
	local i
	{
		echo '[server]'
		for ((i = 0; i < 64; i++)); do echo 'listen = 127.0.0.1:0'; done
	} > "$T/64.conf"
	run_echod l64 -t -c "$T/64.conf"
	(( _rc == 0 )) ||
	    fail "64 listen lines: exit status $_rc, want 0: $(head -c 300 "$T/l64.err")"
	{
		echo '[server]'
		for ((i = 0; i < 5000; i++)); do echo 'listen = 127.0.0.1:0'; done
	} > "$T/many.conf"
	run_echod many -t -c "$T/many.conf"
	_check_78 many "5000 listen lines"
	grep -q "^echod: $T/many.conf:66: listen: more than 64 addresses\$" "$T/many.err" ||
	    fail "no 'more than 64 addresses' at line 66: $(head -c 300 "$T/many.err")"
}

t_config_missing_file() {
	run_echod missing -t -c "$T/no/such.conf"
	_check_78 missing "a missing file"
	grep -q "$T/no/such.conf: No such file or directory" "$T/missing.err" ||
	    fail "no path and 'No such file': $(head -c 300 "$T/missing.err")"
}

t_config_directory() {
	mkdir "$T/dir.conf"
	run_echod dir -t -c "$T/dir.conf"
	_check_78 dir "a directory as the config file"
	grep -q "$T/dir.conf: .*Is a directory" "$T/dir.err" ||
	    fail "no path and 'Is a directory': $(head -c 300 "$T/dir.err")"
}

# --- at max_connections: the idlest connection gives way ---------------------------

# busy_client FD COUNT: in the background, sends a byte and reads its echo
# every 0.1 s (a pace, not a wait), COUNT times; sets _busy to its pid.
busy_client() {
	(
		for ((k = 0; k < $2; k++)); do
			printf 'b' >&"$1" || exit 1
			IFS= read -r -N 1 -t 3 x <&"$1" && [[ $x == b ]] || exit 1
			sleep 0.1
		done
	) &
	_busy=$!
}

t_evict_idle() {
	local a b c d e re
	echo_conf "$T/echod.conf" 'max_connections = 3' 'evict_idle = 1s' \
	    'max_connections_per_ip = 0'
	start_echod "$T/echod.conf"
	conn_open a
	busy_client "$a" 60
	conn_open b
	conn_open c
	wait_for 5 'tasks; (( _tasks == 4 ))' ||
	    fail "echod has $_tasks threads with 3 clients (want 4)"

	# A 4th client waits; the idlest connection (b, silent the longest)
	# gives way once it has been idle for evict_idle.
	conn_open d
	conn_send "$d" $'d\n'
	conn_expect "$d" $'d\n' 5 "a client that waited at max_connections"
	conn_expect_eof "$b" 5 "the idlest connection"
	re='^<4>evicted 127\.0\.0\.1:[0-9]+, idle for [0-9]+ ms, for a client waiting at max_connections \(0 more evicted since the last such line\)$'
	assert_log_re 0 "$re"
	assert_log_re 0 '^<6>127\.0\.0\.1:[0-9]+: closed after [0-9.]+ s, 0 bytes in, 0 bytes out \(evicted: idle while a client waited\)$'
	# Then c, idle longer than d: a, busy all along, never.
	conn_open e
	conn_send "$e" $'e\n'
	conn_expect "$e" $'e\n' 5 "a second client that waited"
	conn_expect_eof "$c" 5 "the next idlest connection"
	alive "$_busy" || { wait "$_busy"; fail "the busy client lost its echo (evicted?)"; }
	assert_eq 2 "$(log_count '(evicted: ')" "connections evicted"
	kill "$_busy" 2>/dev/null
	wait "$_busy" 2>/dev/null
	conn_send "$a" 'z'
	conn_expect "$a" 'z' 5 "the busy client after the evictions"
	conn_close "$b"
	conn_close "$c"
}

# evict_idle = 0: a waiting client waits for a slot, however idle the
# others are.
t_evict_idle_off() {
	local a b c
	echo_conf "$T/echod.conf" 'max_connections = 2' 'evict_idle = 0' \
	    'max_connections_per_ip = 0'
	start_echod "$T/echod.conf"
	conn_open a
	conn_open b
	wait_for 5 'tasks; (( _tasks == 3 ))' ||
	    fail "echod has $_tasks threads with 2 clients (want 3)"
	conn_open c
	conn_send "$c" $'c\n'
	conn_expect_silence "$c" 2 "a client at max_connections, evict_idle = 0"
	assert_no_log "evicted"
	conn_close "$a"
	conn_expect "$c" $'c\n' 5 "the waiting client once a slot freed"
	conn_close "$b"
}

# Slowloris at the shipped limits: 1,024 connections from 16 addresses
# (64 each, max_connections_per_ip) fill max_connections and then say
# nothing; a new client is still served within 5 s, because the idlest
# connection gives way to it (evict_idle).
t_slowloris_shipped_limits() {
	local lg lgpid start
	lg=${LOADGEN:-build/bench/loadgen}
	[[ -x $lg ]] || fail "$lg is not built (make test builds it)"
	echo_conf "$T/echod.conf" 'idle_timeout = 300s'
	start_echod "$T/echod.conf"
	"$lg" -s hold -q -c 1024 -a 16 -d 30 -p "$PORT" \
	    > "$T/lg.out" 2> "$T/lg.err" &
	lgpid=$!
	wait_for 20 'tasks; (( _tasks == 1025 ))' ||
	    fail "echod has $_tasks threads with 1,024 silent clients (want 1025)"
	_now
	start=$_t
	printf 'late\n' > "$T/late.in"
	timeout 5 nc -N -s 127.0.0.100 127.0.0.1 "$PORT" \
	    < "$T/late.in" > "$T/late.out" 2> "$T/nc.err" ||
	    fail "a new client (127.0.0.100) was not served within 5 s: $(head -c 200 "$T/nc.err")"
	assert_file "$T/late.out" $'late\n' "the new client's echo"
	assert_log 0 'max_connections (1024) reached'

	elapsed_since "$start"
	echo "note: a new client was served $_el s after 1,024 silent ones filled echod"
	assert_log_re 0 '^<4>evicted 127\.0\.0\.[0-9]+:[0-9]+, idle for [0-9]+ ms, for a client waiting at max_connections'
	kill "$lgpid" 2>/dev/null
	wait "$lgpid" 2>/dev/null || true
}

# Pipes for splice take only the descriptors max_connections leaves: past
# that budget a streaming client copies instead, byte-exact, and accept()
# never runs out of descriptors because of pipes.
t_splice_pipe_budget() {
	local c
	# 8 connections + 64 reserved + one pipe's two descriptors.
	echo_conf "$T/echod.conf" 'max_connections = 8' 'buffer_size = 4k' 'splice = yes'
	printf '[log]\nlevel = debug\n' >> "$T/echod.conf"
	start_limited_nofile 74 "$T/echod.conf"
	head -c 262144 /dev/urandom > "$T/part" || fail "cannot make test data"
	conn_open c
	cat "$T/part" >&"$c" || fail "cannot write 256 KiB to echod"
	assert_log 5 ': streaming: splicing through a pipe'
	head -c 2097152 /dev/urandom > "$T/big"
	nc_send "$T/big" "$T/big.out"
	cmp -s "$T/big" "$T/big.out" ||
	    fail "2 MiB past the pipe budget differ: got $(stat -c %s "$T/big.out") bytes"
	assert_log 5 ': streaming, but the descriptors left for pipes are in use'
	assert_eq 1 "$(log_count ': streaming: splicing through a pipe')" \
	    "connections that spliced"
	exec {c}>&-
	roundtrip $'after\n' $'after\n' "a client once the pipe was given back"
}
