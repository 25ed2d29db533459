# Command line and config checking: -t, -T, usage errors, bind failures.

_full_conf() {
	write_conf "$1" <<-'EOF'
	# every documented key
	[server]
	listen = 127.0.0.1:0
	listen = [::1]:0
	backlog = 64
	mode = talk
	max_connections = 100
	idle_timeout = 5m
	buffer_size = 16k
	thread_stack_size = 64k
	shutdown_timeout = 1500ms
	reuse_port = no

	[talk]
	reply = yes
	stop_word = QUIT
	greeting = hello there
	max_line = 100

	[log]
	level = info
	connections = yes
	EOF
}

# _expect_status WANT WHAT: checks _rc from run_echod.
_expect_status() {
	(( _rc == $1 )) ||
	    fail "$2: exit status $_rc, want $1; stderr: $(head -c 300 "$T/$3.err" | cat -v)"
}

t_check_good() {
	_full_conf "$T/good.conf"
	run_echod good -c "$T/good.conf" -t
	_expect_status 0 "echod -t on a valid file" good

	echo_conf "$T/min.conf"
	run_echod min -c "$T/min.conf" -t
	_expect_status 0 "echod -t on a minimal file" min
}

t_check_bad_number() {
	write_conf "$T/bad.conf" <<-'EOF'
	[server]
	listen = 127.0.0.1:0
	max_connections = 12x
	EOF
	run_echod bad -c "$T/bad.conf" -t
	_expect_status 78 "echod -t with max_connections = 12x" bad
	grep -qF -- "$T/bad.conf:3: max_connections" "$T/bad.err" ||
	    fail "stderr lacks '$T/bad.conf:3: max_connections': $(head -c 300 "$T/bad.err")"
	grep -qF -- "echod: $T/bad.conf:3: max_connections: '12x' is not a number" "$T/bad.err" ||
	    fail "stderr lacks the message \"echod: $T/bad.conf:3: max_connections: '12x' is not a number\": $(head -c 300 "$T/bad.err")"
}

# Run by ExecReload= with stderr on the journal (JOURNAL_STREAM names that
# stream), echod -t gives each line a priority prefix instead of "echod: ",
# so that journald files the errors at priority err.
t_check_journal_priority() {
	write_conf "$T/bad.conf" <<-'EOF'
	[server]
	listen = 127.0.0.1:0
	max_connections = 12x
	EOF
	echo_conf "$T/good.conf"
	: > "$T/bad.err"
	JOURNAL_STREAM=$(stat -c %d:%i "$T/bad.err") \
	    run_echod bad -c "$T/bad.conf" -t
	_expect_status 78 "echod -t on the journal stream" bad
	assert_eq "<3>$T/bad.conf:3: max_connections: '12x' is not a number" \
	    "$(cat "$T/bad.err")" "echod -t's error on the journal stream"
	: > "$T/good.err"
	JOURNAL_STREAM=$(stat -c %d:%i "$T/good.err") \
	    run_echod good -c "$T/good.conf" -t
	_expect_status 0 "echod -t on a valid file, on the journal stream" good
	assert_eq "<6>$T/good.conf: configuration OK" "$(cat "$T/good.err")" \
	    "echod -t's verdict on the journal stream"
	# Another stream (or a malformed variable) is not the journal.
	local v
	for v in "$(stat -c %d "$T/bad.err"):1" "$(stat -c %d:%i "$T/bad.err")x" \
	    ":$(stat -c %i "$T/bad.err")" ""; do
		JOURNAL_STREAM=$v run_echod bad -c "$T/bad.conf" -t
		grep -qxF -- "echod: $T/bad.conf:3: max_connections: '12x' is not a number" "$T/bad.err" ||
		    fail "with JOURNAL_STREAM='$v' stderr should be plain: $(head -c 300 "$T/bad.err")"
	done
}

t_check_unknown_key() {
	write_conf "$T/bad.conf" <<-'EOF'
	[server]
	listen = 127.0.0.1:0

	[talk]
	colour = blue
	EOF
	run_echod bad -c "$T/bad.conf" -t
	_expect_status 78 "echod -t with an unknown key" bad
	grep -qF -- "$T/bad.conf:5:" "$T/bad.err" ||
	    fail "stderr lacks '$T/bad.conf:5:': $(head -c 300 "$T/bad.err")"
}

