# Reloads that wait for a resolver: the lookups run off the accept loop,
# which goes on accepting and pinging the watchdog; SIGHUPs meanwhile are
# coalesced; SIGTERM does not wait for the lookup.  The resolver is a DNS
# server that never answers, seen only by echod (a mount namespace).

SLOW=slow.example.invalid	# a name only DNS could answer

# _silent_dns TIMEOUT: a UDP listener on a random loopback address, port
# 53, that takes every query (into $T/dns.q) and answers none, and ECHOD
# set to a wrapper that runs echod in a private mount namespace whose
# /etc/resolv.conf names only that server (TIMEOUT seconds, one try) and
# whose /etc/nsswitch.conf sends host names to DNS after /etc/hosts.
_silent_dns() {
	local a=$(( RANDOM % 200 + 20 )) b=$(( RANDOM % 250 + 1 )) ip hex
	(( EUID == 0 )) || skip "needs root (a mount namespace, port 53)"
	need unshare util-linux
	unshare -m --propagation private true 2>/dev/null ||
	    skip "unshare -m does not work here"
	[[ -S /var/run/nscd/socket || -S /run/nscd/socket ]] &&
	    skip "nscd would answer the host lookups, not the test's resolver"
	ip=127.$a.$b.53
	printf -v hex '%02X%02X%02X%02X:0035' 53 "$b" "$a" 127
	printf 'nameserver %s\noptions timeout:%s attempts:1\n' "$ip" "$1" \
	    > "$T/resolv.conf"
	printf 'passwd: files\ngroup: files\nhosts: files dns\n' \
	    > "$T/nsswitch.conf"
	: > "$T/dns.q"
	socat -u "UDP-RECV:53,bind=$ip" "OPEN:$T/dns.q,append" \
	    2> "$T/dns.err" &
	wait_for 5 'grep -q " $hex " /proc/net/udp' ||
	    fail "socat did not bind $ip:53: $(cat "$T/dns.err")"
	cat > "$T/echod-ns" <<-EOF
	#!/bin/sh
	exec unshare -m --propagation private sh -c 'mount --bind "\$0" /etc/resolv.conf &&
	    mount --bind "\$1" /etc/nsswitch.conf && shift && exec "\$@"' \\
	    "$T/resolv.conf" "$T/nsswitch.conf" "$ECHOD" "\$@"
	EOF
	chmod +x "$T/echod-ns"
	ECHOD=$T/echod-ns
}

# _slow_reload CONF: adds a listen value only DNS could resolve to CONF,
# sends SIGHUP and waits until the lookup reaches the silent server.
_slow_reload() {
	echo_conf "$1" "listen = $SLOW:7777"
	kill -HUP "$PID"
	wait_for 5 '[[ -s $T/dns.q ]]' ||
	    fail "the lookup of $SLOW never reached the silent DNS server"
}

# _still_hung: neither end of the reload is logged yet.
_still_hung() {
	grep -qE 'reloaded |reload failed' "$LOG" &&
	    fail "the reload ended too soon for the check: $(grep -E 'reloaded |reload failed' "$LOG" | head -n 1)"
	return 0
}

# The accept loop accepts, echoes and pings the watchdog while a reload
# waits for DNS; the reload then fails with the reason and the running
# configuration serves on.
t_slow_resolver() {
	local c conf=$T/echod.conf pings
	_silent_dns 5
	notify_listen "UNIX-RECV:$T/notify.sock"
	wait_for 5 '[[ -S $T/notify.sock ]]' || fail "socat did not bind"
	echo_conf "$conf"
	NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=1000000 start_echod "$conf"
	assert_notify 5 'READY=1'
	roundtrip before before "a client before the reload"

	_slow_reload "$conf"
	conn_open c
	conn_send "$c" $'during\n'
	conn_expect "$c" $'during\n' 1 "a new client while the reload waits for DNS (within 1 s)"
	pings=$(notify_count WATCHDOG=1)
	wait_for 2 '(( $(notify_count WATCHDOG=1) >= pings + 2 ))' ||
	    fail "$(( $(notify_count WATCHDOG=1) - pings )) WATCHDOG=1 pings in the 2 s after the lookup started (want 2)"
	_still_hung
	assert_eq 1 "$(notify_count READY=1)" "READY=1 messages while reloading"

	assert_log 15 "reload failed; keeping the running configuration"
	assert_log 0 "cannot listen on $SLOW:7777: Temporary failure in name resolution"
	wait_for 2 '(( $(notify_count READY=1) == 2 ))' ||
	    fail "no READY=1 after the failed reload: $(tr '\n' '|' < "$T/notify")"
	assert_no_log "listening on [::]:7777"
	conn_send "$c" $'after\n'
	conn_expect "$c" $'after\n' 5 "the client held across the reload"
	conn_close "$c"
	roundtrip after after "a new client after the failed reload (old port $PORT)"
}

# SIGHUPs during a slow reload make one more reload after it, which reads
# the file as it is by then.
t_slow_reload_coalesced() {
	local conf=$T/echod.conf
	_silent_dns 3
	echo_conf "$conf"
	start_echod "$conf"
	_slow_reload "$conf"
	talk_conf			# $conf, fixed meanwhile
	kill -HUP "$PID"
	assert_log 2 "SIGHUP during a reload: $conf is read again once it ends"
	kill -HUP "$PID"
	wait_for 2 '(( $(log_count "SIGHUP during a reload") == 2 ))' ||
	    fail "the second SIGHUP during the reload was not seen within 2 s"
	_still_hung
	assert_eq 1 "$(log_count "reloading $conf")" "reloads started during the slow one"

	assert_log 15 "cannot listen on $SLOW:7777: "
	assert_log 0 "reload failed"
	assert_reloaded 5 "$conf"
	roundtrip $'probe\r\nSTOP\n' $'probe\nBYE\n' "a client after the reload that followed (talk mode)"
	# SIGUSR1 is read after anything the reload could have set off.
	stats_until 5 'stats: '
	assert_eq 2 "$(log_count "reloading $conf")" "reloads in all (the slow one and one after it)"
	assert_eq 1 "$(log_count "reload failed")" "failed reloads"
}

# SIGTERM while a reload waits for DNS: echod exits promptly, status 0.
t_term_during_slow_reload() {
	local conf=$T/echod.conf start
	_silent_dns 30
	echo_conf "$conf"
	start_echod "$conf"
	_slow_reload "$conf"
	_now
	start=$_t
	kill -TERM "$PID"
	wait_exit 3
	elapsed_since "$start"
	echo "note: exited $_el s after SIGTERM"
	assert_eq 0 "$ECHOD_STATUS" "echod's exit status after SIGTERM during a reload"
	assert_log 0 "the reload under way will not be applied"
	assert_log 0 "not waiting for the reload still under way"
	assert_no_log "reloaded "
}

# At start a name that does not resolve is what it always was: exit 71,
# naming the value and the reason.
t_slow_resolver_at_start() {
	_silent_dns 1
	echo_conf "$T/echod.conf" "listen = $SLOW:7777"
	run_echod start -c "$T/echod.conf"
	assert_eq 71 "$_rc" "exit status with an unresolvable listen name"
	grep -qF "cannot listen on $SLOW:7777: Temporary failure in name resolution" \
	    "$T/start.err" || fail "no error naming $SLOW: $(head -c 300 "$T/start.err")"
	[[ -s $T/dns.q ]] || fail "the lookup never reached the silent DNS server"
}
