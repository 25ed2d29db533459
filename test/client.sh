# test/client.sh - clients of echod for the integration tests, sourced by
# test/lib.sh.  A client reaches 127.0.0.1:$PORT unless told otherwise,
# and fails the case (lib.sh fail) when it cannot do what it is asked.
#
#   nc_send IN OUT [NC-ARGS...]     one nc -N session, input from a file
#   roundtrip DATA EXPECTED WHAT [NC-ARGS...]   nc_send and compare
#   refused [NC-ARGS] HOST PORT     true when a connect is refused
#   reset_by_echod SRC WHAT [HOST [PORT]]   echod resets a client from SRC
#   reset_after INPUT SRC WHAT [HOST [PORT]]   the same after INPUT
#   refused_re REASON               _rre: an ERE for echod's refusal line
# Held connections (bash /dev/tcp), for a case that talks step by step:
#   conn_open VAR [HOST [PORT]], conn_send FD DATA, conn_close FD,
#   conn_expect FD EXPECTED [SECONDS] [WHAT],
#   conn_expect_eof FD SECONDS WHAT, conn_expect_silence FD SECONDS WHAT
# Held through a fifo, for clients bash cannot be (nc -U, nc in a
# container): hold_run NAME COMMAND..., hold_say NAME TEXT REPLY WHAT,
#   hold_close NAME WHAT
# UDP (a perl socket connected to echod's, so only its answers count):
#   udp_send IN OUT COUNT QUIET HOST PORT [BIND-HOST [SOURCE-PORT]]
#   udp_roundtrip IN WHAT HOST PORT, udp_silent IN WHAT HOST PORT [ARGS]

