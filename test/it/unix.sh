# Unix stream sockets (listen = unix:/PATH): echo and talk through them
# with real clients (socat, nc -U), the socket file's life (a stale one
# replaced, a live one and any other file refused and left alone, removed
# at exit, and left to the next start where echod may not remove it), the
# peer named by its credentials, the per-uid limit, unix_mode and
# unix_group, reloads that add and remove Unix addresses, and a Unix
# socket passed by systemd-socket-activate.

SOCK=		# the socket echod listens on: $T/e.sock unless set

# _unix_conf FILE [SERVER-LINES...]: a config listening on $SOCK only.
_unix_conf() {
	printf '[server]\nlisten = unix:%s\n' "$SOCK" > "$1"
	printf '%s\n' "${@:2}" >> "$1"
	_root_user "$1"
}

# uroundtrip DATA EXPECTED WHAT [PATH]: one nc -U -N session to PATH
# ($SOCK); exactly EXPECTED must come back.
uroundtrip() {
	roundtrip "$1" "$2" "$3" -U "${4:-$SOCK}"
}

# uecho DATA [PATH]: true when DATA comes back exactly from PATH ($SOCK);
# for a condition to wait for (no fail).
uecho() {
	printf '%s' "$1" > "$T/ue.in"
	timeout 10 nc -N -U "${2:-$SOCK}" < "$T/ue.in" > "$T/ue.out" 2>&1 &&
	    cmp -s "$T/ue.in" "$T/ue.out"
}

# ufails PATH: true when a client cannot connect to PATH at all.
ufails() {
	! timeout 3 socat -u /dev/null "UNIX-CONNECT:$1" 2> /dev/null
}

