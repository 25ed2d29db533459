# Running under systemd without systemd: sd_notify readiness, status,
# reload and watchdog messages; socket activation; dropping root.

t_notify() {
	local c
	notify_listen "UNIX-RECV:$T/notify.sock"
	wait_for 5 '[[ -S $T/notify.sock ]]' || fail "socat did not bind"
	echo_conf "$T/echod.conf"
	NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=300000 \
	    start_echod "$T/echod.conf"
	assert_notify 5 'READY=1'
	assert_notify 1 "MAINPID=$PID"

	# STATUS= follows the connections (at most once a second).
	conn_open c
	conn_send "$c" $'x\n'
	conn_expect "$c" $'x\n' 5 "echo"
	assert_notify 5 'STATUS=1 connection, 1 served'
	conn_close "$c"
	assert_notify 5 'STATUS=0 connections, 1 served'

	# The watchdog is pinged at half of WATCHDOG_USEC: 150 ms.
	wait_for 5 '(( $(notify_count WATCHDOG=1) >= 5 ))' ||
	    fail "only $(notify_count WATCHDOG=1) WATCHDOG=1 pings in 5 s"

	# A reload is framed by RELOADING=1 (with the clock) and READY=1.
	kill -HUP "$PID"
	assert_notify 5 'RELOADING=1'
	assert_notify 5 'MONOTONIC_USEC=[0-9]+'
	wait_for 5 '(( $(notify_count READY=1) == 2 ))' ||
	    fail "no READY=1 after the reload: $(tr '\n' '|' < "$T/notify")"
	grep -A3 -x RELOADING=1 "$T/notify" | grep -qx READY=1 ||
	    fail "READY=1 does not follow RELOADING=1"

	# An invalid file: still RELOADING=1 then READY=1, old config kept.
	echo 'bogus = 1' >> "$T/echod.conf"
	kill -HUP "$PID"
	wait_for 5 '(( $(notify_count READY=1) == 3 ))' ||
	    fail "no READY=1 after a failed reload"
	assert_log 5 "reload failed"

	stop_echod
	assert_eq 0 "$ECHOD_STATUS" "echod's exit status"
	assert_notify 2 'STOPPING=1'
	kill "$_nl_pid"
}

t_notify_abstract() {
	local name=echod-test-$$-$RANDOM
	notify_listen "ABSTRACT-RECV:$name"
	wait_for 5 'grep -q "@$name" /proc/net/unix' ||
	    fail "socat did not bind @$name"
	echo_conf "$T/echod.conf"
	NOTIFY_SOCKET=@$name start_echod "$T/echod.conf"
	assert_notify 5 'READY=1'
	stop_echod
	assert_notify 2 'STOPPING=1'
	kill "$_nl_pid"
}

t_notify_bad_socket() {
	echo_conf "$T/echod.conf"
	NOTIFY_SOCKET=relative/path run_echod bad -c "$T/echod.conf"
	assert_eq 71 "$_rc" "exit status with NOTIFY_SOCKET=relative/path"
	grep -q "NOTIFY_SOCKET: 'relative/path' is not an absolute path" \
	    "$T/bad.err" || fail "no NOTIFY_SOCKET error: $(cat "$T/bad.err")"
}

t_socket_activation() {
	need systemd-socket-activate systemd
	echo_conf "$T/echod.conf"
	activate "$T/echod.conf"
	PORT=$APORT
	# The first connection makes systemd-socket-activate exec echod.
	roundtrip hello hello "echo through the inherited socket"
	assert_log 5 "listening on 127.0.0.1:$APORT (socket 'echo' from the service manager)"
	assert_log 5 "serving 1 sockets from the service manager instead of the configured listen addresses"
	# listen = 127.0.0.1:0 in the file was not opened.
	(( $(grep -c 'listening on' "$LOG") == 1 )) ||
	    fail "echod opened its own sockets too: $(grep 'listening on' "$LOG")"
	roundtrip again again "a second client"
	# A reload keeps the inherited socket.
	kill -HUP "$PID"
	assert_log 5 "listen addresses unchanged: the sockets come from the service manager"
	roundtrip after after "echo after a reload"
	stop_echod
	assert_eq 0 "$ECHOD_STATUS" "echod's exit status"
}