t_check_bad_values() {
	local line n=0
	for line in 'mode = chat' 'idle_timeout = soon' 'idle_timeout = 5 parsecs' \
	    'reuse_port = maybe' 'buffer_size = 16q' 'listen = 127.0.0.1:99999' \
	    'shutdown_timeout = -1' 'no equals sign here'; do
		n=$(( n + 1 ))
		printf '[server]\n%s\n' "$line" > "$T/bad$n.conf"
		run_echod "bad$n" -c "$T/bad$n.conf" -t
		_expect_status 78 "echod -t with '$line'" "bad$n"
		grep -qF -- "$T/bad$n.conf:2:" "$T/bad$n.err" ||
		    fail "'$line': stderr lacks '$T/bad$n.conf:2:': $(head -c 300 "$T/bad$n.err")"
	done
	printf '[talk]\nreply = perhaps\n' > "$T/talk.conf"
	run_echod talk -c "$T/talk.conf" -t
	_expect_status 78 "echod -t with 'reply = perhaps'" talk
	printf '[log]\nlevel = loud\n' > "$T/log.conf"
	run_echod log -c "$T/log.conf" -t
	_expect_status 78 "echod -t with 'level = loud'" log
}

# _has_setting FILE KEY VALUE: FILE has a line "KEY = VALUE".
_has_setting() {
	grep -qE "^[[:space:]]*$2[[:space:]]*=[[:space:]]*$3[[:space:]]*\$" "$1"
}

t_print_effective() {
	local kv
	_full_conf "$T/full.conf"
	run_echod full -c "$T/full.conf" -T
	_expect_status 0 "echod -T" full
	for kv in '\[server\]' '\[talk\]' '\[log\]'; do
		grep -qE "^$kv\$" "$T/full.out" ||
		    fail "echod -T output lacks section $kv: $(head -c 400 "$T/full.out")"
	done
	for kv in 'mode talk' 'max_connections 100' 'stop_word QUIT' \
	    'max_line 100' 'greeting hello there' 'backlog 64'; do
		_has_setting "$T/full.out" "${kv%% *}" "${kv#* }" ||
		    fail "echod -T output lacks '${kv%% *} = ${kv#* }': $(head -c 600 "$T/full.out")"
	done

	# What -T prints is a valid config that prints the same again.
	cp "$T/full.out" "$T/again.conf"
	run_echod again -c "$T/again.conf" -T
	_expect_status 0 "echod -T on the output of echod -T" again
	cmp -s "$T/full.out" "$T/again.out" ||
	    fail "echod -T of its own output differs: $(diff "$T/full.out" "$T/again.out" | head -n 6)"

	# Defaults.
	printf '[server]\nlisten = 127.0.0.1:0\n' > "$T/min.conf"
	run_echod min -c "$T/min.conf" -T
	_expect_status 0 "echod -T on a minimal file" min
	for kv in 'mode echo' 'max_connections 1024' 'stop_word STOP' \
	    'reply yes' 'max_line (4096|4k)' 'connections yes'; do
		_has_setting "$T/min.out" "${kv%% *}" "${kv#* }" ||
		    fail "echod -T: default '${kv%% *} = ${kv#* }' missing: $(head -c 600 "$T/min.out")"
	done

	# The command line wins.
	run_echod opt -c "$T/full.conf" -m echo -T
	_expect_status 0 "echod -m echo -T" opt
	_has_setting "$T/opt.out" mode echo ||
	    fail "echod -m echo -T does not print 'mode = echo': $(grep mode "$T/opt.out")"
}

t_usage() {
	echo_conf "$T/echod.conf"
	run_echod badopt -c "$T/echod.conf" -Z
	_expect_status 64 "echod -Z (unknown option)" badopt
	run_echod noarg -c
	_expect_status 64 "echod -c without an argument" noarg

	run_echod help -h
	_expect_status 0 "echod -h" help
	[[ -s $T/help.out || -s $T/help.err ]] || fail "echod -h printed nothing"
	run_echod version -V
	_expect_status 0 "echod -V" version
	[[ -s $T/version.out || -s $T/version.err ]] || fail "echod -V printed nothing"
}

t_listen_in_use() {
	echo_conf "$T/echod.conf"
	start_echod "$T/echod.conf"
	run_echod second -c "$T/echod.conf" -l "127.0.0.1:$PORT"
	_expect_status 71 "a second echod on the same port 127.0.0.1:$PORT" second
	grep -qF "127.0.0.1:$PORT" "$T/second.err" ||
	    fail "the error does not name the address 127.0.0.1:$PORT: $(head -c 300 "$T/second.err")"
	grep -qi "in use" "$T/second.err" ||
	    fail "the error does not give the reason (address in use): $(head -c 300 "$T/second.err")"
	roundtrip still still "the first echod after the failed second start"
}