# hold NAME [PATH [RUN-AS...]]: a held connection (test/client.sh) to
# PATH ($SOCK), its nc run through RUN-AS (such as setpriv ...) if given;
# _hpid[NAME] is the pid of nc, the client the log names.
hold() {
	local name=$1 path=${2:-$SOCK}
	shift $(( $# < 2 ? $# : 2 ))
	hold_run "$name" "$@" nc -N -U "$path"
}

# _inode PATH: sets _ino to PATH's device and inode ("" if none).
_inode() { _ino=$(stat -c '%d:%i' -- "$1" 2>/dev/null); }

_expect_71() {
	(( _rc == 71 )) ||
	    fail "$2: exit status $_rc, want 71; stderr: $(head -c 300 "$T/$1.err")"
}

# --- echo and talk ---------------------------------------------------------------

# 1 MiB of every byte value echoed back exactly, ended by a half-close;
# the same through -l unix:PATH (instead of the configured addresses).
t_echo() {
	local i
	SOCK=$T/e.sock
	_unix_conf "$T/echod.conf"
	start_echod "$T/echod.conf"
	[[ -S $SOCK ]] || fail "$SOCK is not a socket"
	head -c 1048576 /dev/urandom > "$T/big" || fail "cannot make $T/big"
	timeout 20 socat -t 10 - "UNIX-CONNECT:$SOCK" < "$T/big" \
	    > "$T/big.out" 2> "$T/socat.err" ||
	    fail "socat exited with status $?: $(head -c 200 "$T/socat.err")"
	cmp -s "$T/big" "$T/big.out" ||
	    fail "1 MiB echoed through $SOCK differs: $(stat -c %s "$T/big.out") bytes back, $(cmp "$T/big" "$T/big.out" 2>&1 | head -n 1)"
	assert_log 5 "1048576 bytes in, 1048576 bytes out"
	for ((i = 0; i < 3; i++)); do
		uroundtrip "line $i"$'\n\x01' "line $i"$'\n\x01' \
		    "nc -U -N, session $i"
	done
	stop_echod
	assert_eq 0 "$ECHOD_STATUS" "echod's exit status"

	echo_conf "$T/tcp.conf"
	SOCK=$T/l.sock
	start_echod "$T/tcp.conf" -l "unix:$SOCK"
	(( $(grep -c 'listening on' "$LOG") == 1 )) ||
	    fail "with -l unix:$SOCK echod also listens elsewhere: $(grep 'listening on' "$LOG" | tr '\n' ' ')"
	uroundtrip hello hello "echo through -l unix:$SOCK"
}

t_talk() {
	SOCK=$T/e.sock
	_unix_conf "$T/echod.conf" 'mode = talk'
	start_echod "$T/echod.conf"
	uroundtrip $'Hello server!\nlast' $'Hello server!\nlast\n' \
	    "talk lines, the last one ended by the half-close"
	assert_log_re 5 '^<6>talk unix:pid=[0-9]+,uid=[0-9]+,gid=[0-9]+: Hello server!$'
	assert_log_re 5 '^<6>talk unix:pid=[0-9]+,uid=[0-9]+,gid=[0-9]+: last$'
	uroundtrip $'hi\nSTOP\nnot read\n' $'hi\nBYE\n' "the stop word"
}

# --- the socket file -------------------------------------------------------------

# An instance killed outright leaves its socket file: the next one
# replaces it and serves.
t_stale_replaced() {
	SOCK=$T/e.sock
	_unix_conf "$T/echod.conf"
	start_echod "$T/echod.conf"
	kill -KILL "$PID"
	wait "$PID" 2>/dev/null
	[[ -S $SOCK ]] || fail "the killed echod left no socket file to test with"
	ufails "$SOCK" || fail "a connection to the dead instance's socket succeeded"
	start_echod "$T/echod.conf"
	assert_log 0 "unix:$SOCK: replaced a stale socket file (nobody listened on it)"
	uroundtrip again again "echo after replacing the stale file"
}

# A path where a live echod listens is refused, and left as it is.
t_live_refused() {
	SOCK=$T/e.sock
	_unix_conf "$T/echod.conf"
	start_echod "$T/echod.conf"
	_inode "$SOCK"
	local before=$_ino
	run_echod second -c "$T/echod.conf"
	_expect_71 second "a second echod on $SOCK"
	grep -qxF "<3>cannot listen on unix:$SOCK (listen = unix:$SOCK): already in use: another process accepts connections on it" "$T/second.err" ||
	    fail "no 'already in use' error: $(head -c 300 "$T/second.err" | cat -v)"
	_inode "$SOCK"
	assert_eq "$before" "$_ino" "the socket file's device and inode"
	alive "$PID" || fail "the first echod is gone"
	uroundtrip still still "the first echod after the second was refused"
}

# Anything at the path but a socket is refused and never removed: a
# file, a directory, a symbolic link (even to a socket).
t_not_a_socket_refused() {
	local what
	SOCK=$T/e.sock
	_unix_conf "$T/echod.conf"
	for what in file dir link; do
		rm -rf -- "$SOCK"
		case $what in
		file)	printf 'precious\n' > "$SOCK" ;;
		dir)	mkdir "$SOCK" && : > "$SOCK/inside" ;;
		link)	_bind_stale "$T/other.sock" &&
			    ln -s other.sock "$SOCK" ||
			    fail "cannot make a link to a socket" ;;
		esac
		run_echod "$what" -c "$T/echod.conf"
		_expect_71 "$what" "a $what at $SOCK"
		grep -qxF "<3>cannot listen on unix:$SOCK (listen = unix:$SOCK): it exists and is not a socket (echod leaves it alone)" "$T/$what.err" ||
		    fail "a $what at $SOCK: $(head -c 300 "$T/$what.err" | cat -v)"
		case $what in
		file)	assert_file "$SOCK" $'precious\n' "the file at $SOCK" ;;
		dir)	[[ -f $SOCK/inside ]] || fail "the directory was changed" ;;
		link)	[[ -L $SOCK && $(readlink "$SOCK") == other.sock &&
			    -S $T/other.sock ]] ||
			    fail "the link or the socket it names was changed" ;;
		esac
	done
}

# _bind_stale PATH: leaves a socket file at PATH that nobody listens on.
_bind_stale() {
	perl -MSocket -e 'socket(S, AF_UNIX, SOCK_STREAM, 0) or die "$!\n";
	    bind(S, pack_sockaddr_un($ARGV[0])) or die "$!\n"' "$1"
}

# SIGTERM: echod removes its socket file as it exits.
t_removed_at_exit() {
	SOCK=$T/e.sock
	_unix_conf "$T/echod.conf"
	start_echod "$T/echod.conf"
	uroundtrip x x "echo before stopping"
	stop_echod
	assert_eq 0 "$ECHOD_STATUS" "echod's exit status"
	[[ ! -e $SOCK && ! -L $SOCK ]] || fail "$SOCK is still there after echod exited"
}

# Only the file echod made: one put in its place meanwhile (as by an
# instance that replaced it) is not removed.
t_removes_only_its_own() {
	SOCK=$T/e.sock
	_unix_conf "$T/echod.conf"
	start_echod "$T/echod.conf"
	mv -- "$SOCK" "$T/moved.sock" || fail "mv"
	_bind_stale "$SOCK" || fail "cannot bind a socket at $SOCK"
	stop_echod
	[[ -S $SOCK ]] || fail "echod removed a socket file it did not make"
}

