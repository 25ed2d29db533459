# Signals: SIGHUP reload, SIGTERM/SIGINT drain, SIGUSR1 stats.

# _probe_talk WHAT: a new connection gets talk behaviour ("x\r\n" comes
# back without the CR, STOP gets BYE); in echo mode the reply would be
# the input unchanged.
_probe_talk() {
	roundtrip $'probe\r\nSTOP\n' $'probe\nBYE\n' "$1"
}

t_hup_reload() {
	local old conf=$T/echod.conf
	echo_conf "$conf"
	start_echod "$conf"
	conn_open old
	conn_send "$old" $'before\r\n'
	conn_expect "$old" $'before\r\n' 5 "held connection before the reload"

	write_conf "$conf" <<-'EOF'
	[server]
	listen = 127.0.0.1:0
	mode = talk
	EOF
	kill -HUP "$PID"
	assert_reloaded 5 "$conf"
	_probe_talk "a new connection after reloading mode = talk"
	assert_log_re 5 '^<6>talk 127\.0\.0\.1:[0-9]+: probe$'
	conn_send "$old" $'STOP\r\n'
	conn_expect "$old" $'STOP\r\n' 5 "the old connection after the reload (must still echo)"

	# An invalid file: the error with file:line, and the old (talk)
	# configuration stays -- the bad file says mode = echo.
	write_conf "$conf" <<-'EOF'
	[server]
	listen = 127.0.0.1:0
	mode = echo
	max_connections = 12x
	EOF
	kill -HUP "$PID"
	assert_log 5 "reload failed"
	assert_log 0 "$conf:4:"
	alive "$PID" || fail "echod exited after a failed reload"
	assert_eq 1 "$(log_count "reloaded $conf")" "number of 'reloaded' lines after a failed reload"
	_probe_talk "a new connection after a failed reload (must keep talk mode)"
	conn_send "$old" $'still\r\n'
	conn_expect "$old" $'still\r\n' 5 "the old connection after a failed reload"
	conn_close "$old"
}

t_hup_listen_add() {
	local old conf=$T/echod.conf p2
	echo_conf "$conf"
	start_echod "$conf"
	conn_open old

	echo_conf "$conf" 'listen = 127.0.0.1:0'	# now two listen lines
	kill -HUP "$PID"
	assert_reloaded 5 "$conf"
	wait_for 5 'parse_ports; (( ${#PORTS[@]} >= 2 ))' ||
	    fail "no second 'listening on' line after adding a listen address"
	assert_eq 2 "${#PORTS[@]}" "number of 'listening on' lines"
	p2=${PORTS[1]}
	[[ $p2 != "$PORT" ]] || fail "the new listen address has the old port $PORT"
	roundtrip one one "the first port $PORT after the reload"
	roundtrip two two "the new port $p2" 127.0.0.1 "$p2"
	conn_send "$old" $'old\n'
	conn_expect "$old" $'old\n' 5 "the held connection after the listen change"
	conn_close "$old"
}

t_hup_listen_v6() {
	local conf=$T/echod.conf p6
	has_ipv6_loopback ||
	    skip "::1 is not configured here (see /proc/net/if_inet6)"
	echo_conf "$conf"
	start_echod "$conf"

	echo_conf "$conf" 'listen = [::1]:0'
	kill -HUP "$PID"
	assert_reloaded 5 "$conf"
	assert_log_re 5 'listening on \[::1\]:[0-9]+$'
	parse_ports
	p6=${PORTS[1]}
	roundtrip v6 v6 "the added [::1]:$p6" -6 ::1 "$p6"
	roundtrip v4 v4 "the unchanged 127.0.0.1:$PORT"

	echo_conf "$conf"			# [::1]:0 removed again
	kill -HUP "$PID"
	assert_reloaded 5 "$conf" 2
	wait_for 5 'refused -6 ::1 "$p6"' ||
	    fail "[::1]:$p6 still accepts connections after its removal"
	roundtrip v4 v4 "127.0.0.1:$PORT after removing [::1]:0"
	assert_eq 2 "$(grep -cE '^<[0-7]>listening on ' "$LOG")" "number of 'listening on' lines"
}

