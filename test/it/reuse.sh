# reuse_port: several echod processes on one port (SO_REUSEPORT), the
# one-machine way to run more than one; the kernel spreads new
# connections over them.  Each process is an instance (daemon.sh).

N_INST=3

# _reuse_start PORT [LINES...]: starts instances e1..e3 on 127.0.0.1:PORT
# with reuse_port = yes (and LINES in [server]); e1 is current after.
_reuse_start() {
	local p=$1 i
	shift
	for ((i = N_INST; i >= 1; i--)); do
		instance "e$i"
		echo_conf "$T/e$i.conf" 'reuse_port = yes' "$@"
		sed -i "s/^listen = 127\\.0\\.0\\.1:0\$/listen = 127.0.0.1:$p/" \
		    "$T/e$i.conf"
		start_echod "$T/e$i.conf"
		assert_eq "$p" "$PORT" "e$i's port"
	done
}

# _connected NAME: prints how many clients instance NAME logged.
_connected() { grep -cE '^<6>[^ ]+: connected \(' "$T/$1.log"; }

t_spread_over_processes() {
	local p i n=60 counts=() sum=0
	free_port
	p=$_port
	_reuse_start "$p"
	# Without reuse_port, a fourth process cannot share the port.
	instance e4
	echo_conf "$T/e4.conf"
	sed -i "s/^listen = 127\\.0\\.0\\.1:0\$/listen = 127.0.0.1:$p/" "$T/e4.conf"
	run_echod e4 -c "$T/e4.conf"
	assert_eq 71 "$_rc" "exit status of a 4th echod without reuse_port"
	grep -qF "cannot listen on 127.0.0.1:$p (listen = 127.0.0.1:$p): bind: Address already in use" "$T/e4.err" ||
	    fail "the 4th echod did not say why: $(head -c 300 "$T/e4.err")"

	for ((i = 0; i < n; i++)); do
		roundtrip "client $i" "client $i" "client $i of $n on the shared port" \
		    127.0.0.1 "$p"
	done
	for ((i = 1; i <= N_INST; i++)); do
		counts+=("$(_connected "e$i")")
		sum=$(( sum + counts[i - 1] ))
	done
	echo "note: $n connections spread as ${counts[*]}"
	assert_eq "$n" "$sum" "connections the $N_INST processes logged"
	for ((i = 0; i < N_INST; i++)); do
		(( counts[i] > 0 )) ||
		    fail "process e$((i + 1)) got none of $n connections (${counts[*]})"
	done
}

# Stopping one process closes only its own connections: those the others
# serve go on, and new clients keep being served.
t_stop_one_keeps_others() {
	local p i n=30 fds=() got lost=0 kept=0 k1 k2 k3 line
	free_port
	p=$_port
	_reuse_start "$p" 'shutdown_timeout = 0'
	for ((i = 0; i < n; i++)); do
		conn_open "fds[i]" 127.0.0.1 "$p"
		conn_send "${fds[i]}" "before $i"$'\n'
		conn_expect "${fds[i]}" "before $i"$'\n' 5 "held connection $i"
	done
	k1=$(_connected e1) k2=$(_connected e2) k3=$(_connected e3)
	assert_eq "$n" "$(( k1 + k2 + k3 ))" "connections the processes logged"
	(( k2 > 0 )) || fail "e2 got none of $n connections ($k1 $k2 $k3)"

	instance e2
	stop_echod 5
	assert_eq 0 "$ECHOD_STATUS" "e2's exit status"
	for ((i = 0; i < n; i++)); do
		( trap '' PIPE; printf 'after %s\n' "$i" >&"${fds[i]}" ) 2>/dev/null
		got=
		IFS= read -r -t 5 got <&"${fds[i]}"
		if [[ $got == "after $i" ]]; then
			kept=$(( kept + 1 ))
		elif [[ -z $got ]]; then
			lost=$(( lost + 1 ))
		else
			q "$got"
			fail "held connection $i after e2 stopped: got $_q"
		fi
	done
	echo "note: $n held as $k1 $k2 $k3; after e2 stopped, $kept echo, $lost closed"
	assert_eq "$(( k1 + k3 ))" "$kept" "connections of e1 and e3 still echoing"
	assert_eq "$k2" "$lost" "connections closed, e2's"
	for ((i = 0; i < 10; i++)); do
		roundtrip "new $i" "new $i" "new client $i after e2 stopped" 127.0.0.1 "$p"
	done
	for ((i = 0; i < n; i++)); do
		conn_close "${fds[i]}"
	done
	line=$(grep -c 'connected (' "$T/e2.log")
	assert_eq "$k2" "$line" "e2's clients (none new after it stopped)"
}