# Started as root and serving as nobody, echod may not remove its file
# from a directory only root may write to: it says so at info, and the
# next start replaces the file.
t_privilege_drop_leaves_file() {
	(( EUID == 0 )) || skip "needs root to test dropping root"
	id -u nobody > /dev/null 2>&1 || skip "no user nobody"
	# nobody may look at $T/d (to see its file is still there), not
	# write to it.
	chmod 711 "$T" && mkdir -m 755 "$T/d" || fail "mkdir $T/d"
	SOCK=$T/d/e.sock
	_unix_conf "$T/echod.conf" 'user = nobody'
	start_echod "$T/echod.conf"
	assert_log 5 "running as user nobody"
	uroundtrip x x "echo as nobody"
	stop_echod
	assert_eq 0 "$ECHOD_STATUS" "echod's exit status"
	grep -qxF "<6>unix:$SOCK: cannot remove the socket file: Permission denied; the next start replaces it" "$LOG" ||
	    fail "no info line about the file left behind: $(grep -F "$SOCK" "$LOG" | tail -n 2 | tr '\n' ' ')"
	[[ -S $SOCK ]] || fail "the file is gone: the test proves nothing"
	start_echod "$T/echod.conf"
	assert_log 0 "unix:$SOCK: replaced a stale socket file"
	uroundtrip y y "echo after the restart"
}

# --- who connects ----------------------------------------------------------------

# The log names a client by its process's pid, uid and gid.
t_credentials_logged() {
	local uid gid pid nuid ngid
	SOCK=$T/e.sock
	_unix_conf "$T/echod.conf" 'unix_mode = 0666'
	chmod 711 "$T"
	start_echod "$T/echod.conf"
	uid=$(id -u) gid=$(id -g)
	hold a
	pid=${_hpid[a]}
	hold_say a $'hi\n' $'hi\n' "echo on a held connection"
	assert_log 5 "unix:pid=$pid,uid=$uid,gid=$gid: connected (1 active)"
	hold_close a "the half-close of a"
	assert_log 5 "unix:pid=$pid,uid=$uid,gid=$gid: closed after "
	if (( EUID == 0 )) && id -u nobody > /dev/null 2>&1; then
		nuid=$(id -u nobody) ngid=$(id -g nobody)
		hold b "$SOCK" setpriv --reuid="$nuid" --regid="$ngid" \
		    --clear-groups
		pid=${_hpid[b]}
		hold_say b $'as nobody\n' $'as nobody\n' "echo to a client run as nobody"
		assert_log 5 "unix:pid=$pid,uid=$nuid,gid=$ngid: connected ("
		hold_close b "the half-close of b"
	else
		echo "note: not root: a client of another uid was not tried"
	fi
}

# max_connections_per_ip counts a uid's connections: the third from one
# uid is refused, another uid is not, and a slot freed is taken again.
t_per_uid_limit() {
	local uid gid nuid ngid
	SOCK=$T/e.sock
	_unix_conf "$T/echod.conf" 'max_connections_per_ip = 2' \
	    'unix_mode = 0666'
	chmod 711 "$T"
	start_echod "$T/echod.conf"
	uid=$(id -u) gid=$(id -g)
	hold a
	hold_say a $'a\n' $'a\n' "first connection"
	hold b
	hold_say b $'b\n' $'b\n' "second connection"
	printf 'third\n' > "$T/third.in"
	timeout 10 nc -N -U "$SOCK" < "$T/third.in" > "$T/third.out" 2>&1
	assert_log_re 5 "^<4>refused unix:pid=[0-9]+,uid=$uid,gid=$gid: over max_connections_per_ip \\(2\\)"
	[[ ! -s $T/third.out ]] ||
	    fail "the third connection of uid $uid got $(_show_file "$T/third.out")"
	if (( EUID == 0 )) && id -u nobody > /dev/null 2>&1; then
		nuid=$(id -u nobody) ngid=$(id -g nobody)
		hold c "$SOCK" setpriv --reuid="$nuid" --regid="$ngid" \
		    --clear-groups
		hold_say c $'c\n' $'c\n' "uid $nuid while uid $uid has 2"
		hold_close c "the half-close of c"
	else
		echo "note: not root: a client of another uid was not tried"
	fi
	hold_close a "the half-close of a"
	wait_for 5 'uecho again' ||
	    fail "uid $uid still refused 5 s after one of its 2 connections ended"
	hold_close b "the half-close of b"
}

# --- the file's permissions -------------------------------------------------------

