# The PROXY protocol (proxy_protocol, proxy_from, proxy_timeout), with
# headers written by hand: the client's address in the log and in the
# admission rules, the bytes after the header echoed, and every bad or
# missing header closed unechoed.  Real HAProxy in front: haproxy.sh.
#
# 127.0.0.1 plays the proxy; the clients it relays have documentation
# addresses (192.0.2.0/24, 2001:db8::/32) that only its headers name.

# proxy_conf [LINES...]: $T/echod.conf trusting 127.0.0.1, any version.
proxy_conf() {
	echo_conf "$T/echod.conf" 'proxy_protocol = any' \
	    'proxy_from = 127.0.0.1' "$@"
}

# v1 SRC [SPORT]: sets _h to a v1 line from SRC (IPv4) to 198.51.100.2:7.
v1() { _h="PROXY TCP4 $1 198.51.100.2 ${2:-5555} 7"$'\r\n'; }

# _bytes FORMAT-OF-BYTES...: appends printf escapes of each byte to _b.
_bytes() {
	local x
	for x; do
		printf -v x '\\x%02x' "$x"
		_b+=$x
	done
}

# v2 COMMAND [SRC SPORT [VERSION]]: sets _b to the printf format of a
# v2 header (of VERSION, default 2) for a TCP client at SRC:SPORT (IPv4,
# or 2001:db8::N) to 198.51.100.2:7 (or 2001:db8::2:7), with a NOOP TLV
# after the addresses; COMMAND PROXY, or LOCAL (no addresses).
v2() {
	local cmd=$1 src=${2-} port=${3-} ver=${4:-2} addr=() len
	_b='\r\n\r\n\x00\r\nQUIT\n'
	if [[ $cmd == LOCAL ]]; then
		_bytes $(( ver << 4 )) 0 0 0
		return
	fi
	_bytes $(( ver << 4 | 1 ))
	if [[ $src == 2001:db8::* ]]; then
		addr=(32 1 13 184 0 0 0 0 0 0 0 0 0 0 0 $(( 16#${src##*:} ))
		    32 1 13 184 0 0 0 0 0 0 0 0 0 0 0 2)
		_bytes $(( 0x21 ))
	else
		IFS=. read -r -a addr <<< "$src.198.51.100.2"
		_bytes $(( 0x11 ))
	fi
	len=$(( ${#addr[@]} + 4 + 7 ))
	_bytes $(( len >> 8 )) $(( len & 255 ))
	_bytes "${addr[@]}" $(( port >> 8 )) $(( port & 255 )) 0 7
	_b+='\x04\x00\x04noop'
}

# relay FORMAT DATA EXPECTED WHAT: from 127.0.0.1, sends the printf
# FORMAT (a header) and DATA with nc -N, and checks that EXPECTED comes
# back.
relay() {
	{ printf "$1"; printf '%s' "$2"; } > "$T/relay.in"
	nc_send "$T/relay.in" "$T/relay.out"
	assert_file "$T/relay.out" "$3" "$4"
}

# closed_unechoed FORMAT WHAT: from 127.0.0.1, the printf FORMAT and a
# line after it get nothing back, and echod closes at once.
closed_unechoed() {
	{ printf "$1"; printf 'never echoed\n'; } > "$T/bad.in"
	reset_after "$T/bad.in" 127.0.0.1 "$2"
}

# header_closed_re REASON: _rre, an ERE for the line of a connection
# closed for its header (REASON an ERE).
header_closed_re() {
	_rre="^<4>127\\.0\\.0\\.1:[0-9]+: closed for its PROXY header: $1 \\(([0-9]+) more since the last such line\\)\$"
}

t_v1_client_address() {
	proxy_conf
	start_echod "$T/echod.conf"
	v1 192.0.2.1 5555
	relay "$_h" $'hello\nworld\n' $'hello\nworld\n' \
	    "the bytes after a v1 header (sent with it)"
	assert_log_re 5 '^<6>192\.0\.2\.1:5555: connected via proxy 127\.0\.0\.1:[0-9]+ \(1 active\)$'
	assert_log_re 5 '^<6>192\.0\.2\.1:5555: closed after [0-9.]+ s, 12 bytes in, 12 bytes out$'
	# The proxy's address names no connection of its own.
	grep -E '^<6>127\.0\.0\.1:' "$LOG" && fail "a line names the proxy as the client"
	return 0
}

t_v2_tlv_and_ipv6_client() {
	proxy_conf 'proxy_protocol = v2'
	sed -i '/^proxy_protocol = any$/d' "$T/echod.conf"
	start_echod "$T/echod.conf"
	v2 PROXY 192.0.2.9 40000
	relay "$_b" 'v2 data' 'v2 data' "the bytes after a v2 header with a TLV"
	assert_log_re 5 '^<6>192\.0\.2\.9:40000: connected via proxy 127\.0\.0\.1:[0-9]+ '
	v2 PROXY 2001:db8::1 40001
	head -c 100000 /dev/urandom > "$T/big"
	{ printf "$_b"; cat "$T/big"; } > "$T/relay.in"
	nc_send "$T/relay.in" "$T/relay.out"
	cmp -s "$T/big" "$T/relay.out" ||
	    fail "100000 bytes after a v2 header: got $(stat -c %s "$T/relay.out") bytes back, not the same"
	assert_log_re 5 '^<6>\[2001:db8::1\]:40001: closed after [0-9.]+ s, 100000 bytes in, 100000 bytes out$'
}

# A LOCAL command (a health check) is the proxy's own connection, logged
# at debug level only: a proxy checks every few seconds.
t_v2_local() {
	proxy_conf
	start_echod "$T/echod.conf" -d
	v2 LOCAL
	relay "$_b" $'ping\n' $'ping\n' "a LOCAL connection"
	assert_log_re 5 '^<7>127\.0\.0\.1:[0-9]+: connected \(1 active; the proxy.s own, PROXY LOCAL\)$'
	assert_log_re 5 '^<7>127\.0\.0\.1:[0-9]+: closed after [0-9.]+ s, 5 bytes in, 5 bytes out$'
	relay 'PROXY UNKNOWN\r\n' $'pong\n' $'pong\n' "a v1 UNKNOWN connection"
	assert_log_re 5 '^<6>127\.0\.0\.1:[0-9]+: connected \(1 active; the proxy.s own, PROXY UNKNOWN\)$'
}

# The header in pieces: nothing is echoed until it is whole, then what
# followed it is.
t_header_in_pieces() {
	local c
	proxy_conf
	start_echod "$T/echod.conf"
	conn_open c
	conn_send "$c" 'PROXY TCP4 192.0.2.3 198.51'
	conn_expect_silence "$c" 0.3 "half a header"
	conn_send "$c" '.100.2 1234 7'
	conn_send "$c" $'\r'
	conn_expect_silence "$c" 0.2 "a header up to its CR"
	conn_send "$c" $'\nfirst line\n'
	conn_expect "$c" $'first line\n' 5 "the line after the header's LF"
	conn_send "$c" $'second\n'
	conn_expect "$c" $'second\n' 5 "a line later on"
	conn_close "$c"
	assert_log_re 5 '^<6>192\.0\.2\.3:1234: connected via proxy '
}

# Talk sessions see the bytes that came with the header, and the client.
t_talk_behind_proxy() {
	proxy_conf 'mode = talk'
	sed -i '/^mode = echo$/d' "$T/echod.conf"
	start_echod "$T/echod.conf"
	v1 192.0.2.4 4444
	relay "$_h" $'said with the header\nSTOP\n' $'said with the header\nBYE\n' \
	    "talk lines after a v1 header"
	assert_log 5 'talk 192.0.2.4:4444: said with the header'
}

# Every bad header is closed unechoed, each counted; the lines are limited
# to one a second, the others counted in the next.
t_bad_headers() {
	local t1 wait_us line
	proxy_conf 'proxy_protocol = v2'
	sed -i '/^proxy_protocol = any$/d' "$T/echod.conf"
	start_echod "$T/echod.conf"
	closed_unechoed 'GET / HTTP/1.0\r\n\r\n' "not a PROXY header"
	header_closed_re 'not a PROXY protocol header'
	assert_log_re 5 "$_rre"
	_now
	t1=$_t
	v1 192.0.2.1
	closed_unechoed "$_h" "a v1 header where only v2 is allowed"
	v2 PROXY 192.0.2.1 1 3
	closed_unechoed "$_b" "a v2 header of version 3"
	closed_unechoed '\r\n\r\n\x00\r\nQUIT\n\x21\x11\x04\x01' "a v2 header longer than 1 KiB"
	stats_until 5 ' 0 active connections, 4 accepted, [0-9]+ bytes echoed, 0 waited at the limit, 4 refused$'
	assert_eq 1 "$(log_count 'closed for its PROXY header')" \
	    "lines for 4 bad headers within a second"
	# Pacing, not synchronisation: a line is due again a second after
	# the first.
	_now
	wait_us=$(( t1 + 1050000 - _t ))
	(( wait_us > 0 )) && sleep "$(( wait_us / 1000000 )).$(printf '%06d' $(( wait_us % 1000000 )))"
	v2 PROXY 192.0.2.1 1
	printf "$_b" | head -c 20 > "$T/trunc"
	reset_after "$T/trunc" 127.0.0.1 "a header cut short by the end of input"
	header_closed_re 'the connection ended inside it \(20 bytes\)'
	assert_log_re 5 "$_rre"
	line=$(grep -E "$_rre" "$LOG")
	[[ $line =~ $_rre ]] && assert_eq 3 "${BASH_REMATCH[1]}" \
	    "bad headers held back before the second line"
	assert_no_log 'connected'
	assert_no_log 'never echoed'
}

t_header_timeout() {
	local c start ms
	proxy_conf 'proxy_timeout = 300ms'
	start_echod "$T/echod.conf"
	_now
	start=$_t
	conn_open c
	conn_expect_eof "$c" 5 "a proxy that sends no header with proxy_timeout = 300ms"
	elapsed_since "$start"
	ms=$(( 10#${_el/./} ))
	(( ms >= 250 && ms <= 3000 )) ||
	    fail "closed after $_el s; want about 0.3 s (0.25 to 3)"
	conn_close "$c"
	header_closed_re 'none within proxy_timeout'
	assert_log_re 5 "$_rre"
}

# Only proxy_from may connect, and is not limited as one source: its
# clients are.
t_only_trusted_proxies() {
	local i fds=()
	proxy_conf 'max_connections_per_ip = 2'
	start_echod "$T/echod.conf"
	v1 192.0.2.1
	printf '%s' "$_h" > "$T/hdr"
	reset_after "$T/hdr" 127.0.0.2 "a header from 127.0.0.2, not in proxy_from"
	refused_re '127\.0\.0\.2:[0-9]+: not a trusted proxy \(proxy_from\)'
	assert_log_re 5 "$_rre"

	# 70 connections from the proxy, two for each of 35 clients: more
	# than the proxy could have as one source.
	for ((i = 0; i < 70; i++)); do
		conn_open "fds[i]"
		conn_send "${fds[i]}" "PROXY TCP4 192.0.2.$(( i / 2 + 1 )) 198.51.100.2 $(( 1000 + i )) 7"$'\r\n'"$i"$'\n'
	done
	for ((i = 0; i < 70; i++)); do
		conn_expect "${fds[i]}" "$i"$'\n' 5 "relayed connection $((i + 1)) of 70"
	done
	# A third from a client that has two is over its limit.
	v1 192.0.2.1 999
	printf '%s' "$_h" > "$T/third"
	reset_after "$T/third" 127.0.0.1 "a third connection for 192.0.2.1 with max_connections_per_ip = 2"
	stats_until 5 ' 70 active connections, 71 accepted, [0-9]+ bytes echoed, 0 waited at the limit, 2 refused$'
	for ((i = 0; i < 70; i++)); do
		conn_close "${fds[i]}"
	done
	stats_until 5 ' 0 active connections, '
	# Its count was given back as its connections ended.
	v1 192.0.2.1 998
	relay "$_h" again again "192.0.2.1 after its connections ended"
}

# [access] and connection_rate see the client; the proxy's own (LOCAL)
# connections are admitted as if it had connected directly.
t_rules_see_the_client() {
	proxy_conf 'connection_rate = 2'
	printf '[access]\ndeny = 192.0.2.66\ndeny = 127.0.0.1\n' >> "$T/echod.conf"
	start_echod "$T/echod.conf"
	v1 192.0.2.66
	printf '%s' "$_h" > "$T/denied"
	reset_after "$T/denied" 127.0.0.1 "client 192.0.2.66, denied by [access]"
	refused_re '192\.0\.2\.66:5555: denied by \[access\], via proxy 127\.0\.0\.1:[0-9]+'
	assert_log_re 5 "$_rre"
	v1 192.0.2.1 1
	relay "$_h" one one "1st of 192.0.2.1 at connection_rate = 2"
	v1 192.0.2.1 2
	relay "$_h" two two "2nd of 192.0.2.1"
	v1 192.0.2.1 3
	printf '%s' "$_h" > "$T/third"
	reset_after "$T/third" 127.0.0.1 "3rd of 192.0.2.1 at once, over connection_rate = 2"
	v1 192.0.2.2 1
	relay "$_h" other other "192.0.2.2, with a bucket of its own"
	v2 LOCAL
	{ printf "$_b"; } > "$T/local"
	reset_after "$T/local" 127.0.0.1 "a LOCAL connection of the proxy, whose address is denied"
	stats_until 5 ' 0 active connections, 6 accepted, [0-9]+ bytes echoed, 0 waited at the limit, 3 refused$'
}

# A reload turns the PROXY protocol on for new connections; one open
# before it goes on as it was.
t_reload_turns_it_on() {
	local old
	echo_conf "$T/echod.conf"
	start_echod "$T/echod.conf"
	conn_open old
	conn_send "$old" $'before\n'
	conn_expect "$old" $'before\n' 5 "a direct client before the reload"
	proxy_conf
	kill -HUP "$PID"
	assert_reloaded 5 "$T/echod.conf"
	closed_unechoed 'direct, no header\n' "a client without a header after the reload"
	v1 192.0.2.5
	relay "$_h" proxied proxied "a relayed client after the reload"
	conn_send "$old" $'after\n'
	conn_expect "$old" $'after\n' 5 "the direct client from before the reload"
	conn_close "$old"
}

# A Unix socket's peers may all send headers (its file mode says who may
# connect): a v2 header names the client there too, and a LOCAL one makes
# the connection the proxy's own, named by its credentials.
t_v2_over_unix() {
	proxy_conf "listen = unix:$T/p.sock"
	start_echod "$T/echod.conf" -d
	wait_for 5 '[[ -S $T/p.sock ]]' || fail "no socket file $T/p.sock"
	v2 PROXY 192.0.2.7 5000
	{ printf "$_b"; printf 'over unix\n'; } > "$T/relay.in"
	nc_send "$T/relay.in" "$T/relay.out" -U "$T/p.sock"
	assert_file "$T/relay.out" $'over unix\n' "the bytes after a v2 header on a Unix socket"
	assert_log_re 5 '^<6>192\.0\.2\.7:5000: connected via proxy unix:pid=[0-9]+,uid=[0-9]+,gid=[0-9]+ \(1 active\)$'
	assert_log_re 5 '^<6>192\.0\.2\.7:5000: closed after [0-9.]+ s, 10 bytes in, 10 bytes out$'
	v2 LOCAL
	{ printf "$_b"; printf 'check\n'; } > "$T/relay.in"
	nc_send "$T/relay.in" "$T/relay.out" -U "$T/p.sock"
	assert_file "$T/relay.out" $'check\n' "a LOCAL connection on a Unix socket"
	assert_log_re 5 "^<7>unix:pid=[0-9]+,uid=$(id -u),gid=[0-9]+: connected \\(1 active; the proxy.s own, PROXY LOCAL\\)\$"
	# Without a header, a Unix peer is closed unechoed, as a proxy is.
	printf 'no header\n' > "$T/bad.in"
	timeout 10 nc -N -U "$T/p.sock" < "$T/bad.in" > "$T/bad.out" 2>/dev/null
	[[ ! -s $T/bad.out ]] ||
	    fail "a Unix peer without a header got $(_show_file "$T/bad.out")"
	assert_log_re 5 '^<4>unix:pid=[0-9]+,uid=[0-9]+,gid=[0-9]+: closed for its PROXY header: '
}
