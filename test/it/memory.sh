# Memory on the idle path: what an idle connection's thread keeps resident.
# Pages, not timings: the figures themselves live in make bench.

SRC=$(cd "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)

# The GLIBC_TUNABLES value that the unit ships and make run uses: the
# Makefile's TUNABLES, which it writes into the unit.
unit_tunables() {
	_tun=$(sed -n 's/^TUNABLES *= *//p' "$SRC/Makefile")
	[[ -n $_tun ]] || fail "the Makefile sets no TUNABLES"
	grep -qx 'Environment=GLIBC_TUNABLES=@TUNABLES@' \
	    "$SRC/systemd/echod.service.in" ||
	    fail "systemd/echod.service.in does not set GLIBC_TUNABLES"
}

# stack_rss SIZE: sets _stacks to the number of worker stacks in echod's
# smaps (anonymous rw mappings of SIZE bytes right above a guard page;
# glibc adds the guard to the size asked for), _max_rss to the largest
# Rss among them in kB.
stack_rss() {
	local want=$(( $1 / 1024 )) line size prev_guard=0 in=0
	_stacks=0 _max_rss=0
	while IFS= read -r line; do
		if [[ $line =~ ^([0-9a-f]+)-([0-9a-f]+)\ ([-rwxps]{4})\ [0-9a-f]+\ [0-9a-f:]+\ 0\ *$ ]]; then
			size=$(( (16#${BASH_REMATCH[2]} - 16#${BASH_REMATCH[1]}) / 1024 ))
			in=0
			if [[ ${BASH_REMATCH[3]} == rw-p ]] && (( size == want && prev_guard )); then
				in=1
				_stacks=$(( _stacks + 1 ))
			fi
			prev_guard=0
			[[ ${BASH_REMATCH[3]} == ---p ]] && prev_guard=1
		elif [[ $line =~ ^[0-9a-f]+-[0-9a-f]+\  ]]; then
			in=0 prev_guard=0
		elif (( in )) && [[ $line =~ ^Rss:\ +([0-9]+)\ kB ]]; then
			(( BASH_REMATCH[1] > _max_rss )) && _max_rss=${BASH_REMATCH[1]}
		fi
	done < "/proc/$PID/smaps"
}

# 40 connections that each sent 64 bytes and got them back, then idle.
idle_clients() {
	local i fd data
	printf -v data '%064d' 0
	_fds=()
	for ((i = 0; i < 40; i++)); do
		conn_open fd
		_fds+=("$fd")
		conn_send "$fd" "$data"
		conn_expect "$fd" "$data" 5 "the echo for idle client $i"
	done
	wait_for 5 'tasks; (( _tasks == 41 ))' ||
	    fail "echod has $_tasks threads with 40 clients (want 41)"
}

# With the unit's tunables, logging on (the default) and the shipped
# stack size, each idle worker has exactly one page of stack resident.
t_idle_worker_one_stack_page() {
	skip_sanitized "sanitizers add stack frames and shadow pages"
	unit_tunables
	echo_conf "$T/echod.conf"
	GLIBC_TUNABLES=$_tun start_echod "$T/echod.conf"
	idle_clients
	stack_rss $(( 64 * 1024 ))
	(( _stacks >= 40 )) ||
	    fail "found $_stacks worker stacks of 64k in smaps (want 40)"
	(( _max_rss <= 4 )) ||
	    fail "an idle worker has $_max_rss kB of stack resident (want 4)"
	echo "note: $_stacks idle workers, at most $_max_rss kB of stack each"
}

# The tunables leave no room for static TLS in libraries loaded later:
# the NSS modules that look users up must still load, and the drop to
# the user still happens.
t_tunables_user_lookup() {
	(( EUID == 0 )) || skip "needs root to drop privileges"
	unit_tunables
	printf '[server]\nlisten = 127.0.0.1:0\nuser = nobody\ngroup = nogroup\n' \
	    > "$T/echod.conf"
	chmod 644 "$T/echod.conf"
	GLIBC_TUNABLES=$_tun start_echod "$T/echod.conf"
	grep -qE '^Uid:[[:space:]]+65534[[:space:]]' "/proc/$PID/status" ||
	    fail "echod does not run as nobody: $(grep ^Uid: "/proc/$PID/status")"
	roundtrip $'hi\n' $'hi\n' "an echo after the drop to nobody" 127.0.0.1 "$PORT"
}

# deepest_path: one talk client down the deepest path a worker has: a
# greeting, lines full of bytes to escape at debug level, one cut for the
# log, a reload while it is open, the stop word.  Sets _max_rss to the
# largest worker stack's resident kB, read while the client is still on.
deepest_path() {
	local c long
	talk_conf 'greeting = hello, this is echod' 'max_line = 1m'
	printf '\n[log]\nlevel = debug\n' >> "$T/echod.conf"
	printf '[server]\nthread_stack_size = %s\n' "$1" >> "$T/echod.conf"
	start_echod "$T/echod.conf"
	conn_open c
	conn_expect "$c" $'hello, this is echod\n' 5 "the greeting"
	printf -v long '%*s' 3000 ''
	long=${long// /$'\x1b\xe2\x80\xae\x01\xff'}
	conn_send "$c" "$long"$'\n'
	conn_expect "$c" "$long"$'\n' 5 "a long line of bytes to escape"
	kill -HUP "$PID"
	assert_reloaded 5 "$T/echod.conf"
	conn_send "$c" $'after the reload\r\n'
	conn_expect "$c" $'after the reload\n' 5 "a line after the reload"
	# A sanitizer's runtime lays thread stacks out its own way.
	if ! sanitized; then
		stack_rss "$2"
		(( _stacks >= 1 )) || fail "no worker stack of $1 in echod's smaps"
	fi
	conn_send "$c" $'STOP\n'
	conn_expect "$c" $'BYE\n' 5 "the stop word"
	conn_expect_eof "$c" 5 "the end of the session"
	alive "$PID" || fail "echod died on the deepest path with a $1 stack"
}

# The default thread_stack_size is four times what the deepest path
# touches, and the path also runs in the smallest stack the config takes.
t_stack_margin() {
	skip_sanitized "sanitizers change how much stack every call takes"
	deepest_path 64k $(( 64 * 1024 ))
	echo "note: the deepest path touched $_max_rss kB of the 64k stack"
	(( _max_rss * 4 <= 64 )) ||
	    fail "the deepest path touched $_max_rss kB of stack: less than a 4x margin in 64k"
}

t_stack_minimum() {
	local min
	min=$(getconf PTHREAD_STACK_MIN 2>/dev/null) || min=16384
	(( min > 0 )) || min=16384
	deepest_path "$(( min / 1024 ))k" "$min"
}