t_socket_activation_bad_fd() {
	echo_conf "$T/echod.conf"
	: > "$T/plain-file"
	LISTEN_FDS=1 run_echod bad -c "$T/echod.conf" 3< "$T/plain-file"
	assert_eq 71 "$_rc" "exit status with a file as LISTEN_FDS descriptor"
	grep -q "descriptor 3 is not a listening TCP, UDP or Unix socket" "$T/bad.err" ||
	    fail "no error naming descriptor 3: $(cat "$T/bad.err")"
}

t_privilege_drop() {
	local c uid gid f line
	(( EUID == 0 )) || skip "needs root to test dropping root"
	uid=$(id -u nobody) || skip "no user nobody"
	gid=$(id -g nobody)
	write_conf "$T/echod.conf" <<-'EOF'
	[server]
	listen = 127.0.0.1:0
	user = nobody
	EOF
	start_echod "$T/echod.conf"
	assert_log 5 "running as user nobody (uid $uid, gid $gid)"
	conn_open c
	conn_send "$c" $'x\n'
	conn_expect "$c" $'x\n' 5 "echo as nobody"
	tasks
	(( _tasks == 2 )) || fail "want 2 threads with one client, have $_tasks"
	# Every thread, the worker included: real, effective, saved, fs ids.
	for f in /proc/"$PID"/task/*/status; do
		line=$(grep '^Uid:' "$f")
		[[ $line == "Uid:"$'\t'"$uid"$'\t'"$uid"$'\t'"$uid"$'\t'"$uid" ]] ||
		    fail "$f: $line (want all $uid)"
		line=$(grep '^Gid:' "$f")
		[[ $line == "Gid:"$'\t'"$gid"$'\t'"$gid"$'\t'"$gid"$'\t'"$gid" ]] ||
		    fail "$f: $line (want all $gid)"
		line=$(grep '^Groups:' "$f")
		[[ $line =~ ^Groups:[[:space:]]*$ ]] ||
		    fail "$f: supplementary groups left: $line"
	done
	conn_close "$c"
	stop_echod
	assert_eq 0 "$ECHOD_STATUS" "echod's exit status"
}

t_root_needs_user() {
	(( EUID == 0 )) || skip "needs root"
	printf '[server]\nlisten = 127.0.0.1:0\n' > "$T/echod.conf"
	run_echod root -c "$T/echod.conf"
	assert_eq 78 "$_rc" "exit status as root without user"
	grep -q "refusing to serve as root" "$T/root.err" ||
	    fail "no refusal message: $(cat "$T/root.err")"
	grep -q "listening on" "$T/root.err" &&
	    fail "echod opened a socket before refusing"
	return 0
}

# start_limited CONF: starts echod with soft 64, hard 512 open files.
start_limited() {
	: > "$LOG"
	env --default-signal prlimit --nofile=64:512 "$ECHOD" -c "$1" \
	    < /dev/null 2> "$LOG" &
	PID=$!
	assert_log 5 "listening on 127.0.0.1:"
}

t_rlimit_nofile() {
	need prlimit util-linux
	# echod raises the soft limit to the hard one, 512, then warns that
	# 1024 connections cannot fit.
	echo_conf "$T/echod.conf" 'max_connections = 1024'
	start_limited "$T/echod.conf"
	grep -E '^Max open files +512 +512 ' "/proc/$PID/limits" >/dev/null ||
	    fail "soft limit not raised: $(grep 'Max open files' "/proc/$PID/limits")"
	assert_log 5 "max_connections = 1024 needs about 1040 descriptors (RLIMIT_NOFILE), but the limit is 512"
	parse_ports
	PORT=${PORTS[0]}
	roundtrip hi hi "echo with a low descriptor limit"
	stop_echod
	# Within the limit, no warning.
	echo_conf "$T/echod.conf" 'max_connections = 100'
	start_limited "$T/echod.conf"
	stop_echod
	assert_no_log "needs about"
}
