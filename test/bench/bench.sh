#!/usr/bin/env bash
# test/bench/bench.sh - echod's benchmark: make bench, make bench QUICK=1.
#
# Every run starts its server afresh on a loopback port (port 0, read
# back), pinned to CPU 0 while build/bench/loadgen runs on CPU 1 (where
# taskset allows), then stops it and waits for its sockets to go before
# the next.  The servers: echod, the yardsticks naive (thread per
# connection, default attributes) and epoll (build/bench/epoll_echo), and
# as peers node, python3 asyncio and socat where installed.  Within each
# repetition the servers take turns, so a noisy machine's drift spreads
# over all of them; the table shows medians and echod's ratio to each
# yardstick.  Compare two echod builds in ONE run (ECHOD_B), by ratios.
#
# Environment (or make variables):
#   QUICK=1         once each, short, a subset (stream pingpong-1
#                   pingpong-500 churn hold-1000): about a minute
#   ECHOD=PATH      the echod measured (default ./echod)
#   ECHOD_B=PATH    a second echod build, column echod-b, with its ratio
#                   to ECHOD
#   SCENARIOS="..." a subset of stream pingpong-1 pingpong-50
#                   pingpong-500 churn hold-1000 hold-10000; "pingpong"
#                   or "hold" picks them all; pingpong-N and hold-N with
#                   another N work too
#   SERVERS="..."   a subset of echod echod-b naive epoll node python socat
#   REPEAT=N        runs of each scenario for echod and the yardsticks (3;
#                   QUICK: 1); node, python and socat run PEER_REPEAT
#                   times: they are context, not the yardstick (1; with
#                   ECHOD_B 0, so that the run stays under 10 minutes)
#   HOLD_MAX=N      also hold-N (up to 19000: loadgen and server each need
#                   N descriptors, and the limit here is 20,000)
#   DURATION=S      seconds of each stream, pingpong and churn run (2;
#                   QUICK: 1)
#   HOLD_SECS=S     seconds each hold lasts once all are connected (10;
#                   QUICK: 3)
#   ECHOD_TUNABLES  GLIBC_TUNABLES for echod (default: the Makefile's
#                   TUNABLES, as the unit sets them; empty: none)
# Writes build/bench/results.txt (every run's loadgen line) and
# build/bench/table.md (the table printed at the end).
set -u
ORIG_DIR=$PWD
cd "$(dirname -- "${BASH_SOURCE[0]}")/../.." || exit 2
ROOT=$PWD
# echod runs with the GLIBC_TUNABLES its unit and make run set (the
# Makefile's TUNABLES), unless ECHOD_TUNABLES says otherwise.
ECHOD_TUNABLES=${ECHOD_TUNABLES-$(sed -n 's/^TUNABLES *= *//p' Makefile)}
export LC_ALL=C
USER_ECHOD=${ECHOD-}
# wait_for and alive; lib.sh does nothing else when sourced.
# shellcheck source=../lib.sh
source "$ROOT/test/lib.sh"

die() { echo "bench: $*" >&2; exit "${2:-64}"; }
note() { NOTES+=("$*"); echo "bench: $*" >&2; }
NOTES=()

# --- settings ----------------------------------------------------------------

QUICK=${QUICK:-}
[[ $QUICK == 0 || $QUICK == no ]] && QUICK=
if [[ -n $QUICK ]]; then
	DEF_SCENARIOS="stream pingpong-1 pingpong-500 churn hold-1000"
	DEF_REPEAT=1 DEF_DURATION=1 DEF_HOLD=3
else
	DEF_SCENARIOS="stream pingpong-1 pingpong-50 pingpong-500 churn hold-1000 hold-10000"
	DEF_REPEAT=3 DEF_DURATION=2 DEF_HOLD=10
fi
REPEAT=${REPEAT:-$DEF_REPEAT}
if [[ -n ${ECHOD_B-} ]]; then
	PEER_REPEAT=${PEER_REPEAT:-0}
