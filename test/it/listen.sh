# Listen values compared by the sockets they mean: reloads that write the
# same socket another way or move a fixed port to another address, and
# -t rejecting two values that mean the same socket; the tcp://, udp://
# and unix: forms, which parse (serving them is test/it/udp.sh's and
# test/it/unix.sh's).

# _listen_conf FILE LISTEN...: an echo config with these listen values.
_listen_conf() {
	local f=$1
	shift
	{
		printf '[server]\nmode = echo\n'
		printf 'listen = %s\n' "$@"
	} > "$f"
	_root_user "$f"
}

# _reload_to N LISTEN...: rewrites $T/echod.conf with these listen values,
# sends SIGHUP and waits for the Nth "reloaded" line.
_reload_to() {
	local n=$1
	shift
	_listen_conf "$T/echod.conf" "$@"
	kill -HUP "$PID"
	assert_reloaded 5 "$T/echod.conf" "$n"
}

# _still_echoes FD WHAT: a connection opened before the reload echoes.
_still_echoes() {
	conn_send "$1" "$2"$'\n'
	conn_expect "$1" "$2"$'\n' 5 "$2"
}

# _localhost_both: sets ECHOD to a wrapper that runs echod in a mount
# namespace of its own whose /etc/hosts gives localhost both ::1 and
# 127.0.0.1, as many systems do; without ::1 or unshare(1), echod runs
# as it is and localhost is what this system says.
_localhost_both() {
	has_ipv6_loopback || return 0
	unshare -m true 2>/dev/null || return 0
	printf '127.0.0.1 localhost\n::1 localhost\n' > "$T/hosts"
	cat > "$T/echod-ns" <<-EOF
	#!/bin/sh
	exec unshare -m sh -c 'mount --bind "\$0" /etc/hosts && exec "\$@"' \\
	    "$T/hosts" "$ECHOD" "\$@"
	EOF
	chmod +x "$T/echod-ns"
	ECHOD=$T/echod-ns
}

# "*:P" (one dual-stack socket) to "127.0.0.1:P" and back: each socket
# overlaps the other, so the old one is closed before the new one opens.
t_reload_star_to_address() {
	local p c4 c6= v6=
	has_ipv6_loopback && v6=1
	free_port
	p=$_port
	_listen_conf "$T/echod.conf" "*:$p"
	start_echod "$T/echod.conf"
	conn_open c4 127.0.0.1 "$p"
	[[ -n $v6 ]] && conn_open c6 ::1 "$p"

	_reload_to 1 "127.0.0.1:$p"
	assert_log 0 "no longer listening on [::]:$p"
	roundtrip a a "127.0.0.1:$p after '*:$p' became '127.0.0.1:$p'" \
	    127.0.0.1 "$p"
	if [[ -n $v6 ]]; then
		wait_for 5 'refused -6 ::1 "$p"' ||
		    fail "[::1]:$p still accepts after '*:$p' became '127.0.0.1:$p'"
		_still_echoes "$c6" "held over IPv6"
	fi
	_still_echoes "$c4" "held over IPv4"

	_reload_to 2 "*:$p"
	roundtrip b b "127.0.0.1:$p after going back to '*:$p'" 127.0.0.1 "$p"
	[[ -n $v6 ]] &&
	    roundtrip c c "[::1]:$p after going back to '*:$p'" -6 ::1 "$p"
	_still_echoes "$c4" "held over IPv4 after two reloads"
}

# "P" and "*:P" are the same socket: it is kept, never reopened.
t_reload_port_to_star() {
	local p c
	free_port
	p=$_port
	_listen_conf "$T/echod.conf" "$p"
	start_echod "$T/echod.conf"
	conn_open c 127.0.0.1 "$p"

	_reload_to 1 "*:$p"
	assert_no_log "no longer listening"
	assert_eq 1 "$(log_count "listening on [::]:$p")" \
	    "'listening on' lines for the kept socket"
	roundtrip a a "127.0.0.1:$p after '$p' became '*:$p'" 127.0.0.1 "$p"
	_still_echoes "$c" "held connection"

	_reload_to 2 "$p"
	assert_no_log "no longer listening"
	roundtrip b b "127.0.0.1:$p after going back to '$p'" 127.0.0.1 "$p"
}

