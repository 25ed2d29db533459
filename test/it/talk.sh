# Talk mode: lines, replies, stop word, greeting, line limit, escaping.

TALK_RE='^<6>talk 127\.0\.0\.1:[0-9]+: '

t_reply() {
	talk_conf
	start_echod "$T/echod.conf"

	roundtrip $'Hello server!\n' $'Hello server!\n' "talk reply"
	assert_log 5 "talk 127.0.0.1:"
	assert_log 5 ": Hello server!"
	assert_log_re 5 "${TALK_RE}Hello server!\$"

	roundtrip $'first\nsecond\n' $'first\nsecond\n' "two lines in one session"
	assert_log_re 5 "${TALK_RE}second\$"
}

t_partial_line_at_eof() {
	talk_conf
	start_echod "$T/echod.conf"
	roundtrip 'no newline' $'no newline\n' "a partial line at EOF"
	assert_log_re 5 "${TALK_RE}no newline\$"
}

t_stop_word() {
	local c h sp rc
	talk_conf
	start_echod "$T/echod.conf"

	# Without half-close: echod itself must end the session.
	conn_open c
	conn_send "$c" $'hi\nSTOPPED\nSTOP\n'
	conn_expect "$c" $'hi\nSTOPPED\nBYE\n' 5 "replies up to the stop word"
	conn_expect_eof "$c" 5 "after the stop word"
	conn_close "$c"

	# A client (socat) whose input stays open exits on its own because
	# echod closes the connection.
	mkfifo "$T/hold"
	exec {h}<>"$T/hold"
	timeout 20 socat - "TCP:127.0.0.1:$PORT" < "$T/hold" > "$T/s.out" \
	    2> "$T/s.err" {h}>&- &
	sp=$!
	printf 'STOP\n' >&"$h"
	wait_for 5 '! alive "$sp"' ||
	    fail "socat still connected 5 s after sending the stop word (input still open)"
	wait "$sp"
	rc=$?
	exec {h}>&-
	assert_eq 0 "$rc" "socat exit status"
	assert_file "$T/s.out" $'BYE\n' "reply to the stop word"
}

t_stop_word_custom_and_disabled() {
	local c
	talk_conf 'stop_word = QUIT'
	start_echod "$T/echod.conf"
	roundtrip $'STOP\nQUIT\n' $'STOP\nBYE\n' "stop_word = QUIT"
	stop_echod

	talk_conf 'stop_word ='
	start_echod "$T/echod.conf"
	conn_open c
	conn_send "$c" $'STOP\n'
	conn_expect "$c" $'STOP\n' 5 "with the stop word disabled"
	conn_send "$c" $'more\n'
	conn_expect "$c" $'more\n' 5 "after STOP with the stop word disabled"
	conn_close "$c"
}

t_reply_no() {
	local c
	talk_conf 'reply = no'
	start_echod "$T/echod.conf"

	conn_open c
	conn_send "$c" $'quiet please\nSTOP\n'
	# Nothing at all comes back, not even BYE, and echod closes.
	conn_expect_eof "$c" 5 "reply = no with the stop word"
	conn_close "$c"
	assert_log_re 5 "${TALK_RE}quiet please\$"

	roundtrip $'second session\n' '' "reply = no"
	assert_log_re 5 "${TALK_RE}second session\$"
}

t_greeting() {
	local c
	talk_conf 'greeting = welcome'
	start_echod "$T/echod.conf"
	conn_open c
	conn_expect "$c" $'welcome\n' 5 "greeting"
	conn_send "$c" $'x\n'
	conn_expect "$c" $'x\n' 5 "reply after the greeting"
	conn_close "$c"
}

t_max_line() {
	local c l16 l40
	talk_conf 'max_line = 16'
	start_echod "$T/echod.conf"
	printf -v l16 '%016d' 0
	printf -v l40 '%040d' 0
	conn_open c
	conn_send "$c" "$l16"$'\n'
	conn_expect "$c" "$l16"$'\n' 5 "a line of exactly max_line bytes"
	conn_send "$c" "$l40"$'\n'
	conn_expect "$c" $'ERR line too long\n' 5 "a 40-byte line with max_line = 16"
	conn_expect_eof "$c" 5 "after a too long line"
	conn_close "$c"
}

