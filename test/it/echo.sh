# Echo mode: byte-exact echo, half-close, many clients, IPv6, log format.

t_hello() {
	echo_conf "$T/echod.conf"
	start_echod "$T/echod.conf"

	roundtrip hello hello "echo of 'hello' (nc -N)"

	# stderr is a file, so: sd-daemon prefixes and no time stamps.
	assert_log_re 0 "^<[0-7]>listening on 127\\.0\\.0\\.1:$PORT\$"
	assert_log_re 5 '^<[0-7]>127\.0\.0\.1:[0-9]+: connected \(1 active\)$'
	assert_log_re 5 '^<[0-7]>127\.0\.0\.1:[0-9]+: closed after [0-9]+\.[0-9]+ s, 5 bytes in, 5 bytes out$'
	if grep -qvE '^<[0-7]>' "$LOG"; then
		fail "log line without an sd-daemon prefix: $(grep -vE -m1 '^<[0-7]>' "$LOG" | cat -v)"
	fi
}

t_binary_8mib() {
	local rc
	echo_conf "$T/echod.conf"
	start_echod "$T/echod.conf"

	head -c 8388608 /dev/urandom > "$T/big" || fail "cannot make test data"
	timeout 40 socat -t 10 - "TCP:127.0.0.1:$PORT" \
	    < "$T/big" > "$T/big.out" 2> "$T/socat.err"
	rc=$?
	assert_eq 0 "$rc" "socat exit status ($(head -c 200 "$T/socat.err"))"
	cmp -s "$T/big" "$T/big.out" ||
	    fail "8 MiB echo differs: $(cmp "$T/big" "$T/big.out" 2>&1 | head -n 1); got $(stat -c %s "$T/big.out") bytes"
	assert_log 5 "8388608 bytes in, 8388608 bytes out"

	# The same with nc -N (shutdown after stdin EOF), 1 MiB.
	head -c 1048576 /dev/urandom > "$T/mid"
	nc_send "$T/mid" "$T/mid.out"
	cmp -s "$T/mid" "$T/mid.out" ||
	    fail "1 MiB echo via nc -N differs: $(cmp "$T/mid" "$T/mid.out" 2>&1 | head -n 1); got $(stat -c %s "$T/mid.out") bytes"
}

# 200 clients at once, each with its own content, all held open until the
# thread count has been checked.
_clients_echoed() {
	local i
	for ((i = 1; i <= _n; i++)); do
		[[ -n ${_ok[i]-} ]] && continue
		[[ -s $T/c/$i.out ]] || return 1
		cmp -s "$T/c/$i.in" "$T/c/$i.out" || return 1
		_ok[i]=1
	done
}

_clients_done() {
	local i
	for ((i = 1; i <= _n; i++)); do
		[[ -s $T/c/$i.rc ]] || return 1
	done
}

t_many_clients() {
	local i gate rc bad=
	_n=200
	_ok=()
	echo_conf "$T/echod.conf" "max_connections_per_ip = 0"
	start_echod "$T/echod.conf"

	mkdir "$T/c"
	mkfifo "$T/gate"
	# The gate: while this read-write descriptor is open, every client's
	# cat blocks on the fifo; closing it gives them all EOF at once.
	exec {gate}<>"$T/gate"
	for ((i = 1; i <= _n; i++)); do
		printf 'client %03d says %s-%s\n' "$i" "$RANDOM" "$RANDOM" \
		    > "$T/c/$i.in"
		(
			exec {gate}>&-
			cat "$T/c/$i.in" - < "$T/gate" |
			    timeout 45 socat -t 10 - "TCP:127.0.0.1:$PORT" \
			    > "$T/c/$i.out" 2> "$T/c/$i.err"
			echo "$?" > "$T/c/$i.rc"
		) &
	done

	if ! wait_for 30 _clients_echoed; then
		for ((i = 1; i <= _n; i++)); do
			[[ -n ${_ok[i]-} ]] && continue
			fail "client $i: sent $(_show_file "$T/c/$i.in"), got back $(_show_file "$T/c/$i.out") within 30 s"
		done
	fi
	# All 200 are connected: one thread each, plus the main thread.
	wait_for 10 'tasks; (( _tasks >= _n + 1 ))' ||
	    fail "echod has $_tasks threads with $_n clients connected (want >= $((_n + 1)))"
	assert_log 5 "connected ($_n active)"

	exec {gate}>&-
	wait_for 30 _clients_done ||
	    fail "not all clients finished within 30 s after closing their input"
	for ((i = 1; i <= _n; i++)); do
		rc=$(< "$T/c/$i.rc")
		[[ $rc == 0 ]] || bad+=" $i(status $rc: $(head -c 100 "$T/c/$i.err"))"
		cmp -s "$T/c/$i.in" "$T/c/$i.out" || bad+=" $i(data)"
	done
	[[ -z $bad ]] || fail "clients failed:$bad"

	wait_for 10 'tasks; (( _tasks == 1 ))' ||
	    fail "echod still has $_tasks threads 10 s after all clients left (want 1)"
	wait_for 5 '(( $(log_count "closed after") == _n ))' ||
	    fail "$(log_count "closed after") 'closed after' log lines, want $_n"
}

