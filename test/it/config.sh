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

# -T prints each listen value as written, whatever its form, in order,
# and its output read back prints the same again; -l values too.
t_print_listen_forms() {
	local want
	want=$(printf 'listen = %s\n' 7007 "tcp://127.0.0.1:7008" "udp://*:7" \
	    "udp://[::1]:0" "tcp://[fe80::1%lo]:9" "unix:$T/e.sock" \
	    "unix:///run//echod/./e.sock")
	{ printf '[server]\n'; printf '%s\n' "$want"; } > "$T/forms.conf"
	_root_user "$T/forms.conf"
	run_echod forms -c "$T/forms.conf" -T
	_expect_status 0 "echod -T with tcp://, udp:// and unix: values" forms
	assert_eq "$want" "$(grep '^listen = ' "$T/forms.out")" \
	    "echod -T's listen lines"
	cp "$T/forms.out" "$T/again.conf"
	run_echod again -c "$T/again.conf" -T
	_expect_status 0 "echod -T on the output of echod -T" again
	cmp -s "$T/forms.out" "$T/again.out" ||
	    fail "echod -T of its own output differs: $(diff "$T/forms.out" "$T/again.out" | head -n 6)"

	run_echod opt -c "$T/forms.conf" -l "udp://127.0.0.1:7" \
	    -l "unix:/run/echod.sock" -l "tcp://*:0" -T
	_expect_status 0 "echod -l ... -T" opt
	assert_eq $'listen = udp://127.0.0.1:7\nlisten = unix:/run/echod.sock\nlisten = tcp://*:0' \
	    "$(grep '^listen = ' "$T/opt.out")" "echod -l ... -T's listen lines"
	cp "$T/opt.out" "$T/opt-again.conf"
	run_echod opt-again -c "$T/opt-again.conf" -T
	cmp -s "$T/opt.out" "$T/opt-again.out" ||
	    fail "echod -T of the -l output differs: $(diff "$T/opt.out" "$T/opt-again.out" | head -n 6)"
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

# The protocol names in -h and in the errors for an unknown protocol come
# from one table: each names echo and talk (and any protocol added later).
t_mode_names() {
	local any="echo(, | or )talk"
	run_echod help -h
	_expect_status 0 "echod -h" help
	grep -qE -- "^  -m MODE  protocol: $any" "$T/help.out" ||
	    fail "echod -h does not list the protocols: $(grep -- -m "$T/help.out")"
	run_echod opt -c /dev/null -m chat
	_expect_status 64 "echod -m chat" opt
	grep -qE -- "^echod: -m: 'chat' is not $any" "$T/opt.err" ||
	    fail "echod -m chat: $(head -c 300 "$T/opt.err")"
	printf '[server]\nmode = chat\n' > "$T/chat.conf"
	run_echod file -c "$T/chat.conf" -t
	_expect_status 78 "echod -t with 'mode = chat'" file
	grep -qE -- "chat.conf:2: mode: 'chat' is not one of echo, talk" \
	    "$T/file.err" || fail "mode = chat: $(head -c 300 "$T/file.err")"
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

# --- file size and line ends ---------------------------------------------------

SRC=$(cd "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)

# _maxrss NAME ARGS...: like run_echod NAME ARGS (sets _rc), under GNU
# time; sets _kb to echod's peak resident set size in KiB.  With _pipe
# set, echod's standard input is that file through a pipe.
_maxrss() {
	local name=$1
	shift
	need /usr/bin/time time
	cat -- "${_pipe:-/dev/null}" | timeout -k 2 10 /usr/bin/time -f %M \
	    -o "$T/$name.rss" env --default-signal "$ECHOD" "$@" \
	    > "$T/$name.out" 2> "$T/$name.err"
	_rc=${PIPESTATUS[1]}
	_kb=$(tail -n 1 "$T/$name.rss")
	[[ $_kb =~ ^[0-9]+$ ]] ||
	    fail "no peak RSS from /usr/bin/time: $(cat "$T/$name.rss")"
}

# _refused_lean NAME WHAT KIB ERROR ARGS...: echod ARGS exits 78 with
# exactly the line ERROR on stderr, and its peak RSS stays under $base
# (a small file's) + KIB.
_refused_lean() {
	local name=$1 what=$2 kib=$3 err=$4
	shift 4
	_maxrss "$name" "$@"
	_expect_status 78 "echod $* on $what" "$name"
	grep -qxF -- "$err" "$T/$name.err" ||
	    fail "$what: no error '$err': $(head -c 300 "$T/$name.err")"
	(( _kb < base + kib )) ||
	    fail "$what: peak RSS $_kb KiB (checking a small file: $base KiB)"
}

# A file over 1 MiB is refused before it is read, and a 50 MB line is
# never held in memory: echod's peak RSS stays within 4 MiB of what
# checking a small file takes (a correctness bound, not a timing).
t_config_size_limit() {
	local base big=$T/big.conf

	echo_conf "$T/small.conf"
	_maxrss small -t -c "$T/small.conf"
	_expect_status 0 "echod -t on a small file" small
	base=$_kb

	# Exactly 1 MiB is allowed, one byte more is not.
	echo_conf "$big"
	yes "; $(printf '%076d' 0)" |
	    head -c $(( 1048576 - $(stat -c %s "$big") )) >> "$big"
	assert_eq 1048576 "$(stat -c %s "$big")" "test bug: size of the 1 MiB file"
	run_echod mib -t -c "$big"
	_expect_status 0 "echod -t on a file of exactly 1 MiB" mib
	printf ';\n' >> "$big"
	run_echod over -t -c "$big"
	_expect_status 78 "echod -t on a file of 1 MiB and 2 bytes" over
	grep -qxF "echod: $big: larger than 1 MiB (1048578 bytes)" "$T/over.err" ||
	    fail "no 'larger than 1 MiB' error: $(head -c 300 "$T/over.err")"

	# 50 MB on one line: refused by its size, from a file or a pipe.
	head -c 50M /dev/zero | tr '\0' a > "$T/line.conf"
	_refused_lean line "a 50 MB line" 4096 \
	    "echod: $T/line.conf: larger than 1 MiB (52428800 bytes)" \
	    -t -c "$T/line.conf"
	_pipe=$T/line.conf _refused_lean pipe "a 50 MB line from a pipe" 4096 \
	    "echod: /dev/stdin: larger than 1 MiB; stopped reading" \
	    -t -c /dev/stdin

	# Under the size limit, a long line is counted, not kept.
	head -c 1000000 /dev/zero | tr '\0' a > "$T/long.conf"
	_refused_lean long "a 1000000-character line" 512 \
	    "echod: $T/long.conf:1: line too long (1000000 characters; at most 198)" \
	    -t -c "$T/long.conf"
}

# On reload, a file over the limit is refused and the old one serves on.
t_config_size_limit_reload() {
	local conf=$T/echod.conf
	echo_conf "$conf"
	start_echod "$conf"
	head -c 2M /dev/zero | tr '\0' '\n' >> "$conf"
	kill -HUP "$PID"
	assert_log 5 "reload failed"
	assert_log 0 "$conf: larger than 1 MiB"
	alive "$PID" || fail "echod exited after reloading a 2 MiB file"
	roundtrip x x "a client after the refused reload"
}

# A file saved on Windows: a UTF-8 BOM and CR LF line ends.
t_config_crlf_bom() {
	local orig=$SRC/etc/echod.conf win=$T/win.conf
	printf '\357\273\277' > "$win"
	sed 's/$/\r/' "$orig" >> "$win"
	run_echod orig -T -c "$orig"
	_expect_status 0 "echod -T on etc/echod.conf" orig
	run_echod win -t -c "$win"
	_expect_status 0 "echod -t on etc/echod.conf with a BOM and CR LF" win
	run_echod wint -T -c "$win"
	_expect_status 0 "echod -T on etc/echod.conf with a BOM and CR LF" wint
	cmp -s "$T/orig.out" "$T/wint.out" ||
	    fail "echod -T differs for the CR LF copy: $(diff "$T/orig.out" "$T/wint.out" | head -n 6 | cat -v)"

	# 198 characters and a CR are within the limit; 199 are not.
	{
		printf '[talk]\r\ngreeting = '
		printf '%0187d\r\n' 0
	} > "$T/198.conf"
	run_echod l198 -T -c "$T/198.conf"
	_expect_status 0 "echod -T on a 198-character line ending in CR LF" l198
	_has_setting "$T/l198.out" greeting "$(printf '%0187d' 0)" ||
	    fail "the greeting of the 198-character line is not kept whole: $(grep greeting "$T/l198.out" | cat -v)"
	printf '[talk]\r\ngreeting = %0188d\r\n' 0 > "$T/199.conf"
	run_echod l199 -t -c "$T/199.conf"
	_expect_status 78 "echod -t on a 199-character line ending in CR LF" l199
	grep -qF "echod: $T/199.conf:2: line too long (199 characters; at most 198)" "$T/l199.err" ||
	    fail "no 'line too long (199' error: $(head -c 300 "$T/l199.err" | cat -v)"
}

# A CR that does not end a line is an error, said once at its line.
t_config_lone_cr() {
	printf '[server]\nlisten = 127.0.0.1:0\rmode = talk\n[talk]\n' > "$T/cr.conf"
	run_echod cr -t -c "$T/cr.conf"
	_expect_status 78 "echod -t on a line with a CR inside" cr
	grep -qxF "echod: $T/cr.conf:2: carriage return (CR) inside the line; lines end in LF or CR LF" "$T/cr.err" ||
	    fail "no 'carriage return' error at line 2: $(head -c 300 "$T/cr.err" | cat -v)"
	assert_eq 1 "$(wc -l < "$T/cr.err")" "number of error lines for one CR"
}