t_max_line_default() {
	local c l4096 l4097
	talk_conf
	start_echod "$T/echod.conf"
	printf -v l4096 '%04096d' 0
	printf -v l4097 '%04097d' 0
	conn_open c
	conn_send "$c" "$l4096"$'\n'
	conn_expect "$c" "$l4096"$'\n' 5 "a 4096-byte line (default max_line)"
	conn_send "$c" "$l4097"$'\n'
	conn_expect "$c" $'ERR line too long\n' 5 "a 4097-byte line (default max_line)"
	conn_expect_eof "$c" 5 "after a too long line"
	conn_close "$c"
}

t_nul_cr() {
	talk_conf
	start_echod "$T/echod.conf"
	printf 'one\r\n\0two\n\0' > "$T/in"
	nc_send "$T/in" "$T/out"
	assert_file "$T/out" $'one\ntwo\n' "reply to 'one\\r\\n\\0two\\n\\0'"
	assert_log 5 "closed after"
	assert_log_re 0 "${TALK_RE}one\$"
	assert_log_re 0 "${TALK_RE}two\$"
	assert_no_log '\x00'
	assert_no_log '\x0d'
	assert_eq 2 "$(log_count "talk 127.0.0.1:")" "number of talk log lines"
}

t_escaping() {
	talk_conf
	start_echod "$T/echod.conf"
	printf 'a\033[1mb\n' > "$T/in"
	nc_send "$T/in" "$T/out"
	assert_file "$T/out" $'a\e[1mb\n' "reply to a line with ESC"
	assert_log_re 5 "${TALK_RE}a\\\\x1b\\[1mb\$"

	# Valid UTF-8 is kept, a stray byte is escaped.
	printf 'caf\303\251 \377!\n' > "$T/in"
	nc_send "$T/in" "$T/out"
	assert_log 5 "caf"$'\303\251'" \\xff!"
	if grep -q $'\033' "$LOG"; then
		fail "a raw ESC byte reached the log"
	fi
}

# A bidi override (U+202E) would show the rest of a log line reversed, a
# zero-width space (U+200B) makes two names look alike: their bytes are
# escaped; the reply still carries them unchanged.
t_escaping_invisible() {
	talk_conf
	start_echod "$T/echod.conf"
	printf 'user \342\200\256nimda\342\200\213!\n' > "$T/in"
	nc_send "$T/in" "$T/out"
	assert_file "$T/out" $'user \342\200\256nimda\342\200\213!\n' \
	    "reply to a line with U+202E and U+200B"
	assert_log 5 'user \xe2\x80\xaenimda\xe2\x80\x8b!'
	if grep -q $'\342\200[\256\213]' "$LOG"; then
		fail "a raw U+202E or U+200B reached the log: $(grep -m1 $'\342\200' "$LOG" | od -c | head -n 3)"
	fi
}

t_mode_option() {
	# -m talk overrides mode = echo from the file.
	echo_conf "$T/echod.conf"
	start_echod "$T/echod.conf" -m talk
	roundtrip $'x\r\nSTOP\n' $'x\nBYE\n' "-m talk"
	assert_log_re 5 "${TALK_RE}x\$"
}

# _last_reply_20 FILE EXPECTED WHAT: 20 nc and 20 socat clients each send
# FILE, which goes on for megabytes after what ends the session, and read
# what comes back: each must get exactly EXPECTED.  Closing with their
# input unread made the kernel reset the connection, and nc lost the last
# reply about one time in three, socat one in twenty.
_last_reply_20() {
	local i
	for (( i = 1; i <= 20; i++ )); do
		timeout 20 nc -N 127.0.0.1 "$PORT" < "$1" > "$T/lr.out" \
		    2> "$T/lr.err"
		assert_file "$T/lr.out" "$2" "$3 (nc client $i of 20)"
		timeout 20 socat - "TCP:127.0.0.1:$PORT" < "$1" \
		    > "$T/lr.out" 2> "$T/lr.err"
		assert_file "$T/lr.out" "$2" "$3 (socat client $i of 20)"
	done
	assert_no_log "reset by peer"
}