# nc_send INPUT-FILE OUTPUT-FILE [NC-ARGS...]: one nc session with
# half-close (-N) to 127.0.0.1:$PORT unless NC-ARGS give host and port.
# Fails unless nc exits 0 within 10 s.
nc_send() {
	local in=$1 out=$2 rc
	shift 2
	(( $# )) || set -- 127.0.0.1 "$PORT"
	timeout 10 nc -N "$@" < "$in" > "$out" 2> "$T/nc.err"
	rc=$?
	(( rc == 0 )) ||
	    fail "nc -N $* exited with status $rc: $(head -c 200 "$T/nc.err")"
}

# roundtrip DATA EXPECTED WHAT [NC-ARGS...]: sends DATA with nc -N and
# checks that exactly EXPECTED comes back.
roundtrip() {
	local data=$1 exp=$2 what=$3
	shift 3
	printf '%s' "$data" > "$T/rt.in"
	nc_send "$T/rt.in" "$T/rt.out" "$@"
	assert_file "$T/rt.out" "$exp" "$what"
}

# refused [NC-ARGS] HOST PORT: true when a TCP connect is refused (not
# when nc fails for another reason).
refused() {
	timeout 3 nc -z -v -w 2 "$@" > "$T/refused.out" 2>&1 && return 1
	grep -qi "connection refused" "$T/refused.out"
}

# reset_by_echod SRC WHAT [HOST [PORT]]: a client from SRC connects (the
# kernel completes the handshake, socat says so) but echod resets it right
# after accept: not a byte comes back, and the client is done at once --
# not after its 5 s wait for a reply (socat -t 5).
reset_by_echod() {
	printf 'anybody there?\n' > "$T/reset.in"
	reset_after "$T/reset.in" "$@"
}

# reset_after INPUT-FILE SRC WHAT [HOST [PORT]]: the same for a client
# that sends INPUT-FILE first (a PROXY header, say).
reset_after() {
	local in=$1 src=$2 what=$3 host=${4:-127.0.0.1} port=${5:-$PORT} rc start
	[[ $host == *:* ]] && host="[$host]"
	[[ $src == *:* ]] && src="[$src]"
	_now
	start=$_t
	timeout 8 socat -d -d -t 5 - "TCP:$host:$port,bind=$src" \
	    < "$in" > "$T/reset.out" 2> "$T/reset.err"
	rc=$?
	elapsed_since "$start"
	grep -q 'starting data transfer loop' "$T/reset.err" ||
	    fail "$what: the client did not even connect (socat status $rc): $(grep ' E ' "$T/reset.err" | head -n 2)"
	[[ -s $T/reset.out ]] &&
	    fail "$what: echod answered $(_show_file "$T/reset.out"); want a reset right after accept"
	(( 10#${_el/./} < 3000 )) ||
	    fail "$what: the connection stayed open for $_el s (socat status $rc); want a reset right after accept"
	return 0
}

# refused_re REASON: an ERE for echod's refusal line (REASON is an ERE).
refused_re() {
	_rre="^<4>refused $1 \\([0-9]+ more refused since the last such line\\)\$"
}

# conn_open VAR [HOST [PORT]]: opens a held connection (bash /dev/tcp) and
# stores its file descriptor in VAR.
conn_open() {
	local _co_fd host=${2:-127.0.0.1} port=${3:-$PORT}
	exec {_co_fd}<>"/dev/tcp/$host/$port" ||
	    fail "cannot connect to $host port $port"
	printf -v "$1" '%s' "$_co_fd"
}

# conn_send FD DATA: writes DATA (a SIGPIPE only fails the write).
conn_send() {
	( trap '' PIPE; printf '%s' "$2" >&"$1" ) 2>/dev/null ||
	    fail "writing to connection fd $1 failed (closed by echod?)"
}

# conn_expect FD EXPECTED [SECONDS] [WHAT]: reads exactly as many bytes as
# EXPECTED has and compares.
conn_expect() {
	local fd=$1 exp=$2 secs=${3:-5} what=${4:-reply} got= rc e
	IFS= read -r -N "${#exp}" -t "$secs" got <&"$fd"
	rc=$?
	if [[ $got != "$exp" ]]; then
		q "$exp"; e=$_q
		q "$got"
		if (( rc > 128 )); then
			fail "$what: expected $e, got $_q before the $secs s deadline"
		fi
		fail "$what: expected $e, got $_q (connection closed or error)"
	fi
}

# conn_expect_eof FD SECONDS WHAT: echod closes the connection (no data).
conn_expect_eof() {
	local fd=$1 secs=$2 what=$3 got= rc
	IFS= read -r -N 1 -t "$secs" got <&"$fd" 2>/dev/null
	rc=$?
	if [[ -n $got ]]; then
		q "$got"
		fail "$what: expected the connection to be closed, got data $_q"
	fi
	(( rc > 128 )) &&
	    fail "$what: connection still open after $secs s"
	return 0
}

# conn_expect_silence FD SECONDS WHAT: nothing arrives and the connection
# stays open for SECONDS (a negative check).
conn_expect_silence() {
	local fd=$1 secs=$2 what=$3 got= rc
	IFS= read -r -N 1 -t "$secs" got <&"$fd" 2>/dev/null
	rc=$?
	if [[ -n $got ]]; then
		q "$got"
		fail "$what: expected nothing for $secs s, got $_q"
	fi
	(( rc > 128 )) || fail "$what: connection was closed"
}

# conn_close FD
conn_close() {
	local fd=$1
	exec {fd}>&-
}

# hold_run NAME COMMAND...: runs the client COMMAND in the background,
# its input the fifo $T/NAME.in (held open here), its output in
# $T/NAME.out; _hpid[NAME] is its pid.  It does not inherit the other
# held fifos: each client ends when its own is closed.
declare -A _hfd=() _hpid=()
hold_run() {
	local name=$1 fd
	shift
	mkfifo "$T/$name.in" || fail "mkfifo $T/$name.in"
	: > "$T/$name.want"
	(
		for fd in "${_hfd[@]}"; do
			exec {fd}>&-
		done
		exec "$@"
	) < "$T/$name.in" > "$T/$name.out" 2> "$T/$name.err" &
	_hpid[$name]=$!
	exec {fd}> "$T/$name.in"
	_hfd[$name]=$fd
}

# hold_say NAME TEXT REPLY WHAT: sends TEXT on the held connection NAME
# and waits (5 s) for REPLY to follow what came back before.
hold_say() {
	( trap '' PIPE; printf '%s' "$2" >&"${_hfd[$1]}" ) 2>/dev/null ||
	    fail "$4: cannot write to the held connection $1 (closed?)"
	printf '%s' "$3" >> "$T/$1.want"
	_hs=$1
	wait_for 5 'cmp -s "$T/$_hs.want" "$T/$_hs.out"' ||
	    fail "$4: the held connection $1 got $(_show_file "$T/$1.out"), want $(_show_file "$T/$1.want")"
}

# hold_close NAME WHAT: half-closes the held connection; its client must
# end (10 s).
hold_close() {
	local fd=${_hfd[$1]}
	exec {fd}>&-
	_hc=${_hpid[$1]}
	wait_for 10 '! alive "$_hc"' ||
	    fail "$2: the client of the held connection $1 still runs 10 s after its half-close"
	wait "$_hc" 2>/dev/null
}

# --- UDP ------------------------------------------------------------------------

# The client udp_send runs: one socket, bound where asked and connected to
# echod's (the kernel then takes only datagrams from there: an answer from
# another address is not one); sends, then reads until it has COUNT
# answers or QUIET seconds pass without one.  Prints how many came, and
# "refused" if an ICMP error said nothing listens there.
_UDP_CLIENT='
use strict; use Socket qw(:all);
my ($in, $out, $count, $quiet, $host, $port, $bhost, $bport) = @ARGV;
my $v6 = $host =~ /:/;
my $fam = $v6 ? AF_INET6 : AF_INET;
sub addr { my ($h, $p) = @_; $v6 ?
    pack_sockaddr_in6($p, inet_pton(AF_INET6, $h)) :
    pack_sockaddr_in($p, inet_aton($h)) }
socket(my $s, $fam, SOCK_DGRAM, 0) or die "socket: $!\n";
if ($bhost ne "" || $bport) {
	bind($s, addr($bhost ne "" ? $bhost : $v6 ? "::" : "0.0.0.0",
	    $bport || 0)) or die "bind $bhost port $bport: $!\n";
}
connect($s, addr($host, $port)) or die "connect: $!\n";
open(my $f, "<", $in) or die "$in: $!\n"; binmode $f;
my $data = do { local $/; <$f> }; $data = "" unless defined $data;
for (1 .. $count) { defined(send($s, $data, 0)) or die "send: $!\n" }
open(my $o, ">", $out) or die "$out: $!\n"; binmode $o;
my ($got, $rin) = (0, "");
vec($rin, fileno($s), 1) = 1;
while ($got < $count) {
	my $n = select(my $r = $rin, undef, undef, $quiet);
	next if $n < 0 && $!{EINTR};
	last if $n <= 0;
	my $buf;
	if (!defined(recv($s, $buf, 65536, 0))) {
		if ($!{ECONNREFUSED}) { print "$got refused\n"; exit 0 }
		die "recv: $!\n";
	}
	print $o $buf; $got++;
}
print "$got\n";
'

# udp_send IN OUT COUNT QUIET HOST PORT [BIND-HOST [SOURCE-PORT]]: sends
# the bytes of file IN COUNT times, a datagram each, to HOST PORT, from
# BIND-HOST and SOURCE-PORT when given, and writes what comes back from
# there to OUT, the answers one after another.  Sets _udp_got to how many
# came before QUIET seconds went by without one (all COUNT: it stops),
# and _udp_refused to 1 if the kernel said nothing listens at PORT.
udp_send() {
	local res rc
	res=$(timeout 60 perl -e "$_UDP_CLIENT" -- "$@" 2> "$T/udp.err")
	rc=$?
	(( rc == 0 )) && [[ $res =~ ^([0-9]+)( refused)?$ ]] ||
	    fail "UDP client to $5 port $6 (status $rc): $(head -c 200 "$T/udp.err") $res"
	_udp_got=${BASH_REMATCH[1]}
	_udp_refused=0
	[[ -n ${BASH_REMATCH[2]} ]] && _udp_refused=1
	return 0
}

# udp_roundtrip IN WHAT HOST PORT: one datagram of file IN's bytes comes
# back from HOST PORT within 5 s, byte for byte.
udp_roundtrip() {
	udp_send "$1" "$T/udp.out" 1 5 "$3" "$4"
	(( _udp_got == 1 )) ||
	    fail "$2: no answer from $3 port $4 within 5 s"
	cmp -s "$1" "$T/udp.out" ||
	    fail "$2: the answer differs: sent $(stat -c %s "$1") bytes, got $(_show_file "$T/udp.out")"
}

# udp_silent IN WHAT HOST PORT [BIND-HOST [SOURCE-PORT]]: a datagram of
# IN's bytes gets no answer for 1 s (a negative check).
udp_silent() {
	local in=$1 what=$2
	shift 2
	udp_send "$in" "$T/udp.out" 1 1 "$@"
	(( _udp_got == 0 )) ||
	    fail "$what: expected no answer, got $(_show_file "$T/udp.out")"
}
