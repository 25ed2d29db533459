# test/systemd.sh - helpers for the cases about echod and systemd, sourced
# by test/lib.sh.
#
#   notify_listen ADDRESS      collects sd_notify messages in $T/notify
#   notify_count TEXT          how many of them are exactly TEXT
#   assert_notify SECONDS ERE  waits for a message matching ERE
#   assert_exposure FILE [WHERE]  systemd-analyze security's verdict is at
#                              most MAX_EXPOSURE
#   install_tree DIR           what make install needs, in DIR
#   activate CONF [ARGS...]    echod under systemd-socket-activate

# activate CONF [ARGS...]: runs echod under systemd-socket-activate (with
# ARGS, such as --datagram) on a free high port of 127.0.0.1, the socket
# named "echo"; sets PID (of echod, after exec) and APORT.
activate() {
	local try conf=$1
	shift
	for ((try = 0; try < 10; try++)); do
		APORT=$(( 20000 + RANDOM % 40000 ))
		: > "$LOG"
		env --default-signal systemd-socket-activate "$@" \
		    -l "127.0.0.1:$APORT" --fdname=echo \
		    "$ECHOD" -c "$conf" < /dev/null 2> "$LOG" &
		PID=$!
		wait_for 5 'grep -q "^Listening on" "$LOG" || ! alive "$PID"'
		grep -q "^Listening on" "$LOG" && return 0
		wait "$PID"
	done
	fail "systemd-socket-activate could not listen: $(cat "$LOG")"
}

# notify_listen ADDRESS: receives sd_notify datagrams on ADDRESS (socat
# UNIX-RECV:PATH or ABSTRACT-RECV:NAME) into $T/notify, a message a line.
notify_listen() {
	: > "$T/notify"
	socat -u "$1" "OPEN:$T/notify,append" 2> "$T/socat.err" &
	_nl_pid=$!
}

# notify_count TEXT: prints how many notify lines are exactly TEXT.
notify_count() { grep -cx -- "$1" "$T/notify"; }

assert_notify() {	# SECONDS LINE-ERE
	_an_re=$2
	wait_for "$1" 'grep -qE -- "^($_an_re)\$" "$T/notify"' ||
	    fail "no notify message /$2/ within $1 s; got: $(tr '\n' '|' < "$T/notify")"
}

# Highest acceptable "systemd-analyze security" exposure of echod.service
# (0.0 to 10.0).
MAX_EXPOSURE=2.0

# assert_exposure FILE [WHERE]: FILE holds what "systemd-analyze security"
# said of one unit (echod.service, an echod@ instance); its overall
# exposure is at most MAX_EXPOSURE.  A note gives the figure (with WHERE).
assert_exposure() {
	local line score
	line=$(grep -E 'Overall exposure level for echod(@[a-z]*)?\.service:' "$1")
	[[ $line =~ :\ ([0-9]+\.[0-9])\  ]] ||
	    fail "no overall exposure level in the output: $(tail -n 2 "$1")"
	score=${BASH_REMATCH[1]}
	echo "note: systemd-analyze security${2-}: $score (at most $MAX_EXPOSURE)"
	if awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s > m) }'; then
		grep -F '✗' "$1" | sort -k1,1 | head -n 20
		fail "security exposure $score is above $MAX_EXPOSURE"
	fi
}

# install_tree DIR: copies what the Makefile needs to install into DIR,
# with the binary under test ($ECHOD) as its echod and no sources, so that
# make there builds nothing.
install_tree() {
	local src
	src=$(cd "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
	mkdir -p "$1/systemd" "$1/man" "$1/etc" || fail "mkdir $1"
	cp "$src/Makefile" "$1/" &&
	    cp "$src/systemd/echod.service.in" "$src/systemd/echod@.service.in" \
		"$src/systemd/echod.socket" "$1/systemd/" &&
	    cp "$src/man/echod.8" "$src/man/echod.conf.5" "$1/man/" &&
	    cp "$src/etc/echod.conf" "$1/etc/" &&
	    cp "$ECHOD" "$1/echod" ||
	    fail "cannot copy the sources to $1"
}
