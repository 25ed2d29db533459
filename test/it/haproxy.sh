# Scale-out with the real HAProxy: etc/haproxy-echod.cfg.example, with
# loopback addresses and a fast health check, in front of three echod
# instances (daemon.sh) that take the client's address from its PROXY v2
# header.  Clients bind to 127.0.0.5 (and 127.0.0.6, which the backends
# deny), so their addresses differ from HAProxy's 127.0.0.1.
#
# case-timeout: 90

SRC=$(cd "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
EXAMPLE=$SRC/etc/haproxy-echod.cfg.example
HPORT=		# HAProxy's frontend
BPORTS=()	# the backends', b1 to b3
HAPROXY_PID=

# _ports N: sets _ports to N distinct free ports.
_ports() {
	local p
	_ports=()
	while (( ${#_ports[@]} < $1 )); do
		free_port
		for p in "${_ports[@]}"; do
			[[ $p == "$_port" ]] && continue 2
		done
		_ports+=("$_port")
	done
}

# _backend I: starts backend bI (instance bI, current after) on its port.
_backend() {
	local i=$1
	instance "b$i"
	echo_conf "$T/b$i.conf" 'proxy_protocol = v2' 'proxy_from = 127.0.0.1'
	sed -i "s/^listen = 127\\.0\\.0\\.1:0\$/listen = 127.0.0.1:${BPORTS[i - 1]}/" \
	    "$T/b$i.conf"
	printf '\n[access]\ndeny = 127.0.0.6\n' >> "$T/b$i.conf"
	start_echod "$T/b$i.conf"
}

# _haproxy_conf: $T/haproxy.cfg, the example from its defaults section
# on, with a global section of the test's own (no syslog, no user, a stats
# socket), loopback addresses and checks every 100 ms.
_haproxy_conf() {
	local i
	{
		printf 'global\n\tstats socket %s level admin\n\n' "$T/haproxy.sock"
		sed -n '/^defaults$/,$p' "$EXAMPLE" |
		    sed -e "s/^\\tbind :7\$/\\tbind 127.0.0.1:$HPORT/" \
			-e 's/ check inter 2s / check inter 100ms /' \
			-e "s/ 10\\.0\\.0\\.11:7\$/ 127.0.0.1:${BPORTS[0]}/" \
			-e "s/ 10\\.0\\.0\\.12:7\$/ 127.0.0.1:${BPORTS[1]}/" \
			-e "s/ 10\\.0\\.0\\.13:7\$/ 127.0.0.1:${BPORTS[2]}/"
	} > "$T/haproxy.cfg"
	grep -qF "bind 127.0.0.1:$HPORT" "$T/haproxy.cfg" &&
	    grep -qF ' check inter 100ms ' "$T/haproxy.cfg" &&
	    for i in 0 1 2; do
		grep -qF " 127.0.0.1:${BPORTS[i]}" "$T/haproxy.cfg" || exit 1
	    done ||
	    fail "$EXAMPLE no longer has 'bind :7', 'check inter 2s' and servers 10.0.0.11:7 to 10.0.0.13:7 for this test to replace"
}

# _server_status NAME: sets _st to HAProxy's status of server NAME
# (UP, DOWN, ...), from "show stat" on its stats socket.
_server_status() {
	_st=$(printf 'show stat\n' |
	    timeout 5 socat - "UNIX-CONNECT:$T/haproxy.sock" 2>/dev/null |
	    awk -F, -v s="$1" '$1 == "echod" && $2 == s { print $18 }')
}

# wait_status SECONDS NAME STATUS: waits for HAProxy to see NAME so.
wait_status() {
	_ws_name=$2 _ws_want=$3
	wait_for "$1" '_server_status "$_ws_name"; [[ $_st == "$_ws_want" ]]' ||
	    fail "HAProxy does not see $2 $3 after $1 s (status '$_st'): $(tail -n 3 "$T/haproxy.err")"
}

# _setup: three backends and HAProxy in front, every server UP.
_setup() {
	local i
	need haproxy haproxy
	need socat socat
	_ports 4
	HPORT=${_ports[0]}
	BPORTS=("${_ports[@]:1}")
	for i in 1 2 3; do
		_backend "$i"
	done
	_haproxy_conf
	timeout 10 haproxy -c -f "$T/haproxy.cfg" > "$T/haproxy-c.err" 2>&1 ||
	    fail "haproxy -c: $(grep -E 'ALERT|error' "$T/haproxy-c.err" | head -n 3)"
	haproxy -db -f "$T/haproxy.cfg" < /dev/null > "$T/haproxy.out" \
	    2> "$T/haproxy.err" &
	HAPROXY_PID=$!
	for i in 1 2 3; do
		wait_status 10 "echod$i" UP
	done
}

# via_haproxy IN OUT [SRC]: one client session with half-close from SRC
# (default 127.0.0.5) through HAProxy; true when it exited 0.
via_haproxy() {
	timeout 20 nc -N -s "${3:-127.0.0.5}" 127.0.0.1 "$HPORT" \
	    < "$1" > "$2" 2> "$2.err"
}

# _relayed NAME: prints how many clients of 127.0.0.5 backend NAME logged.
_relayed() {
	grep -cE '^<6>127\.0\.0\.5:[0-9]+: connected via proxy 127\.0\.0\.1:' "$T/$1.log"
}

t_echo_and_addresses() {
	local i line
	_setup
	head -c 1048576 /dev/urandom > "$T/mib"
	via_haproxy "$T/mib" "$T/mib.out" ||
	    fail "nc through HAProxy failed: $(head -c 200 "$T/mib.out.err")"
	cmp -s "$T/mib" "$T/mib.out" ||
	    fail "1 MiB through HAProxy with half-close: got $(stat -c %s "$T/mib.out") bytes back, not the same"
	# The backend that served it logs the client, not HAProxy.
	line=$(grep -hE '^<6>127\.0\.0\.5:[0-9]+: closed after [0-9.]+ s, 1048576 bytes in, 1048576 bytes out$' \
	    "$T"/b[123].log)
	[[ -n $line ]] ||
	    fail "no backend logged 127.0.0.5's 1 MiB: $(grep -h 127.0.0.5 "$T"/b[123].log | head -n 2)"
	grep -qE '^<6>127\.0\.0\.1:[0-9]+: closed' "$T"/b[123].log &&
	    fail "a backend logged HAProxy's address as a client's: $(grep -hE '^<6>127\.0\.0\.1:[0-9]+: closed' "$T"/b[123].log | head -n 1)"

	# A deny rule on the client's address holds behind HAProxy.
	printf 'denied\n' > "$T/denied"
	via_haproxy "$T/denied" "$T/denied.out" 127.0.0.6
	[[ -s $T/denied.out ]] &&
	    fail "127.0.0.6, denied by the backends, got $(_show_file "$T/denied.out") through HAProxy"
	refused_re '127\.0\.0\.6:[0-9]+: denied by \[access\], via proxy 127\.0\.0\.1:[0-9]+'
	wait_for 5 'grep -qE "$_rre" "$T"/b[123].log' ||
	    fail "no backend logged the refusal of 127.0.0.6"

	# A direct connection from outside proxy_from is refused.
	instance b1
	reset_by_echod 127.0.0.5 "127.0.0.5 straight to a backend" 127.0.0.1 "${BPORTS[0]}"
	refused_re '127\.0\.0\.5:[0-9]+: not a trusted proxy \(proxy_from\)'
	assert_log_re 5 "$_rre"
	# HAProxy's checks reach every backend as LOCAL connections.
	for i in 1 2 3; do
		_server_status "echod$i"
		assert_eq UP "${_st%% *}" "HAProxy's status of echod$i at the end"
	done
}

# _clients N WHAT: N sessions through HAProxy, one after another, each
# echoed exactly.
_clients() {
	local i
	for ((i = 0; i < $1; i++)); do
		printf 'client %s %s\n' "$i" "$2" > "$T/in"
		via_haproxy "$T/in" "$T/out" ||
		    fail "client $i $2 failed: $(head -c 200 "$T/out.err")"
		assert_file "$T/out" "client $i $2"$'\n' "client $i $2"
	done
}

# One backend killed: the service answers on; restarted, it is back in
# rotation once HAProxy's check says so.
t_failover() {
	local i before
	_setup
	instance b2
	kill -KILL "$PID"
	wait "$PID" 2>/dev/null
	_clients 12 "with b2 killed"
	wait_status 10 echod2 DOWN
	start_echod "$T/b2.conf"
	wait_status 10 echod2 UP
	before=$(_relayed b2)
	_clients 9 "after b2 came back"
	(( $(_relayed b2) > before )) ||
	    fail "b2 served none of 9 clients after HAProxy saw it UP again"
}

# A reload of one backend while clients stream through HAProxy drops
# none of them: every session is byte-exact.
t_reload_under_load() {
	local j k n=0 bad=()
	_setup
	head -c 65536 /dev/urandom > "$T/chunk"
	# 4 loops of 15 sessions each, in the background; each records
	# every session's result in a file of its own.
	for ((j = 0; j < 4; j++)); do
		(
			for ((k = 0; k < 15; k++)); do
				if via_haproxy "$T/chunk" "$T/r.$j.$k" &&
				    cmp -s "$T/chunk" "$T/r.$j.$k"; then
					echo ok > "$T/s.$j.$k"
				else
					echo "status $?, $(stat -c %s "$T/r.$j.$k") bytes" > "$T/s.$j.$k"
				fi
			done
		) &
	done
	instance b1
	for ((k = 1; k <= 3; k++)); do
		wait_for 20 '(( $(ls "$T" | grep -c "^s\\.") >= k * 10 ))' ||
		    fail "the clients did not get going"
		kill -HUP "$PID"
		assert_reloaded 10 "$T/b1.conf" "$k"
	done
	wait_for 60 '(( $(ls "$T" | grep -c "^s\\.") == 60 ))' ||
	    fail "only $(ls "$T" | grep -c '^s\.') of 60 sessions ended within 60 s"
	for ((j = 0; j < 4; j++)); do
		for ((k = 0; k < 15; k++)); do
			[[ $(< "$T/s.$j.$k") == ok ]] && n=$(( n + 1 )) ||
			    bad+=("$j.$k: $(< "$T/s.$j.$k")")
		done
	done
	(( ${#bad[@]} == 0 )) ||
	    fail "${#bad[@]} of 60 sessions through HAProxy broke during 3 reloads of b1: ${bad[*]:0:3}"
	echo "note: 60 sessions of 64 KiB, 3 reloads of b1 meanwhile: all byte-exact; b1 served $(_relayed b1)"
	assert_no_log 'reload failed'
}