t_unix_mode() {
	SOCK=$T/e.sock
	_unix_conf "$T/echod.conf"
	start_echod "$T/echod.conf"
	assert_eq 660 "$(stat -c %a "$SOCK")" "the socket file's mode by default"
	stop_echod
	# Whatever the umask echod was started with.
	printf '#!/bin/sh\numask 0777\nexec "%s" "$@"\n' "$ECHOD" > "$T/umask"
	chmod +x "$T/umask" || fail "chmod $T/umask"
	_unix_conf "$T/echod.conf" 'unix_mode = 0604'
	ECHOD="$T/umask" start_echod "$T/echod.conf"
	assert_eq 604 "$(stat -c %a "$SOCK")" "the mode with unix_mode = 0604, umask 0777"
	uroundtrip x x "echo with unix_mode = 0604"
}

t_unix_group() {
	local g=4242 name gid
	(( EUID == 0 )) || skip "needs root to give the socket file another group"
	SOCK=$T/e.sock
	_unix_conf "$T/echod.conf" "unix_group = $g"
	start_echod "$T/echod.conf"
	assert_eq "$g 660" "$(stat -c '%g %a' "$SOCK")" "group and mode with unix_group = $g"
	stop_echod
	name=$(getent group daemon | cut -d: -f1)
	gid=$(getent group daemon | cut -d: -f3)
	[[ -n $name && -n $gid ]] || fail "no group daemon"
	_unix_conf "$T/echod.conf" "unix_group = $name" 'unix_mode = 0640'
	start_echod "$T/echod.conf"
	assert_eq "$gid 640" "$(stat -c '%g %a' "$SOCK")" "group and mode with unix_group = $name"
}

# --- reload and socket activation -------------------------------------------------

# SIGHUP adds a Unix address (it answers), keeps one still listed (its
# file and its open connections untouched, its mode updated), and removes
# one no longer listed (its file gone, no connection gets through, and a
# connection open on it still echoes).
t_reload() {
	local a=$T/a.sock b=$T/b.sock ino
	SOCK=$a
	_unix_conf "$T/echod.conf"
	start_echod "$T/echod.conf"
	_inode "$a"
	ino=$_ino
	hold h "$a"
	hold_say h $'before\n' $'before\n' "held on $a"

	_unix_conf "$T/echod.conf" "listen = unix:$b" 'unix_mode = 0600'
	kill -HUP "$PID"
	assert_reloaded 5 "$T/echod.conf"
	assert_log 0 "listening on unix:$b"
	uroundtrip b b "echo on $b, added" "$b"
	uroundtrip a a "echo on $a, kept" "$a"
	_inode "$a"
	assert_eq "$ino" "$_ino" "$a's device and inode after the reload"
	assert_eq "600 600" "$(stat -c %a "$a") $(stat -c %a "$b")" \
	    "the modes of $a (kept) and $b (new) with unix_mode = 0600"
	hold_say h $'kept\n' $'kept\n' "held on $a after $b was added"

	SOCK=$b
	_unix_conf "$T/echod.conf"
	kill -HUP "$PID"
	assert_reloaded 5 "$T/echod.conf" 2
	assert_log 0 "no longer listening on unix:$a"
	[[ ! -e $a ]] || fail "$a is still there after the reload removed it"
	ufails "$a" || fail "a client got through to $a after the reload removed it"
	uroundtrip b2 b2 "echo on $b, kept" "$b"
	hold_say h $'removed\n' $'removed\n' "held on $a after $a was removed"
	hold_close h "the half-close of h"
	stop_echod
	[[ ! -e $b ]] || fail "$b is still there after echod exited"
}

# A Unix socket passed by systemd-socket-activate is served, and its file,
# the service manager's, is not removed when echod exits.
t_socket_activation() {
	local try
	need systemd-socket-activate systemd
	SOCK=$T/act.sock
	echo_conf "$T/echod.conf"
	: > "$LOG"
	env --default-signal systemd-socket-activate -l "$SOCK" \
	    --fdname=echo "$ECHOD" -c "$T/echod.conf" < /dev/null 2> "$LOG" &
	PID=$!
	wait_for 5 '[[ -S $SOCK ]] || ! alive "$PID"'
	[[ -S $SOCK ]] || fail "systemd-socket-activate did not listen on $SOCK: $(cat "$LOG")"
	# The first connection makes systemd-socket-activate exec echod.
	uroundtrip hello hello "echo through the inherited socket"
	assert_log 5 "listening on unix:$SOCK (socket 'echo' from the service manager)"
	(( $(grep -c 'listening on' "$LOG") == 1 )) ||
	    fail "echod opened its own sockets too: $(grep 'listening on' "$LOG")"
	uroundtrip again again "a second client"
	assert_log_re 5 "^<6>unix:pid=[0-9]+,uid=$(id -u),gid=$(id -g): connected"
	stop_echod
	assert_eq 0 "$ECHOD_STATUS" "echod's exit status"
	[[ -S $SOCK ]] || fail "echod removed $SOCK, which the service manager made"
}