t_too_long_reply_survives() {
	talk_conf
	start_echod "$T/echod.conf"
	head -c 4194304 /dev/zero | tr '\0' a > "$T/long"
	_last_reply_20 "$T/long" $'ERR line too long\n' "a 4 MiB line"
}

t_stop_reply_survives() {
	talk_conf
	start_echod "$T/echod.conf"
	{ printf 'hi\nSTOP\n'; yes more | head -c 4194304; } > "$T/stop"
	_last_reply_20 "$T/stop" $'hi\nBYE\n' "the stop word, then 4 MiB of lines"
}

# A client that sends without end cannot keep echod reading after the
# session: a fast one is closed at the byte bound (16 MiB) ...
t_linger_bounded_fast() {
	local p
	talk_conf
	start_echod "$T/echod.conf"
	{ printf 'STOP\n'; exec cat /dev/zero; } |
	    timeout 30 nc -N 127.0.0.1 "$PORT" > "$T/nc.out" 2> "$T/nc.err" &
	p=$!
	wait_for 20 '! alive "$p"' ||
	    fail "a client sending without end still connected after 20 s"
	assert_log 5 "(stop word)"
}

# ... and a slow one at the time bound (2 s), although its sending keeps
# idle_timeout (SO_RCVTIMEO) from ever expiring.
t_linger_bounded_slow() {
	local c chunk start
	talk_conf
	start_echod "$T/echod.conf"
	conn_open c
	conn_send "$c" $'STOP\n'
	conn_expect "$c" $'BYE\n' 5 "reply to the stop word"
	printf -v chunk '%01000d' 0
	_now
	start=$_t
	# 1000 bytes each time wait_for looks (every 0.05 s), until echod
	# closes; a failed write (echod gone) is expected.
	wait_for 20 'grep -qF "closed after" "$LOG" ||
	    { ( trap "" PIPE; printf "%s" "$chunk" >&"$c" ) 2>/dev/null; false; }' ||
	    fail "a client sending 20 kB/s still connected 20 s after BYE"
	elapsed_since "$start"
	echo "note: closed ${_el} s after BYE"
	assert_log 0 "(stop word)"
	conn_close "$c"
}

# --- the log budget --------------------------------------------------------------

# _flood_start FILE N: starts N socat clients, each sending FILE as fast as
# it can and reading every reply into $T/flood.I.out; notes the log's
# size and the time.
_flood_start() {
	local i
	_fl_pids=()
	_fl_k=$2
	_fl_size0=$(stat -c %s "$LOG")
	_now
	_fl_t0=$_t
	for (( i = 1; i <= $2; i++ )); do
		timeout 50 socat -t 40 - "TCP:127.0.0.1:$PORT" < "$1" \
		    > "$T/flood.$i.out" 2> "$T/flood.$i.err" &
		_fl_pids+=($!)
	done
}

# _flood_end N: waits for the N clients and their connections to end;
# sets _fl_ms to the milliseconds since _flood_start and _fl_grew to the
# bytes the log grew by; every client must have exited 0.
_flood_end() {
	local p i=0
	_fl_n=$1
	wait_for 50 '(( $(log_count "closed after") >= _fl_n ))' ||
	    fail "only $(log_count "closed after") of $1 flooding clients done after 50 s"
	_now
	_fl_ms=$(( (_t - _fl_t0) / 1000 ))
	_fl_grew=$(( $(stat -c %s "$LOG") - _fl_size0 ))
	for p in "${_fl_pids[@]}"; do
		(( ++i ))
		wait "$p" || fail "flooding client $i exited with status $?: $(head -c 200 "$T/flood.$i.err")"
	done
	echo "note: $1 client(s): the log grew by $_fl_grew bytes in $_fl_ms ms"
}