# "localhost:P" to "127.0.0.1:P": 127.0.0.1:P is kept, [::1]:P (where
# localhost has it) is closed; and back, [::1]:P opens again.
t_reload_localhost_to_address() {
	local p c4 c6= v6=
	_localhost_both
	free_port
	p=$_port
	_listen_conf "$T/echod.conf" "localhost:$p"
	start_echod "$T/echod.conf"
	grep -qxF "<6>listening on [::1]:$p" "$LOG" && v6=1
	conn_open c4 127.0.0.1 "$p"
	[[ -n $v6 ]] && conn_open c6 ::1 "$p"

	_reload_to 1 "127.0.0.1:$p"
	assert_eq 1 "$(log_count "listening on 127.0.0.1:$p")" \
	    "'listening on 127.0.0.1:$p' lines (the socket is kept)"
	roundtrip a a "127.0.0.1:$p after 'localhost:$p' became '127.0.0.1:$p'" \
	    127.0.0.1 "$p"
	_still_echoes "$c4" "held over IPv4"
	if [[ -n $v6 ]]; then
		assert_log 0 "no longer listening on [::1]:$p"
		wait_for 5 'refused -6 ::1 "$p"' ||
		    fail "[::1]:$p still accepts after 'localhost:$p' became '127.0.0.1:$p'"
		_still_echoes "$c6" "held over IPv6"
	fi

	_reload_to 2 "localhost:$p"
	roundtrip b b "127.0.0.1:$p after going back to 'localhost:$p'" \
	    127.0.0.1 "$p"
	[[ -n $v6 ]] &&
	    roundtrip c c "[::1]:$p after going back to 'localhost:$p'" \
	    -6 ::1 "$p"
	_still_echoes "$c4" "held over IPv4 after two reloads"
}

# When the new socket cannot be bound after the old one was closed, the
# old one is opened again: the running configuration serves on.  Another
# process holds 127.0.0.1:P with SO_REUSEPORT (allowed beside echod's
# reuse_port socket), which a socket without it cannot share.
t_reload_rewrite_restores() {
	local p c
	free_port
	p=$_port
	_listen_conf "$T/echod.conf" "*:$p"
	printf 'reuse_port = yes\n' >> "$T/echod.conf"
	start_echod "$T/echod.conf"
	conn_open c 127.0.0.1 "$p"
	hold_port tcp "$p" reuseport

	_listen_conf "$T/echod.conf" "127.0.0.1:$p"	# reuse_port = no
	kill -HUP "$PID"
	assert_log 5 "reload failed"
	assert_log 0 "cannot listen on 127.0.0.1:$p (listen = 127.0.0.1:$p): bind: Address already in use"
	assert_no_log "no longer listening"
	assert_no_log "could not be opened again"
	alive "$PID" || fail "echod exited after the failed reload"
	roundtrip a a "127.0.0.1:$p after the failed reload" 127.0.0.1 "$p"
	has_ipv6_loopback &&
	    roundtrip b b "[::1]:$p after the failed reload" -6 ::1 "$p"
	_still_echoes "$c" "held connection after the failed reload"
}

# Two values that mean one socket are an error of -t, with file:line.
t_check_listen_same_socket() {
	local p pair n=0
	_localhost_both
	free_port
	p=$_port
	for pair in "localhost:$p 127.0.0.1:$p 127.0.0.1:$p" \
	    "$p *:$p [::]:$p" "*:$p 127.0.0.1:$p 127.0.0.1:$p" \
	    "0.0.0.0:$p 127.0.0.1:$p 127.0.0.1:$p"; do
		set -- $pair
		n=$(( n + 1 ))
		_listen_error "d$n" 4 "'$2' and '$1' (line 3) both serve $3" \
		    "$1" "$2"
	done
	# Not only -t: echod refuses to start, as a configuration error.
	run_echod start -c "$T/d1.conf"
	_expect_78 start "starting with listen = localhost:$p and 127.0.0.1:$p"
	# Different addresses, or port 0 (a port each), are fine.
	_listen_conf "$T/ok.conf" "127.0.0.1:0" "localhost:0" "127.0.0.1:0" \
	    "127.0.0.1:$p" "127.0.0.2:$p"
	run_echod ok -t -c "$T/ok.conf"
	(( _rc == 0 )) ||
	    fail "port 0 repeated and distinct addresses: exit status $_rc: $(head -c 300 "$T/ok.err")"
}