else
	PEER_REPEAT=${PEER_REPEAT:-1}
fi
DURATION=${DURATION:-$DEF_DURATION}
HOLD_SECS=${HOLD_SECS:-$DEF_HOLD}
HOLD_MAX=${HOLD_MAX:-}
ECHOD_B=${ECHOD_B:-}
LOADGEN=$ROOT/build/bench/loadgen
LG_TIMEOUT=10		# loadgen -t: an operation later than this fails

[[ $REPEAT =~ ^[1-9][0-9]?$ ]] || die "REPEAT=$REPEAT: not a number from 1 to 99"
[[ $PEER_REPEAT =~ ^[0-9]{1,2}$ ]] || die "PEER_REPEAT=$PEER_REPEAT: not a number from 0 to 99"
for v in DURATION HOLD_SECS; do
	[[ ${!v} =~ ^[0-9]{1,4}(\.[0-9]+)?$ && ${!v} != 0 ]] ||
	    die "$v=${!v}: not a number of seconds"
done
if [[ -n $HOLD_MAX ]]; then
	[[ $HOLD_MAX =~ ^[1-9][0-9]{0,4}$ ]] && (( HOLD_MAX <= 19000 )) ||
	    die "HOLD_MAX=$HOLD_MAX: not a number from 1 to 19000"
	DEF_SCENARIOS+=" hold-$HOLD_MAX"
fi

# SCENARIOS: exact names, or a family name for all of its defaults.
SCEN=()
for w in ${SCENARIOS:-$DEF_SCENARIOS}; do
	if [[ $w =~ ^(stream|churn|pingpong-[1-9][0-9]*|hold-[1-9][0-9]*)$ ]]; then
		SCEN+=("$w")
	elif [[ $w == pingpong || $w == hold ]]; then
		for d in stream pingpong-1 pingpong-50 pingpong-500 churn \
		    hold-1000 hold-10000 ${HOLD_MAX:+hold-$HOLD_MAX}; do
			[[ $d == "$w"-* ]] && SCEN+=("$d")
		done
	else
		die "SCENARIOS: unknown scenario '$w' (stream, pingpong-N, churn, hold-N)"
	fi
