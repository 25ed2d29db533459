# The benchmark's tools (make bench): build/bench/loadgen against the real
# echod for a moment in each scenario, every echoed byte checked, no
# error allowed; and proof that its checks catch a server that alters or
# cuts the echo.  make test builds build/bench/ (bench-build).

LOADGEN=${LOADGEN:-build/bench/loadgen}

_need_loadgen() {
	[[ -x $LOADGEN ]] ||
	    skip "$LOADGEN not built (make bench-build; make test builds it)"
}

# loadgen ARGS...: runs it (30 s at most) against 127.0.0.1:$PORT; sets
# _rc and _line (its key=value line); stderr goes to $T/loadgen.err.
loadgen() {
	timeout -k 2 30 "$LOADGEN" -p "$PORT" "$@" > "$T/loadgen.out" \
	    2> "$T/loadgen.err"
	_rc=$?
	_line=$(grep '^scenario=' "$T/loadgen.out" | tail -n 1)
}

# kv KEY: sets _v to KEY's value in _line (fails when it is missing).
kv() {
	local re="(^| )$1=([^ ]*)"
	[[ $_line =~ $re ]] ||
	    fail "no $1= in loadgen's output: '$_line' ($(tail -n 3 "$T/loadgen.err" | tr '\n' ' '))"
	_v=${BASH_REMATCH[2]}
}

# assert_clean: exit status 0, errors=0 and every err_ kind 0.
assert_clean() {
	local k
	kv errors
	[[ $_rc == 0 && $_v == 0 ]] ||
	    fail "loadgen exited with status $_rc, errors=$_v: $(head -n 5 "$T/loadgen.err" | tr '\n' ' ')"
	for k in connect reset eof mismatch timeout other; do
		kv "err_$k"
		assert_eq 0 "$_v" "err_$k"
	done
}

# assert_at_least KEY MIN
assert_at_least() {
	kv "$1"
	[[ ${_v%%.*} =~ ^[0-9]+$ ]] && (( ${_v%%.*} >= $2 )) ||
	    fail "$1=$_v, expected at least $2 (line: $_line)"
}

_bench_echod() {
	echo_conf "$T/echod.conf" "max_connections_per_ip = 0"
	start_echod "$T/echod.conf"
}

t_loadgen_stream() {
	_need_loadgen
	_bench_echod
	loadgen -s stream -d 0.3 -t 10
	assert_clean
	assert_at_least bytes 65536
	assert_at_least served 1
	kv mb_per_s
	[[ $_v != 0.0 ]] || fail "mb_per_s=0.0 with data echoed"
	echo "note: stream through echod for 0.3 s: $_v MB/s"
}

t_loadgen_pingpong() {
	_need_loadgen
	_bench_echod
	loadgen -s pingpong -c 20 -d 0.3 -t 10 --pid "$PID"
	assert_clean
	# Every connection's first message at least, and each one served.
	assert_at_least msgs 20
	assert_at_least served 20
	kv p99_us
	[[ $_v != 0.0 ]] || fail "p99_us=0.0 after messages"
	kv first_max_us
	[[ $_v != 0.0 ]] || fail "first_max_us=0.0: first messages not timed"
	# /proc sampling sees echod's threads: one for each connection.
	assert_at_least srv_threads_peak 21
}

t_loadgen_churn() {
	_need_loadgen
	_bench_echod
	# A count, not a time: each connection leaves a TIME-WAIT socket
	# for a minute, and thousands slow down whatever reads the table.
	loadgen -s churn -n 300 -d 20 -t 10
	assert_clean
	kv conns_done
	assert_eq 300 "$_v" "connections done with -n 300"
	# From 127.0.0.1 to 127.0.0.8 (the default -a 8 to a loopback host).
	assert_log_re 5 '^<[0-7]>127\.0\.0\.[2-8]:[0-9]+: connected'
}

t_loadgen_hold() {
	_need_loadgen
	_bench_echod
	loadgen -s hold -c 50 -d 1 -t 10 --pid "$PID"
	assert_clean
	assert_at_least connected 50
	assert_at_least served 50
	# Each of 50 sends once on connecting and once a second: at least
	# once more in 1 s.
	assert_at_least msgs 100
	assert_at_least srv_threads_peak 51
	assert_at_least srv_threads_held 51
	kv sys_kstack_per_conn_b
	kv srv_rss_per_conn_b
}

t_loadgen_usage() {
	_need_loadgen
	"$LOADGEN" -s nonesuch -p 7 > "$T/u.out" 2> "$T/u.err"
	assert_eq 64 "$?" "exit status for an unknown scenario"
	grep -q "unknown scenario 'nonesuch'" "$T/u.err" ||
	    fail "no reason given: $(head -c 200 "$T/u.err")"
	"$LOADGEN" -s stream -p 7 -d 0 > "$T/u.out" 2> "$T/u.err"
	assert_eq 64 "$?" "exit status for -d 0"
	"$LOADGEN" -s hold -p 7 -c 1000000 > "$T/u.out" 2> "$T/u.err"
	assert_eq 64 "$?" "exit status for more connections than descriptors"
	grep -q "descriptors" "$T/u.err" ||
	    fail "no reason given: $(head -c 200 "$T/u.err")"
}

# start_socat ADDRESS: a socat server on a free loopback port relaying
# each connection to ADDRESS (a filter); sets PORT.
start_socat() {
	: > "$T/socat.err"
	socat -d -d "TCP-LISTEN:0,bind=127.0.0.1,reuseaddr,fork" "$1" \
	    < /dev/null 2> "$T/socat.err" &
	_socat=$!
	wait_for 5 'grep -q " listening on AF=2 127.0.0.1:" "$T/socat.err" || ! alive "$_socat"'
	PORT=$(sed -n 's/.* listening on AF=2 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/socat.err")
	[[ -n $PORT ]] || fail "socat did not start: $(head -c 300 "$T/socat.err")"
}

# A server that upper-cases a-z: the random pattern has such bytes in
# every few, so the first chunk back must already differ.
t_loadgen_catches_corruption() {
	_need_loadgen
	start_socat "EXEC:tr a-z A-Z"
	loadgen -s stream -d 0.5 -t 5
	kv err_mismatch
	(( _v > 0 )) || fail "err_mismatch=$_v against a server that alters bytes (exit status $_rc): $_line"
	(( _rc != 0 )) || fail "exit status 0 with err_mismatch=$_v"
	grep -qE 'mismatch: byte [0-9]+ is 0x[0-9a-f]{2}, 0x[0-9a-f]{2} was sent' "$T/loadgen.err" ||
	    fail "the mismatch is not described: $(head -n 3 "$T/loadgen.err" | tr '\n' ' ')"
}

# A server that echoes 100 bytes and closes: the second message comes
# back short, then end of file.
t_loadgen_catches_short_echo() {
	_need_loadgen
	start_socat "EXEC:stdbuf -o0 head -c 100"
	loadgen -s pingpong -c 1 -d 2 -t 5
	kv err_eof
	assert_eq 1 "$_v" "err_eof against a server that stops after 100 bytes"
	(( _rc != 0 )) || fail "exit status 0 with err_eof=$_v"
	grep -q 'eof: end of file after 100 of 128 bytes' "$T/loadgen.err" ||
	    fail "the short echo is not described: $(head -n 3 "$T/loadgen.err" | tr '\n' ' ')"
}