t_term_drain() {
	local c
	echo_conf "$T/echod.conf" 'shutdown_timeout = 30s'
	start_echod "$T/echod.conf"
	conn_open c
	conn_send "$c" $'a\n'
	conn_expect "$c" $'a\n' 5 "before SIGTERM"

	kill -TERM "$PID"
	wait_for 5 'refused 127.0.0.1 "$PORT"' ||
	    fail "new connections still accepted 5 s after SIGTERM"
	conn_send "$c" $'still here\n'
	conn_expect "$c" $'still here\n' 5 "the open connection during the drain"
	alive "$PID" || fail "echod exited while a connection was still open"
	conn_close "$c"
	wait_exit 5
	assert_eq 0 "$ECHOD_STATUS" "echod's exit status after the drain"
}

t_term_shutdown_timeout() {
	local c start
	echo_conf "$T/echod.conf" 'shutdown_timeout = 1s'
	start_echod "$T/echod.conf"
	conn_open c
	conn_send "$c" $'a\n'
	conn_expect "$c" $'a\n' 5 "before SIGTERM"

	_now
	start=$_t
	kill -TERM "$PID"
	wait_exit 6
	elapsed_since "$start"
	assert_eq 0 "$ECHOD_STATUS" "echod's exit status after shutdown_timeout"
	(( 10#${_el/./} >= 900 )) ||
	    fail "echod exited $_el s after SIGTERM; it must wait up to shutdown_timeout = 1s for the open connection"
	conn_expect_eof "$c" 2 "the client that never left, after echod's exit"
	conn_close "$c"
}

t_term_twice() {
	local c
	# Exiting at once, echod leaves the open connection's memory (and the
	# server's, which its thread uses) to the system.
	no_leak_check
	echo_conf "$T/echod.conf" 'shutdown_timeout = 60s'
	start_echod "$T/echod.conf"
	conn_open c
	conn_send "$c" $'a\n'
	conn_expect "$c" $'a\n' 5 "before SIGTERM"
	kill -TERM "$PID"
	wait_for 5 'refused 127.0.0.1 "$PORT"' ||
	    fail "new connections still accepted 5 s after SIGTERM"
	alive "$PID" || fail "echod exited at the first SIGTERM with a connection open"
	kill -TERM "$PID"
	wait_exit 3
	assert_eq 0 "$ECHOD_STATUS" "echod's exit status after a second SIGTERM"
	conn_close "$c"
}

t_int_drain() {
	local c
	echo_conf "$T/echod.conf" 'shutdown_timeout = 30s'
	start_echod "$T/echod.conf"
	conn_open c
	conn_send "$c" $'a\n'
	conn_expect "$c" $'a\n' 5 "before SIGINT"
	kill -INT "$PID"
	wait_for 5 'refused 127.0.0.1 "$PORT"' ||
	    fail "new connections still accepted 5 s after SIGINT"
	conn_send "$c" $'b\n'
	conn_expect "$c" $'b\n' 5 "the open connection after SIGINT"
	conn_close "$c"
	wait_exit 5
	assert_eq 0 "$ECHOD_STATUS" "echod's exit status after SIGINT"
}

t_term_idle_daemon() {
	echo_conf "$T/echod.conf"
	start_echod "$T/echod.conf"
	roundtrip x x "before SIGTERM"
	stop_echod 3
	assert_eq 0 "$ECHOD_STATUS" "exit status of an idle echod after SIGTERM"
}

t_usr1_stats() {
	local i c
	echo_conf "$T/echod.conf"
	start_echod "$T/echod.conf"
	for i in 1 2 3; do
		roundtrip $'abc\n' $'abc\n' "session $i"
	done
	stats_until 5 'stats: 0 active connections, 3 accepted, 12 bytes echoed, 0 waited at the limit, 0 refused$'

	conn_open c
	conn_send "$c" $'xy\n'
	conn_expect "$c" $'xy\n' 5 "held connection"
	stats_until 5 'stats: 1 active connections, 4 accepted, 15 bytes echoed, 0 waited at the limit, 0 refused$'
	conn_close "$c"
}
