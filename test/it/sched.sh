# How echod's threads are scheduled (priority.c): workers as SCHED_BATCH,
# busy ones (a second read) at nice 19, the main thread as it was
# started, so that busy workers cannot keep it from accepting.  What that
# buys is measured by make bench (pingpong-500, the first message's max);
# this checks the settings themselves.

SCHED_OTHER=0 SCHED_BATCH=3

# _sched TID: sets _nice and _policy from /proc/PID/task/TID/stat
# (fields 19 and 41; the name in field 2 may hold spaces, so the fields
# are counted after its closing parenthesis).
_sched() {
	local stat rest f
	stat=$(< "/proc/$PID/task/$1/stat") || fail "cannot read thread $1's stat"
	rest=${stat##*) }
	read -ra f <<< "$rest"
	_nice=${f[16]} _policy=${f[38]}
}

# _workers_sched: counts the threads other than the main thread:
# _batch at SCHED_BATCH and nice 0, _behind at SCHED_BATCH and nice 19,
# _other in neither (a sanitizer's own threads are not counted).
_workers_sched() {
	local d tid
	_batch=0 _behind=0 _other=0
	for d in /proc/"$PID"/task/*; do
		tid=${d##*/}
		[[ $tid != "$PID" ]] || continue
		_sched "$tid"
		if [[ $_policy == "$SCHED_BATCH" && $_nice == 0 ]]; then
			_batch=$(( _batch + 1 ))
		elif [[ $_policy == "$SCHED_BATCH" && $_nice == 19 ]]; then
			_behind=$(( _behind + 1 ))
		elif ! sanitized; then
			_other=$(( _other + 1 ))
		fi
	done
}

# _main_sched: the main thread runs as it was started (SCHED_OTHER, 0).
_main_sched() {
	_sched "$PID"
	assert_eq "$SCHED_OTHER" "$_policy" "the main thread's policy $1"
	assert_eq 0 "$_nice" "the main thread's nice value $1"
}

# A client served once runs as SCHED_BATCH at the main thread's nice;
# once it comes back for more, at nice 19, behind the main thread.
t_busy_workers_behind_acceptor() {
	local i fd fds=()
	echo_conf "$T/echod.conf"
	start_echod "$T/echod.conf"
	for ((i = 0; i < 3; i++)); do
		conn_open fd
		fds+=("$fd")
		conn_send "$fd" "client $i"
		conn_expect "$fd" "client $i" 5 "the echo for client $i"
	done
	_main_sched "with 3 clients"
	wait_for 5 '_workers_sched; (( _batch == 3 ))' ||
	    fail "$_batch of 3 workers run as SCHED_BATCH at nice 0 after one message ($_behind at nice 19, $_other otherwise)"
	assert_eq 0 "$(( _behind + _other ))" "workers at nice 19 or otherwise after one message"
	# Two of them come back: only those two move behind.
	for i in 0 1; do
		conn_send "${fds[i]}" "again $i"
		conn_expect "${fds[i]}" "again $i" 5 "the second echo for client $i"
	done
	wait_for 5 '_workers_sched; (( _behind == 2 && _batch == 1 ))' ||
	    fail "after 2 clients came back: $_behind workers at nice 19, $_batch at 0 (want 2 and 1), $_other otherwise"
	assert_eq 0 "$_other" "workers with other settings"
	_main_sched "after workers moved behind it"
	# A thread takes its nice value with it: the next client's worker
	# starts at the main thread's, not at a finished worker's.
	conn_close "${fds[0]}"
	conn_open fd
	conn_send "$fd" "client 4"
	conn_expect "$fd" "client 4" 5 "the echo for client 4"
	wait_for 5 '_workers_sched; (( _behind == 1 && _batch == 2 ))' ||
	    fail "after one busy client left and a new one came: $_behind workers at nice 19, $_batch at 0 (want 1 and 2)"
}