# _flood_replies N LINES EXPECTED-LINE: every client got all its replies.
_flood_replies() {
	local i got
	for (( i = 1; i <= $1; i++ )); do
		got=$(grep -cxF -- "$3" "$T/flood.$i.out")
		assert_eq "$2" "$got" "replies to client $i"
		assert_eq "$2" "$(wc -l < "$T/flood.$i.out")" "lines sent back to client $i"
	done
}

# _budget_holds LINES RATE WHAT: the talk lines logged and those counted
# as not logged add up to LINES, some were held back, each connection
# said so at most once a second and once at its end, and the log grew by
# at most twice RATE bytes a second over the time measured plus one
# second's burst (a noisy machine), plus 4k for the other lines.
_budget_holds() {
	local logged held reports bound
	logged=$(grep -cE "$TALK_RE" "$LOG")
	sed -nE 's/^<6>([0-9]+) lines? from 127\.0\.0\.1:[0-9]+ not logged \(over the talk log budget\)$/\1/p' \
	    "$LOG" > "$T/held"
	held=$(awk '{ n += $1 } END { print n + 0 }' "$T/held")
	reports=$(wc -l < "$T/held")
	echo "note: $logged talk lines logged, $held counted as not logged in $reports lines"
	(( reports <= _fl_k * (_fl_ms / 1000 + 2) )) ||
	    fail "$3: $reports 'not logged' lines from $_fl_k connection(s) in $_fl_ms ms: more than one a second each"
	(( logged > 0 )) || fail "$3: no talk line logged at all"
	(( held > 0 )) || fail "$3: no 'N lines from PEER not logged' line: the log grew by $_fl_grew bytes in $_fl_ms ms"
	assert_eq "$1" "$(( logged + held ))" "$3: lines logged plus lines counted as not logged"
	bound=$(( 2 * $2 * (_fl_ms + 1000) / 1000 + 4096 ))
	(( _fl_grew <= bound )) ||
	    fail "$3: the log grew by $_fl_grew bytes in $_fl_ms ms, more than $bound ($2 bytes/s, 2x slack)"
}

# One client floods with short lines: with the defaults (100 lines and
# 64k a second per connection) its lines cost the log a few kB a second,
# not the tens of MB they did; every line is still answered.
t_log_budget_one_client() {
	local n=400000
	sanitized && n=100000
	talk_conf
	start_echod "$T/echod.conf"
	yes a | head -n "$n" > "$T/in"
	_flood_start "$T/in" 1
	_flood_end 1
	_flood_replies 1 "$n" a
	_budget_holds "$n" 65536 "$n lines of 'a'"
	(( $(grep -cE "$TALK_RE" "$LOG") <= 2 * 100 * (_fl_ms + 1000) / 1000 )) ||
	    fail "more than 200 talk lines a second logged (talk_lines = 100)"
	roundtrip $'still there?\n' $'still there?\n' "a client after the flood"
	assert_log_re 5 "${TALK_RE}still there\\?\$"
}

# Lines of control bytes, each escaped to four: the byte budget counts
# what is logged, escapes included.
t_log_budget_escapes() {
	local n=20000 line
	sanitized && n=5000
	talk_conf
	start_echod "$T/echod.conf"
	line=$(head -c 200 /dev/zero | tr '\0' '\1')
	yes "$line" | head -n "$n" > "$T/in"
	_flood_start "$T/in" 1
	_flood_end 1
	_flood_replies 1 "$n" "$line"
	_budget_holds "$n" 65536 "$n lines of 200 control bytes"
}

# Eight clients without a budget of their own share the global one.
t_log_budget_global() {
	local n=50000 k=8
	sanitized && n=12500
	talk_conf '[log]' 'talk_lines = 0' 'talk_bytes = 0' \
	    'talk_lines_total = 0' 'talk_bytes_total = 64k'
	start_echod "$T/echod.conf"
	yes a | head -n "$n" > "$T/in"
	_flood_start "$T/in" "$k"
	_flood_end "$k"
	_flood_replies "$k" "$n" a
	_budget_holds "$(( k * n ))" 65536 "$k clients of $n lines each"
	roundtrip $'after\n' $'after\n' "a client after the flood"
}