t_ipv6() {
	has_ipv6_loopback ||
	    skip "::1 is not configured here (see /proc/net/if_inet6)"
	echo_conf "$T/echod.conf"	# listens on 127.0.0.1:0; -l replaces it
	start_echod "$T/echod.conf" -l '[::1]:0'

	assert_log_re 0 "^<[0-7]>listening on \\[::1\\]:$PORT\$"
	assert_no_log "listening on 127.0.0.1"
	roundtrip hello6 hello6 "echo over IPv6 (nc -6 -N)" -6 ::1 "$PORT"
	printf 'over socat\n' > "$T/s.in"
	timeout 10 socat -t 5 - "TCP6:[::1]:$PORT" < "$T/s.in" > "$T/s.out" 2>&1 ||
	    fail "socat TCP6 failed: $(head -c 200 "$T/s.out")"
	assert_file "$T/s.out" $'over socat\n' "echo over IPv6 (socat TCP6)"
	assert_log_re 5 '^<[0-7]>\[::1\]:[0-9]+: connected \(1 active\)$'
}

t_log_connections_off() {
	write_conf "$T/echod.conf" <<-'EOF'
	[server]
	listen = 127.0.0.1:0

	[log]
	connections = no
	EOF
	start_echod "$T/echod.conf"
	roundtrip quiet quiet "echo with connection logging off"
	stats_until 5 ' 0 active connections, 1 accepted, '
	assert_no_log "connected ("
	assert_no_log "closed after"
}

# The listen queue holds a burst of clients: with the default backlog the
# socket's queue is 4096 long (or the kernel's somaxconn, if smaller).
t_default_backlog() {
	local want line q
	want=$(< /proc/sys/net/core/somaxconn)
	(( want > 4096 )) && want=4096
	echo_conf "$T/echod.conf"
	start_echod "$T/echod.conf"
	line=$(ss -Hltn "sport = :$PORT") || fail "ss failed"
	read -r _ _ q _ <<< "$line"
	assert_eq "$want" "$q" "the listening socket's queue length (ss Send-Q)"
}

# A client that fills buffer_size streams through a pipe (splice): still
# byte-exact, half-close honoured, and the time limits hold on that path.
t_splice_path() {
	echo_conf "$T/echod.conf" 'buffer_size = 4k' 'splice = yes'
	printf '[log]\nlevel = debug\n' >> "$T/echod.conf"
	start_echod "$T/echod.conf"
	head -c 8388608 /dev/urandom > "$T/big" || fail "cannot make test data"
	nc_send "$T/big" "$T/big.out"
	cmp -s "$T/big" "$T/big.out" ||
	    fail "8 MiB through the splice path differ: $(cmp "$T/big" "$T/big.out" 2>&1 | head -n 1); got $(stat -c %s "$T/big.out") bytes"
	assert_log 5 "8388608 bytes in, 8388608 bytes out"
	assert_eq 1 "$(log_count ': streaming: splicing through a pipe')" \
	    "connections that took the splice path"
}

t_splice_off() {
	echo_conf "$T/echod.conf" 'buffer_size = 4k' 'splice = no'
	printf '[log]\nlevel = debug\n' >> "$T/echod.conf"
	start_echod "$T/echod.conf"
	head -c 2097152 /dev/urandom > "$T/big" || fail "cannot make test data"
	nc_send "$T/big" "$T/big.out"
	cmp -s "$T/big" "$T/big.out" ||
	    fail "2 MiB with splice = no differ: $(cmp "$T/big" "$T/big.out" 2>&1 | head -n 1)"
	assert_log 5 "2097152 bytes in, 2097152 bytes out"
	assert_no_log "splicing"
}

# idle_timeout while splicing: a client that streamed, then went silent.
t_splice_idle_timeout() {
	local c got
	echo_conf "$T/echod.conf" 'buffer_size = 4k' 'splice = yes' 'idle_timeout = 1s'
	printf '[log]\nlevel = debug\n' >> "$T/echod.conf"
	start_echod "$T/echod.conf"
	head -c 262144 /dev/urandom > "$T/part" || fail "cannot make test data"
	conn_open c
	cat "$T/part" >&"$c" || fail "cannot write 256 KiB to echod"
	assert_log 5 ': streaming: splicing through a pipe'
	# Read it all back; echod closes after a second of silence.
	timeout 10 cat <&"$c" > "$T/part.out" || fail "reading the echo failed or hung"
	cmp -s "$T/part" "$T/part.out" ||
	    fail "256 KiB echo differs: got $(stat -c %s "$T/part.out") bytes"
	assert_log_re 5 ': closed after [0-9.]+ s, 262144 bytes in, 262144 bytes out \(idle timeout\)$'
	conn_close "$c"
}

# send_timeout while splicing: a client that streams and never reads.
t_splice_send_timeout() {
	local sp
	echo_conf "$T/echod.conf" 'buffer_size = 4k' 'splice = yes' 'send_timeout = 1s'
	printf '[log]\nlevel = debug\n' >> "$T/echod.conf"
	start_echod "$T/echod.conf"
	head -c 64M /dev/zero |
	    timeout 30 socat -u - "TCP:127.0.0.1:$PORT" 2> "$T/socat.err" &
	sp=$!
	assert_log 10 ': streaming: splicing through a pipe'
	assert_log 10 '(send timeout)'
	wait_for 5 '! alive "$sp"' ||
	    fail "the non-reading client still runs 5 s after echod closed it"
	roundtrip $'after\n' $'after\n' "a client after the send timeout"
}