done
(( ${#SCEN[@]} )) || die "SCENARIOS is empty"

# --- what to build and run -----------------------------------------------------

ECHOD=$USER_ECHOD
if [[ -z $ECHOD ]]; then
	ECHOD=$ROOT/echod
	make --no-print-directory -s echod bench-build || die "build failed" 1
else
	make --no-print-directory -s bench-build || die "build failed" 1
fi
for v in ECHOD ECHOD_B; do
	[[ -n ${!v} ]] || continue
	p=${!v}
	[[ $p == /* ]] || p=$ORIG_DIR/$p
	[[ -f $p && -x $p ]] || die "$v=${!v}: no such executable"
	printf -v "$v" '%s' "$(cd "$(dirname -- "$p")" && pwd)/$(basename -- "$p")"
done

PYTHON=
if command -v python3 > /dev/null; then
	# The interpreter itself, not a wrapper (pyenv's shim, for one).
	PYTHON=$(python3 -c 'import asyncio, sys; print(sys.executable)' 2>/dev/null)
fi

SERVERS_ALL="echod echod-b naive epoll node python socat"
SRV=()
for s in ${SERVERS:-$SERVERS_ALL}; do
	case $s in
	echod|naive|epoll) SRV+=("$s") ;;
	echod-b)
		if [[ -n $ECHOD_B ]]; then SRV+=("$s")
		elif [[ -n ${SERVERS-} ]]; then die "SERVERS names echod-b, but ECHOD_B is not set"
		fi ;;
	node)
		if command -v node > /dev/null; then SRV+=("$s")
		else note "node: not installed on this machine, not run"; fi ;;
	python)
		if [[ -n $PYTHON ]]; then SRV+=("$s")
		else note "python: no python3 with asyncio on this machine, not run"; fi ;;
	socat)
		if command -v socat > /dev/null; then SRV+=("$s")
		else note "socat: not installed on this machine, not run"; fi ;;
	*) die "SERVERS: unknown server '$s' ($SERVERS_ALL)" ;;
	esac
done

is_peer() { [[ $1 == node || $1 == python || $1 == socat ]]; }
if (( PEER_REPEAT == 0 )); then
	peers=() keep=()
	for s in "${SRV[@]}"; do
		if is_peer "$s"; then peers+=("$s"); else keep+=("$s"); fi
	done
	(( ${#peers[@]} )) &&
	    note "${peers[*]}: not run (PEER_REPEAT=0${ECHOD_B:+, the default with ECHOD_B})"
	SRV=("${keep[@]}")
fi
(( ${#SRV[@]} )) || die "SERVERS: none of them can run"

PIN_SRV=() PIN_LG=()
if taskset -c 0 true 2>/dev/null && taskset -c 1 true 2>/dev/null; then
	PIN_SRV=(taskset -c 0) PIN_LG=(taskset -c 1)
	PINNING="server on CPU 0, load generator on CPU 1"
else
	PINNING="not pinned (taskset cannot use CPUs 0 and 1)"
	note "$PINNING"
fi

HARD_NOFILE=$(ulimit -Hn)

T=$(mktemp -d "${TMPDIR:-/tmp}/echod-bench.XXXXXX") || exit 2
OUT=$ROOT/build/bench
mkdir -p "$OUT"
RESULTS=$OUT/results.txt
: > "$RESULTS"
cp test/bench/echod-bench.conf "$T/echod.conf"
if (( EUID == 0 )); then
	# Started as root, echod wants a user; the bench reads its /proc.
	printf '\n[server]\nuser = root\n' >> "$T/echod.conf"
fi
"$ECHOD" -t -c "$T/echod.conf" > "$T/conf.err" 2>&1 ||
    die "$ECHOD rejects the bench configuration: $(head -c 300 "$T/conf.err")" 78

# --- servers --------------------------------------------------------------------

SPID= SPORT= SNAME= LGPID=

cleanup() {
	trap - EXIT
	trap '' INT TERM HUP
	[[ -n $LGPID ]] && kill -TERM "$LGPID" 2>/dev/null
	stop_server
	rm -rf -- "$T"
}
trap cleanup EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# server_port: sets SPORT once the server has said where it listens.
server_port() {
	local re line
	case $SNAME in
	echod*) re='^<[0-7]>listening on 127\.0\.0\.1:([0-9]+)$' ;;
	socat) re=' listening on AF=2 127\.0\.0\.1:([0-9]+)$' ;;
	*)
		read -r line < "$T/srv.out" 2>/dev/null || return 1
		[[ $line =~ ^[0-9]+$ ]] || return 1
		SPORT=$line
		return 0 ;;
	esac
	while IFS= read -r line; do
		if [[ $line =~ $re ]]; then
			SPORT=${BASH_REMATCH[1]}
			return 0
		fi
	done < "$T/srv.err"
	return 1
}

# start_server NAME: starts it in a session of its own (so that its
# whole process group can be stopped); sets SPID and SPORT.
start_server() {
	local cmd pg s
	SNAME=$1 SPORT=
	case $1 in
	# echod runs as the unit and make run run it, with their tunables.
	echod) cmd=(env "GLIBC_TUNABLES=$ECHOD_TUNABLES" "$ECHOD" -c "$T/echod.conf") ;;
	echod-b) cmd=(env "GLIBC_TUNABLES=$ECHOD_TUNABLES" "$ECHOD_B" -c "$T/echod.conf") ;;
	naive) cmd=("$OUT/naive" 0) ;;
	epoll) cmd=("$OUT/epoll_echo" 0) ;;
	node) cmd=(node test/bench/echo.js 0) ;;
	python) cmd=("$PYTHON" test/bench/echo.py 0) ;;
	socat) cmd=(socat -d -d "TCP-LISTEN:0,bind=127.0.0.1,reuseaddr,fork,backlog=128" PIPE) ;;
	esac
	: > "$T/srv.out"
	: > "$T/srv.err"
	setsid "${PIN_SRV[@]}" "${cmd[@]}" < /dev/null > "$T/srv.out" 2> "$T/srv.err" &
	SPID=$!
	if ! wait_for 10 'server_port || ! alive "$SPID"' || ! server_port; then
		_why="$1 did not say its port within 10 s: $(head -c 300 "$T/srv.err")"
		stop_server
		return 1
	fi
	# setsid runs the server itself unless it had to fork.
	read -r s < "/proc/$SPID/stat" 2>/dev/null
	pg=(${s##*) })
	if [[ ${pg[2]-} != "$SPID" ]]; then
		_why="$1 is not in a process group of its own (setsid forked?)"
		stop_server
		return 1
	fi
}

group_alive() { kill -0 -- "-$1" 2>/dev/null; }

# stop_server: SIGTERM to the server's group, SIGKILL after 15 s.
stop_server() {
	[[ -n $SPID ]] || return 0
	kill -TERM -- "-$SPID" 2>/dev/null
	if ! wait_for 15 '! alive "$SPID"'; then
		echo "bench: $SNAME (pid $SPID) still running 15 s after SIGTERM; killed" >&2
		kill -KILL -- "-$SPID" 2>/dev/null
		wait_for 5 '! alive "$SPID"'
	fi
	wait "$SPID" 2>/dev/null
	# What it forked (socat's children) goes with it.
	if ! wait_for 10 '! group_alive "$SPID"'; then
		kill -KILL -- "-$SPID" 2>/dev/null
		wait_for 5 '! group_alive "$SPID"'
	fi
	SPID=
}

# Sockets with the port at either end, except those in TIME-WAIT: what
# is left of the previous server and its clients.
sockets_on() {
	_socks=$(ss -Htan exclude time-wait "( sport = :$1 or dport = :$1 )" 2>/dev/null | wc -l)
}

# --- runs -------------------------------------------------------------------------

loadgen_args() {
	case $1 in
	stream) _args=(-s stream -d "$DURATION") ;;
	churn) _args=(-s churn -d "$DURATION") ;;
	pingpong-*) _args=(-s pingpong -c "${1#*-}" -d "$DURATION") ;;
	hold-*) _args=(-s hold -c "${1#*-}" -d "$HOLD_SECS") ;;
	esac
}

# run_one SERVER SCENARIO REP
run_one() {
	local srv=$1 name=$2 rep=$3 rc line human limit port t0=$EPOCHREALTIME
	_run=$(( _run + 1 ))
	if ! start_server "$srv"; then
		note "$srv $name #$rep: $_why"
		printf 'server=%s name=%s rep=%s failed=1\n' "$srv" "$name" "$rep" >> "$RESULTS"
		return
	fi
	port=$SPORT
	loadgen_args "$name"
	# loadgen ends by itself; this only stops a hung one.
	limit=$(( ${DURATION%.*} + 3 * LG_TIMEOUT + 30 ))
	[[ $name == hold-* ]] && limit=$(( ${HOLD_SECS%.*} + 400 ))
	timeout -k 5 "$limit" "${PIN_LG[@]}" "$LOADGEN" -p "$port" \
	    -t "$LG_TIMEOUT" --pid "$SPID" "${_args[@]}" \
	    < /dev/null > "$T/lg.out" 2> "$T/lg.err" &
	LGPID=$!
	wait "$LGPID"
	rc=$?
	LGPID=
	stop_server
	line=$(grep '^scenario=' "$T/lg.out" | tail -n 1)
	human=$(grep -E '^loadgen: [a-z]+, ' "$T/lg.err" | tail -n 1)
	elapsed_since "${t0/./}"
	printf '[%d/%d %5.1f s] %-7s %-12s #%d %s\n' "$_run" "$_runs" "$_el" \
	    "$srv" "$name" "$rep" "${human#loadgen: }" >&2
	if [[ -z $line ]]; then
		note "$srv $name #$rep: loadgen exited with status $rc and no result: $(tail -n 3 "$T/lg.err" | tr '\n' ' ')"
		printf 'server=%s name=%s rep=%s failed=1\n' "$srv" "$name" "$rep" >> "$RESULTS"
	else
		(( rc == 0 )) || grep -vE '^loadgen: [a-z]+, ' "$T/lg.err" |
		    head -n 3 | sed 's/^/    /' >&2
		printf 'server=%s name=%s rep=%s %s\n' "$srv" "$name" "$rep" "$line" >> "$RESULTS"
	fi
	if ! wait_for 30 'sockets_on "$port"; (( _socks == 0 ))'; then
		note "$srv $name #$rep: $_socks sockets on port $port still open 30 s after the run"
	fi
}

# Which runs: every scenario, every repetition, the servers in turn.
PLAN=()
for name in "${SCEN[@]}"; do
	n=${name#hold-}
	if [[ $name == hold-* ]] && (( n + 16 > HARD_NOFILE )); then
		note "$name: needs about $(( n + 16 )) descriptors per process; the limit is $HARD_NOFILE: not run"
		continue
	fi
	for ((rep = 1; rep <= REPEAT; rep++)); do
		for srv in "${SRV[@]}"; do
			if is_peer "$srv" && (( rep > PEER_REPEAT )); then
				continue
			fi
			# A process and a pipe per connection: 1,000 is plenty.
			if [[ $srv == socat && $name == hold-* ]] && (( n > 1000 )); then
				continue
			fi
			PLAN+=("$srv $name $rep")
		done
	done
done
for srv in "${SRV[@]}"; do
	if [[ $srv == socat ]]; then
		for name in "${SCEN[@]}"; do
			[[ $name == hold-* ]] && (( ${name#hold-} > 1000 )) &&
			    note "socat: $name not run (a process per connection)"
		done
	fi
done
_runs=${#PLAN[@]}
_run=0

MACHINE="$(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), kernel $(uname -r), $(ldd --version 2>&1 | head -n 1)"
echo "bench: $MACHINE; $PINNING" >&2
echo "bench: $_runs runs: ${SCEN[*]} x ${SRV[*]}" >&2
start=$EPOCHSECONDS
for p in "${PLAN[@]}"; do
	# shellcheck disable=SC2086
	run_one $p
done
took=$(( EPOCHSECONDS - start ))

# --- the table -----------------------------------------------------------------------

{
	echo
	echo "### echod benchmark ($(date -u '+%Y-%m-%d %H:%M UTC'), ${took} s)"
	echo
	echo "machine: $MACHINE; $PINNING"
	echo "echod: $ECHOD ($("$ECHOD" -V 2>&1 | head -n 1))${ECHOD_B:+; echod-b: $ECHOD_B ($("$ECHOD_B" -V 2>&1 | head -n 1))}"
	runs="median of $REPEAT runs each"
	(( REPEAT == 1 )) && runs="1 run each"
	echo "$runs (node, python, socat: $PEER_REPEAT); stream, pingpong, churn $DURATION s; hold $HOLD_SECS s once all are connected; 64 B messages"
	echo
	awk -v servers="${SRV[*]}" -v scens="${SCEN[*]}" -f test/bench/table.awk "$RESULTS"
	if (( ${#NOTES[@]} )); then
		echo
		printf -- '- %s\n' "${NOTES[@]}"
	fi
} > "$OUT/table.md"
cat "$OUT/table.md"
echo
echo "bench: raw results in build/bench/results.txt, this table in build/bench/table.md"
