# Limits: max_connections and idle_timeout; the thread-per-connection model.

t_max_connections() {
	local a b c d
	echo_conf "$T/echod.conf" 'max_connections = 2'
	start_echod "$T/echod.conf"

	conn_open a
	conn_send "$a" $'first\n'
	conn_expect "$a" $'first\n' 5 "1st client"
	conn_open b
	conn_send "$b" $'second\n'
	conn_expect "$b" $'second\n' 5 "2nd client"
	wait_for 5 'tasks; (( _tasks == 3 ))' ||
	    fail "echod has $_tasks threads with 2 clients (want 3)"

	# Clients 3 and 4 complete the handshake (kernel backlog) but are
	# not served yet.
	conn_open c
	conn_send "$c" $'third\n'
	conn_open d
	conn_send "$d" $'fourth\n'
	assert_log 5 "max_connections (2) reached"
	assert_log_re 0 '^<4>.*max_connections \(2\) reached'
	conn_expect_silence "$c" 0.5 "3rd client while at the limit"
	conn_expect_silence "$d" 0.1 "4th client while at the limit"
	tasks
	assert_eq 3 "$_tasks" "threads while 2 clients wait at the limit"
	assert_eq 1 "$(log_count "max_connections (2) reached")" \
	    "warnings for one episode at the limit"

	conn_close "$a"
	conn_expect "$c" $'third\n' 5 "3rd client after the 1st left"
	conn_expect_silence "$d" 0.2 "4th client while still at the limit"
	conn_close "$b"
	conn_expect "$d" $'fourth\n' 5 "4th client after the 2nd left"
	stats_until 5 ' 2 active connections, 4 accepted, .* 2 waited at the limit, 0 refused$'
	conn_close "$c"
	conn_close "$d"
	wait_for 5 'tasks; (( _tasks == 1 ))' ||
	    fail "echod has $_tasks threads after all clients left (want 1)"
}

t_idle_timeout() {
	local c start ms
	echo_conf "$T/echod.conf" 'idle_timeout = 1s'
	start_echod "$T/echod.conf"
	_now
	start=$_t
	conn_open c
	conn_expect_eof "$c" 6 "a silent client with idle_timeout = 1s"
	elapsed_since "$start"
	ms=${_el/./}
	ms=$(( 10#$ms ))
	(( ms >= 900 && ms <= 4000 )) ||
	    fail "silent client closed after $_el s; want about 1 s (0.9 to 4)"
	conn_close "$c"
	assert_log_re 5 '^<[0-7]>127\.0\.0\.1:[0-9]+: closed after [0-9]+\.[0-9]+ s, 0 bytes in, 0 bytes out \(idle timeout\)$'
}

t_idle_timeout_reset_by_traffic() {
	local c i start
	# A bare number is seconds.
	echo_conf "$T/echod.conf" 'idle_timeout = 2'
	start_echod "$T/echod.conf"
	conn_open c
	_now
	start=$_t
	# Pacing, not synchronisation: 12 messages 0.3 s apart span more than
	# the 2 s timeout, and each one resets it.
	for ((i = 1; i <= 12; i++)); do
		conn_send "$c" "msg $i"$'\n'
		conn_expect "$c" "msg $i"$'\n' 5 "message $i of an active client"
		sleep 0.3
	done
	elapsed_since "$start"
	(( 10#${_el/./} > 2500 )) ||
	    fail "test bug: the active phase lasted only $_el s"
	conn_expect_eof "$c" 6 "the client after it fell silent"
	conn_close "$c"
	assert_log 5 "(idle timeout)"
	assert_no_log "0 bytes in"
}

t_idle_timeout_zero() {
	local c
	echo_conf "$T/echod.conf" 'idle_timeout = 0'
	start_echod "$T/echod.conf"
	conn_open c
	conn_expect_silence "$c" 1.5 "a silent client with idle_timeout = 0 (never)"
	conn_send "$c" $'late\n'
	conn_expect "$c" $'late\n' 5 "a client silent for 1.5 s with idle_timeout = 0"
	conn_close "$c"
}
