# UDP echo (udp:// listen values): every datagram back unchanged, IPv4,
# IPv6 and dual-stack; the guards (source ports that answer, [access],
# udp_rate, broadcast and multicast) and their counters in the SIGUSR1
# line and STATUS=; reloads that open, close and keep UDP sockets;
# SIGTERM; socket activation with a datagram socket.
#
# Every config also listens on TCP 127.0.0.1:0, which start_echod waits
# for.

# _udp_conf FILE LINE...: an echo config with these [server] lines.
_udp_conf() {
	local f=$1
	shift
	{
		printf '[server]\nmode = echo\nlisten = 127.0.0.1:0\n'
		printf '%s\n' "$@"
	} > "$f"
	_root_user "$f"
}

# _start_udp LINE...: starts echod on _udp_conf $T/echod.conf; sets
# UDP_PORTS.
_start_udp() {
	_udp_conf "$T/echod.conf" "$@"
	start_echod "$T/echod.conf"
	parse_udp_ports
	(( ${#UDP_PORTS[@]} )) ||
	    fail "no 'listening on udp://' line: $(grep 'listening on' "$LOG" | tr '\n' ' ')"
}

# _payloads: $T/p.N for each size the echo cases send, random bytes.
_SIZES="0 1 1472 9000 65507"
_payloads() {
	local n
	for n in $_SIZES; do
		head -c "$n" /dev/urandom > "$T/p.$n"
	done
}

# _sizes WHAT HOST PORT: each payload comes back whole.
_sizes() {
	local n
	for n in $_SIZES; do
		udp_roundtrip "$T/p.$n" "$n bytes to $1" "$2" "$3"
	done
}

# _udp_stats ERE: the next SIGUSR1 line's UDP part matches ERE.
_udp_stats() {
	stats_until 5 "; UDP: $1"
}

# The sizes over IPv4; the counters add up; no line a datagram is
# logged at info level (log connections = yes).
t_echo_sizes_v4() {
	local n total=0
	_payloads
	_start_udp "listen = udp://127.0.0.1:0"
	_sizes "udp://127.0.0.1:${UDP_PORTS[0]}" 127.0.0.1 "${UDP_PORTS[0]}"
	for n in $_SIZES; do total=$(( total + n )); done
	_udp_stats "5 datagrams received, 5 echoed \\($total bytes\\), dropped: 0 truncated, 0 from answering ports, 0 broadcast or multicast, 0 denied by \\[access\\], 0 over udp_rate, 0 send errors"
	assert_no_log "bytes from"
	assert_no_log "dropped a datagram"
	stop_echod
	assert_eq 0 "$ECHOD_STATUS" "echod's exit status"
}

# The same over IPv6, and through one dual-stack "*" socket from IPv4
# (seen as ::ffff:127.0.0.1) and from IPv6.
t_echo_sizes_v6() {
	has_ipv6_loopback || skip "no IPv6 loopback (::1)"
	_payloads
	_start_udp "listen = udp://[::1]:0" "listen = udp://*:0"
	assert_log 0 "listening on udp://[::1]:${UDP_PORTS[0]}"
	assert_log 0 "listening on udp://[::]:${UDP_PORTS[1]}"
	_sizes "udp://[::1]:${UDP_PORTS[0]}" ::1 "${UDP_PORTS[0]}"
	_sizes "udp://*:${UDP_PORTS[1]} over IPv6" ::1 "${UDP_PORTS[1]}"
	_sizes "udp://*:${UDP_PORTS[1]} over IPv4" 127.0.0.1 "${UDP_PORTS[1]}"
	_udp_stats "15 datagrams received, 15 echoed "
}

# A socket on every address answers from the address it was sent to
# (the client takes answers from there only): 127.0.0.2 is one of this
# host's as much as 127.0.0.1.
t_answer_from_destination() {
	local p
	printf 'which address' > "$T/in"
	_start_udp "listen = udp://0.0.0.0:0"
	p=${UDP_PORTS[0]}
	udp_roundtrip "$T/in" "to 127.0.0.2" 127.0.0.2 "$p"
	udp_roundtrip "$T/in" "to 127.0.0.1" 127.0.0.1 "$p"
	if has_ipv6_loopback; then
		stop_echod
		_start_udp "listen = udp://*:0"
		udp_roundtrip "$T/in" "to 127.0.0.2, dual-stack" 127.0.0.2 \
		    "${UDP_PORTS[0]}"
	fi
}

# Datagrams from ports whose services answer (19, chargen; 7, echo) get
# nothing, and are counted; others from the same host are answered.
t_answering_source_port() {
	local sp
	(( EUID == 0 )) || skip "sending from port 19 needs root"
	need socat socat
	printf 'loop?\n' > "$T/in"
	_start_udp "listen = udp://127.0.0.1:0"
	for sp in 19 7; do
		timeout 10 socat -t 1 - \
		    "UDP:127.0.0.1:${UDP_PORTS[0]},sourceport=$sp" \
		    < "$T/in" > "$T/socat.$sp" 2> "$T/socat.err" ||
		    fail "socat from port $sp: $(head -c 200 "$T/socat.err")"
		[[ ! -s $T/socat.$sp ]] ||
		    fail "a datagram from port $sp was answered: $(_show_file "$T/socat.$sp")"
	done
	udp_roundtrip "$T/in" "from an ordinary port" 127.0.0.1 "${UDP_PORTS[0]}"
	_udp_stats "3 datagrams received, 1 echoed \\(6 bytes\\), dropped: 0 truncated, 2 from answering ports, "
	assert_log 0 "dropped a datagram from 127.0.0.1:19: from port 19, whose answers would loop"
}

# [access] applies to every datagram: 127.0.0.2 is denied, 127.0.0.1 is
# not.
t_denied_source() {
	need socat socat
	printf 'let me in\n' > "$T/in"
	_start_udp "listen = udp://127.0.0.1:0" "[access]" "deny = 127.0.0.2"
	timeout 10 socat -t 1 - "UDP:127.0.0.1:${UDP_PORTS[0]},bind=127.0.0.2" \
	    < "$T/in" > "$T/socat.out" 2> "$T/socat.err" ||
	    fail "socat from 127.0.0.2: $(head -c 200 "$T/socat.err")"
	[[ ! -s $T/socat.out ]] ||
	    fail "127.0.0.2 was answered: $(_show_file "$T/socat.out")"
	udp_silent "$T/in" "from 127.0.0.2 (perl)" 127.0.0.1 "${UDP_PORTS[0]}" \
	    127.0.0.2
	udp_roundtrip "$T/in" "from 127.0.0.1" 127.0.0.1 "${UDP_PORTS[0]}"
	_udp_stats "3 datagrams received, 1 echoed .*, 2 denied by \\[access\\], "
	assert_log 0 "dropped a datagram from 127.0.0.2:"
}

# udp_rate = 5: of 50 datagrams sent at once, the bucket's 5 (and what
# it refills while they arrive) are answered; the rest are counted.
t_rate_limit() {
	local dropped
	printf 'flood' > "$T/in"
	_start_udp "listen = udp://127.0.0.1:0" "udp_rate = 5"
	udp_send "$T/in" "$T/out" 50 1 127.0.0.1 "${UDP_PORTS[0]}"
	(( _udp_got >= 5 && _udp_got <= 7 )) ||
	    fail "$_udp_got of 50 datagrams answered at udp_rate = 5 (want 5 to 7)"
	dropped=$(( 50 - _udp_got ))
	_udp_stats "50 datagrams received, $_udp_got echoed .*, $dropped over udp_rate, 0 send errors"
	assert_log 0 "over udp_rate (5/s)"
}

# TCP and UDP on one port number are two sockets, each serving.
t_tcp_and_udp_same_port() {
	local p
	free_udp_port
	p=$_port
	_start_udp "listen = 127.0.0.1:$p" "listen = udp://127.0.0.1:$p"
	assert_log 0 "listening on 127.0.0.1:$p"
	assert_log 0 "listening on udp://127.0.0.1:$p"
	printf 'same port' > "$T/in"
	udp_roundtrip "$T/in" "UDP port $p" 127.0.0.1 "$p"
	roundtrip "tcp" "tcp" "TCP port $p" 127.0.0.1 "$p"
}

# Broadcasts are not answered: 127.255.255.255 (loopback's directed
# broadcast) and 255.255.255.255, both sent through lo; a unicast
# datagram to the same socket is.
t_broadcast_not_answered() {
	local p to
	need socat socat
	printf 'everyone?\n' > "$T/in"
	_start_udp "listen = udp://0.0.0.0:0"
	p=${UDP_PORTS[0]}
	for to in 127.255.255.255 255.255.255.255; do
		timeout 10 socat -t 1 - \
		    "UDP4-DATAGRAM:$to:$p,broadcast,bind=127.0.0.1" \
		    < "$T/in" > "$T/socat.out" 2> "$T/socat.err" ||
		    fail "socat to $to: $(head -c 200 "$T/socat.err")"
		[[ ! -s $T/socat.out ]] ||
		    fail "a broadcast to $to was answered: $(_show_file "$T/socat.out")"
	done
	udp_roundtrip "$T/in" "unicast to 127.0.0.1" 127.0.0.1 "$p"
	# Each broadcast reached the socket (at least once) and was dropped.
	stats_until 5 '; UDP: [0-9]+ datagrams received, 1 echoed .* [2-9] broadcast or multicast, 0 denied'
}

# Multicast is not answered: in a network namespace of its own whose lo
# does multicast, a datagram to 224.0.0.1 (all hosts) is received and
# dropped.
t_multicast_not_answered() {
	local holder
	need socat socat
	need nsenter util-linux
	unshare -n true 2>/dev/null ||
	    skip "cannot make a network namespace here (unshare -n)"
	unshare -n sleep 600 &
	holder=$!
	wait_for 5 '[[ $(readlink /proc/$holder/ns/net) != "$(readlink /proc/self/ns/net)" ]]' ||
	    fail "the namespace holder did not start"
	nsenter -t "$holder" -n ip link set lo up multicast on ||
	    fail "cannot set up lo in the namespace"
	nsenter -t "$holder" -n ip route add 224.0.0.0/4 dev lo ||
	    fail "cannot route multicast to lo in the namespace"
	printf '#!/bin/sh\nexec nsenter -t %s -n "%s" "$@"\n' "$holder" \
	    "$ECHOD" > "$T/echod-ns"
	chmod +x "$T/echod-ns"
	ECHOD=$T/echod-ns
	printf 'all of you?\n' > "$T/in"
	_start_udp "listen = udp://0.0.0.0:0"
	timeout 10 nsenter -t "$holder" -n socat -t 1 - \
	    "UDP4-DATAGRAM:224.0.0.1:${UDP_PORTS[0]},bind=127.0.0.1" \
	    < "$T/in" > "$T/socat.out" 2> "$T/socat.err" ||
	    fail "socat to 224.0.0.1: $(head -c 200 "$T/socat.err")"
	[[ ! -s $T/socat.out ]] ||
	    fail "a multicast datagram was answered: $(_show_file "$T/socat.out")"
	timeout 10 nsenter -t "$holder" -n socat -t 1 - \
	    "UDP4:127.0.0.1:${UDP_PORTS[0]}" \
	    < "$T/in" > "$T/socat.out" 2> "$T/socat.err" ||
	    fail "socat to 127.0.0.1: $(head -c 200 "$T/socat.err")"
	assert_file "$T/socat.out" $'all of you?\n' "unicast in the namespace"
	_udp_stats "2 datagrams received, 1 echoed .* 1 broadcast or multicast, "
}

# _reload LINE...: rewrites $T/echod.conf, SIGHUP, waits for the next
# "reloaded" line.
_udp_reloads=0
_reload() {
	_udp_conf "$T/echod.conf" "$@"
	_udp_reloads=$(( _udp_reloads + 1 ))
	kill -HUP "$PID"
	assert_reloaded 5 "$T/echod.conf" "$_udp_reloads"
}

# _udp_port_free PORT: a UDP socket can bind 127.0.0.1:PORT.
_udp_port_free() {
	perl -MSocket -e '
		socket(my $s, AF_INET, SOCK_DGRAM, 0) or die "socket: $!";
		bind($s, pack_sockaddr_in($ARGV[0], inet_aton("127.0.0.1")))
		    or die "bind: $!\n";' "$1" 2> "$T/bind.err"
}

# _udp_closed PORT WHAT: echod's socket on 127.0.0.1:PORT is gone: a
# datagram gets no answer, the port is free, and so is its thread.
_udp_closed() {
	udp_silent "$T/in" "$2" 127.0.0.1 "$1"
	_udp_port_free "$1" ||
	    fail "$2: port $1 is still taken: $(cat "$T/bind.err")"
	_threads "udp $1"
	(( _n == 0 )) || fail "$2: its thread is still there"
}

# A reload opens a new UDP socket and closes a removed one: it answers
# no more, its port is free, its thread is gone.
t_reload_adds_and_removes() {
	local p1 p2
	printf 'hop' > "$T/in"
	free_udp_port
	p1=$_port
	free_udp_port
	p2=$_port
	[[ $p1 != "$p2" ]] || fail "free_udp_port gave $p1 twice"
	_start_udp "listen = udp://127.0.0.1:$p1"
	udp_roundtrip "$T/in" "$p1 before the reload" 127.0.0.1 "$p1"
	_udp_port_free "$p1" && fail "port $p1 is free while echod serves it"

	_reload "listen = udp://127.0.0.1:$p2"
	assert_log 0 "no longer listening on udp://127.0.0.1:$p1"
	assert_log 0 "listening on udp://127.0.0.1:$p2"
	udp_roundtrip "$T/in" "$p2, added" 127.0.0.1 "$p2"
	_udp_closed "$p1" "$p1, removed"

	_reload "listen = udp://127.0.0.1:$p1" "listen = udp://127.0.0.1:$p2"
	udp_roundtrip "$T/in" "$p1, added again" 127.0.0.1 "$p1"
	udp_roundtrip "$T/in" "$p2, kept" 127.0.0.1 "$p2"
}

# _threads NAME: sets _n to how many of echod's threads are named NAME,
# _tid to the last one's id.
_threads() {
	local d c
	_n=0
	_tid=
	for d in /proc/"$PID"/task/*; do
		c=
		read -r c 2>/dev/null < "$d/comm"
		if [[ $c == "$1" ]]; then
			_n=$(( _n + 1 ))
			_tid=${d##*/}
		fi
	done
}

# _udp_inode PORT: sets _inode to the socket inode of 127.0.0.1:PORT.
_udp_inode() {
	local hex
	printf -v hex '0100007F:%04X' "$1"
	_inode=$(awk -v a="$hex" '$2 == a { print $10 }' /proc/net/udp)
	[[ -n $_inode ]] || fail "no UDP socket on 127.0.0.1:$1 in /proc/net/udp"
}

# A socket both configurations have stays open with its thread, and the
# new udp_rate and [access] apply to it at once.
t_reload_keeps_socket() {
	local p tid inode
	printf 'kept' > "$T/in"
	free_udp_port
	p=$_port
	_start_udp "listen = udp://127.0.0.1:$p" "udp_rate = 0"
	_threads "udp $p"
	(( _n == 1 )) || fail "$_n threads named 'udp $p', want 1"
	tid=$_tid
	_udp_inode "$p"
	inode=$_inode
	udp_send "$T/in" "$T/out" 50 1 127.0.0.1 "$p"
	assert_eq 50 "$_udp_got" "answers to 50 datagrams at udp_rate = 0"

	_reload "listen = udp://127.0.0.1:$p" "udp_rate = 5"
	assert_no_log "no longer listening"
	assert_eq 1 "$(log_count "listening on udp://127.0.0.1:$p")" \
	    "'listening on' lines for the kept socket"
	_udp_inode "$p"
	assert_eq "$inode" "$_inode" "the socket's inode after the reload"
	_threads "udp $p"
	assert_eq "1 $tid" "$_n $_tid" "its thread after the reload"
	udp_send "$T/in" "$T/out" 50 1 127.0.0.1 "$p"
	(( _udp_got >= 5 && _udp_got <= 7 )) ||
	    fail "$_udp_got of 50 answered after the reload to udp_rate = 5"

	_reload "listen = udp://127.0.0.1:$p" "udp_rate = 0" "[access]" \
	    "deny = 127.0.0.1"
	udp_silent "$T/in" "127.0.0.1 once denied" 127.0.0.1 "$p"
	_udp_stats ".* 1 denied by \\[access\\], "
	_threads "udp $p"
	assert_eq "1 $tid" "$_n $_tid" "its thread after two reloads"
}

# SIGTERM closes UDP sockets at once, while the drain still waits for a
# TCP client; echod then exits.
t_sigterm_stops_udp() {
	local c p
	printf 'bye' > "$T/in"
	_start_udp "listen = udp://127.0.0.1:0"
	p=${UDP_PORTS[0]}
	udp_roundtrip "$T/in" "before SIGTERM" 127.0.0.1 "$p"
	PORT=${PORTS[0]}
	conn_open c
	conn_send "$c" $'held\n'
	conn_expect "$c" $'held\n' 5 "TCP echo before SIGTERM"
	kill -TERM "$PID"
	assert_log 5 "shutting down: 1 connections open"
	wait_for 5 '_udp_port_free "$p"' ||
	    fail "UDP port $p still taken during the drain: $(cat "$T/bind.err")"
	_threads "udp $p"
	(( _n == 0 )) || fail "the UDP thread is still there during the drain"
	alive "$PID" || fail "echod exited before its TCP client was done"
	conn_close "$c"
	wait_exit 5
	assert_eq 0 "$ECHOD_STATUS" "echod's exit status"
}

# -d: a debug line for each datagram, at most 100 a second.
t_debug_line_per_datagram() {
	printf 'seen' > "$T/in"
	_udp_conf "$T/echod.conf" "listen = udp://127.0.0.1:0"
	start_echod "$T/echod.conf" -d
	parse_udp_ports
	udp_roundtrip "$T/in" "with -d" 127.0.0.1 "${UDP_PORTS[0]}"
	assert_log_re 5 "^<7>udp://127\\.0\\.0\\.1:${UDP_PORTS[0]}: 4 bytes from 127\\.0\\.0\\.1:[0-9]+: echoed$"
}

# STATUS= counts datagrams echoed, when a UDP socket is served.
t_status_counts_datagrams() {
	printf 'status' > "$T/in"
	notify_listen "UNIX-RECV:$T/notify.sock"
	wait_for 5 '[[ -S $T/notify.sock ]]' || fail "socat did not bind"
	_udp_conf "$T/echod.conf" "listen = udp://127.0.0.1:0"
	NOTIFY_SOCKET=$T/notify.sock start_echod "$T/echod.conf"
	parse_udp_ports
	assert_notify 5 'STATUS=0 connections, 0 served, 0 datagrams'
	udp_roundtrip "$T/in" "one" 127.0.0.1 "${UDP_PORTS[0]}"
	assert_notify 5 'STATUS=0 connections, 0 served, 1 datagram'
	udp_roundtrip "$T/in" "two" 127.0.0.1 "${UDP_PORTS[0]}"
	assert_notify 5 'STATUS=0 connections, 0 served, 2 datagrams'
	stop_echod
	kill "$_nl_pid"
}

# An inherited datagram socket (systemd-socket-activate --datagram, as
# ListenDatagram= in a .socket unit) is served as UDP; a reload keeps it
# and gives it the new [access] rules.
t_socket_activation_datagram() {
	need systemd-socket-activate systemd
	printf 'activated' > "$T/in"
	_udp_conf "$T/echod.conf"
	activate "$T/echod.conf" --datagram
	# The first datagram starts echod, which then reads it.
	udp_send "$T/in" "$T/udp.out" 1 10 127.0.0.1 "$APORT"
	(( _udp_got == 1 )) || fail "no answer through the inherited socket"
	cmp -s "$T/in" "$T/udp.out" ||
	    fail "the answer differs: $(_show_file "$T/udp.out")"
	assert_log 5 "listening on udp://127.0.0.1:$APORT (socket 'echo' from the service manager)"
	assert_log 0 "serving 1 sockets from the service manager"
	(( $(grep -c 'listening on' "$LOG") == 1 )) ||
	    fail "echod opened its own sockets too: $(grep 'listening on' "$LOG")"
	_threads "udp $APORT"
	(( _n == 1 )) || fail "$_n threads serve the inherited socket, want 1"
	udp_roundtrip "$T/in" "again" 127.0.0.1 "$APORT"

	_udp_conf "$T/echod.conf" "[access]" "deny = 127.0.0.1"
	kill -HUP "$PID"
	assert_reloaded 5 "$T/echod.conf"
	udp_silent "$T/in" "denied after the reload" 127.0.0.1 "$APORT"
	stop_echod
	assert_eq 0 "$ECHOD_STATUS" "echod's exit status"
}

# A UDP port another socket holds cannot be opened: at start echod exits
# 71 and says why; a reload to it fails as a whole (the other new socket
# it opened is closed again, its thread stopped) and the running
# sockets serve on.
t_bind_failure() {
	local p p2 taken
	printf 'still here' > "$T/in"
	free_udp_port
	p=$_port
	free_udp_port
	p2=$_port
	free_udp_port
	taken=$_port
	[[ $p != "$taken" && $p2 != "$taken" && $p != "$p2" ]] ||
	    fail "free_udp_port gave one port twice: $p $p2 $taken"
	hold_port udp "$taken"

	_udp_conf "$T/taken.conf" "listen = udp://127.0.0.1:$taken"
	run_echod taken -c "$T/taken.conf"
	assert_eq 71 "$_rc" "exit status with a UDP port taken"
	grep -qF "cannot listen on udp://127.0.0.1:$taken (listen = udp://127.0.0.1:$taken): bind: Address already in use" "$T/taken.err" ||
	    fail "no bind error: $(head -c 300 "$T/taken.err")"

	_start_udp "listen = udp://127.0.0.1:$p"
	_reload_fails "listen = udp://127.0.0.1:$p" \
	    "listen = udp://127.0.0.1:$p2" "listen = udp://127.0.0.1:$taken"
	assert_log 0 "cannot listen on udp://127.0.0.1:$taken (listen = udp://127.0.0.1:$taken): bind: Address already in use"
	udp_roundtrip "$T/in" "$p after the failed reload" 127.0.0.1 "$p"
	_udp_closed "$p2" "$p2, opened for the failed reload"
	_threads "udp $p"
	(( _n == 1 )) || fail "$_n threads for $p after the failed reload"
}

# _reload_fails LINE...: as _reload, but the reload fails.
_reload_fails() {
	_udp_conf "$T/echod.conf" "$@"
	kill -HUP "$PID"
	assert_log 5 "reload failed"
}

# A reload that fails after closing a UDP socket (udp://*:P to
# udp://127.0.0.1:P, which another process's SO_REUSEPORT socket holds)
# opens it again, and it judges by the running configuration
# (udp_rate = 0), not the one that failed (udp_rate = 5).
t_reload_restore_keeps_rules() {
	local p
	printf 'restored' > "$T/in"
	free_udp_port
	p=$_port
	_start_udp "listen = udp://*:$p" "reuse_port = yes" "udp_rate = 0"
	hold_port udp "$p" reuseport

	_reload_fails "listen = udp://127.0.0.1:$p" "udp_rate = 5"
	assert_log 0 "cannot listen on udp://127.0.0.1:$p (listen = udp://127.0.0.1:$p): bind: Address already in use"
	assert_no_log "could not be opened again"
	udp_send "$T/in" "$T/out" 50 1 127.0.0.2 "$p"
	assert_eq 50 "$_udp_got" "answers to 50 datagrams after the failed reload (udp_rate = 0 runs on)"
}
