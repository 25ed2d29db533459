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