# tcp://, udp:// and unix: values pass -t; a socket twice within one kind
# is an error with file:line, TCP and UDP on one port are not.
t_check_listen_kinds() {
	local p n=0 v
	free_port
	p=$_port
	# Nothing is bound by -t: p + 1 needs to be free no more than p.
	_listen_conf "$T/ok.conf" "*:$p" "udp://*:$p" \
	    "tcp://127.0.0.2:$((p + 1))" "udp://127.0.0.2:$((p + 1))" \
	    "udp://[::1]:$((p + 1))" "unix:$T/a.sock" "unix:$T/b.sock" \
	    "udp://127.0.0.1:0" "udp://127.0.0.1:0"
	run_echod ok -t -c "$T/ok.conf"
	(( _rc == 0 )) ||
	    fail "TCP, UDP and Unix values: exit status $_rc: $(head -c 300 "$T/ok.err")"
	for v in "udp://*:$p|udp://*:$p|'udp://*:$p' is listed twice" \
	    "udp://0.0.0.0:$p|udp://127.0.0.1:$p|'udp://127.0.0.1:$p' and 'udp://0.0.0.0:$p' (line 3) both serve udp://127.0.0.1:$p" \
	    "127.0.0.1:$p|tcp://127.0.0.1:$p|'tcp://127.0.0.1:$p' and '127.0.0.1:$p' (line 3) both serve 127.0.0.1:$p" \
	    "unix:$T/a.sock|unix:$T/a.sock|'unix:$T/a.sock' is listed twice" \
	    "unix:$T/a.sock|unix:$T//./a.sock|'unix:$T//./a.sock' and 'unix:$T/a.sock' (line 3) both serve unix:$T/a.sock"; do
		IFS='|' read -r -a v <<< "$v"
		n=$(( n + 1 ))
		_listen_error "d$n" 4 "${v[2]}" "${v[0]}" "${v[1]}"
	done
	for v in "sctp://*:$p|has an unknown scheme 'sctp' (tcp://, udp:// or unix:)" \
	    "TCP://*:$p|has its scheme in capitals: write 'tcp:' (schemes are lowercase)" \
	    "tcp:/x|needs '//' after 'tcp:' (tcp://HOST:PORT)" \
	    "unix:|has no path (unix:/PATH)" \
	    "unix:echod.sock|has a relative path (write unix:/PATH: the working directory is / under systemd)" \
	    "unix:@echod|is an abstract socket, which has no file permissions: use unix:/PATH"; do
		n=$(( n + 1 ))
		_listen_error "b$n" 3 "'${v%%|*}' ${v#*|}" "${v%%|*}"
	done
	# -l takes the same forms and gives the same reasons.
	run_echod l -t -c "$T/ok.conf" -l "udp://*:$p" -l "unix:$T/c.sock"
	(( _rc == 0 )) || fail "-l udp:// and unix: with -t: exit status $_rc: $(head -c 300 "$T/l.err")"
	run_echod lbad -t -c "$T/ok.conf" -l "unix:c.sock"
	(( _rc == 64 )) || fail "-l unix:c.sock: exit status $_rc, want 64"
	grep -qxF "echod: -l 'unix:c.sock' has a relative path (write unix:/PATH: the working directory is / under systemd)" "$T/lbad.err" ||
	    fail "-l unix:c.sock: $(head -c 300 "$T/lbad.err")"
}

# _listen_error NAME LINE ERROR LISTEN...: echod -t on a file with these
# listen values (the first on line 3) exits 78 with exactly
# "echod: FILE:LINE: listen: ERROR" among its errors.
_listen_error() {
	local name=$1 line=$2 err=$3
	shift 3
	_listen_conf "$T/$name.conf" "$@"
	run_echod "$name" -t -c "$T/$name.conf"
	_expect_78 "$name" "listen = $*"
	grep -qxF "echod: $T/$name.conf:$line: listen: $err" "$T/$name.err" ||
	    fail "listen = $*: no error '$err' at line $line: $(head -c 300 "$T/$name.err")"
}

# _expect_78 NAME WHAT: run_echod's status is 78.
_expect_78() {
	(( _rc == 78 )) ||
	    fail "$2: exit status $_rc, want 78; stderr: $(head -c 300 "$T/$1.err")"
}
