# test/daemon.sh - echod itself for the integration tests: its
# configuration, starting and stopping it, its log and its state.  Sourced
# by test/lib.sh.
#
# Configuration (root runs add "user = root"):
#   write_conf FILE (standard input), echo_conf FILE [LINES...],
#   talk_conf [LINES...] (into $T/echod.conf)
# Running it:
#   start_echod CONF [ARGS...]  in the background; sets PID, PORT, PORTS
#   stop_echod [SECONDS], wait_exit SECONDS   set ECHOD_STATUS
#   run_echod NAME ARGS...      in the foreground; sets _rc
#   parse_ports                 PORTS from the log's "listening on" lines
#   instance NAME               several echod processes in one case
#   parse_udp_ports             UDP_PORTS, the same for udp:// sockets
# Its log ($LOG):
#   wait_log, wait_log_re, assert_log, assert_log_re SECONDS TEXT,
#   assert_no_log TEXT, log_count TEXT
# Its state:
#   tasks (_tasks), cpu_ticks (_ticks), stats_until SECONDS ERE,
#   assert_reloaded SECONDS CONF [N]
# Addresses: free_port (_port), free_udp_port (_port), has_ipv6_loopback,
#   hold_port tcp|udp PORT [reuseport]

PID=		# echod's process id
PORT=		# the first port echod logged "listening on" for
PORTS=()	# every port from a "listening on" line, in log order
UDP_PORTS=()	# the same for "listening on udp://" lines
ECHOD_STATUS=	# echod's exit status, set by wait_exit / stop_echod
BASE_TASKS=1	# echod's threads just after start_echod (see tasks)

# --- configuration ---------------------------------------------------------------

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

# --- running echod ---------------------------------------------------------------

# start_echod CONF [ARGS...]: starts echod in the background with stderr in
# $LOG, waits (5 s) for its "listening on" line, sets PID, PORT and PORTS
# (none when it listens on Unix sockets only).
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
	(( ${#PORTS[@]} )) || grep -q '^<[0-7]>listening on unix:' "$LOG" ||
	    fail "no port in the 'listening on' line: $(grep -m1 'listening on ' "$LOG" | cat -v)"
	PORT=${PORTS[0]-}
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

# instance NAME: makes NAME the echod that start_echod, stop_echod and
# the log and state helpers below act on, for a case that runs several:
# each has its own PID, PORT, PORTS and log ($T/NAME.log).  The first call
# leaves the case's default echod (its log is $T/log) as it is.
declare -A _inst_pid=() _inst_port=() _inst_ports=()
_inst_cur=
instance() {
	if [[ -n $_inst_cur ]]; then
		_inst_pid[$_inst_cur]=$PID
		_inst_port[$_inst_cur]=$PORT
		_inst_ports[$_inst_cur]="${PORTS[*]}"
	fi
	_inst_cur=$1
	PID=${_inst_pid[$1]-}
	PORT=${_inst_port[$1]-}
	read -r -a PORTS <<< "${_inst_ports[$1]-}"
	LOG=$T/$1.log
}

# parse_udp_ports: sets UDP_PORTS from every "listening on udp://" line
# in the log, in order (the TCP ones are parse_ports').
parse_udp_ports() {
	local line re='^<[0-7]>listening on udp://(127\.0\.0\.1|\[::1\]|\[::\]|0\.0\.0\.0):([0-9]+)( \(.*\))?$'
	UDP_PORTS=()
	while IFS= read -r line; do
		[[ $line =~ $re ]] && UDP_PORTS+=("${BASH_REMATCH[2]}")
	done < "$LOG"
	return 0
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

# --- its log --------------------------------------------------------------------

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

# log_count TEXT: prints how many log lines contain TEXT.
log_count() { grep -cF -- "$1" "$LOG"; }

# --- its state ------------------------------------------------------------------

# cpu_ticks: sets _ticks to echod's user + system time in clock ticks.
cpu_ticks() {
	local s rest
	read -r s < "/proc/$PID/stat" || fail "cannot read /proc/$PID/stat"
	rest=(${s##*) })
	_ticks=$(( rest[11] + rest[12] ))	# fields 14 and 15: utime, stime
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

# --- addresses ------------------------------------------------------------------

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

# free_udp_port: free_port, but free for UDP as well as TCP.
free_udp_port() {
	local i hex
	for ((i = 0; i < 20; i++)); do
		free_port
		printf -v hex ':%04X ' "$_port"
		grep -qF -- "$hex" /proc/net/udp /proc/net/udp6 2>/dev/null ||
		    return 0
	done
	fail "no port found free for both TCP and UDP"
}

# hold_port tcp|udp PORT [reuseport]: another process binds 127.0.0.1:PORT
# (with SO_REUSEPORT if asked) and holds it until the case ends.
hold_port() {
	_hp_flag=$T/held.$1.$2
	perl -MSocket -e '
		my ($type, $port, $reuse, $flag) = @ARGV;
		socket(my $s, AF_INET, $type eq "udp" ? SOCK_DGRAM : SOCK_STREAM,
		    0) or die "socket: $!";
		!$reuse or setsockopt($s, SOL_SOCKET, SO_REUSEPORT, 1)
		    or die "reuseport: $!";
		bind($s, pack_sockaddr_in($port, inet_aton("127.0.0.1")))
		    or die "bind: $!";
		open(my $f, ">", $flag) or die; print $f "bound\n"; close $f;
		sleep 60;' "$1" "$2" "${3-}" "$_hp_flag" 2> "$_hp_flag.err" &
	wait_for 5 '[[ -s $_hp_flag ]]' ||
	    fail "a helper could not bind $1 127.0.0.1:$2: $(cat "$_hp_flag.err")"
}

has_ipv6_loopback() {
	grep -qi '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null
}
