#!/usr/bin/env bash
# The soak test (make soak): one echod process, 100,000 connections
# churned and 1 GiB echoed through it, every byte checked by the client.
# After a warm-up, echod's resident memory must grow by less than 1 MiB
# and its open descriptors must return to their idle count.
#
# Environment: ECHOD (default ./echod), CHURN (default build/soak/churn),
# SOAK_CONNECTIONS (100000), SOAK_BYTES (1073741824), SOAK_SECONDS (600).
set -u
cd "$(dirname -- "${BASH_SOURCE[0]}")/../.." || exit 2
ECHOD=${ECHOD:-./echod}
CHURN=${CHURN:-build/soak/churn}
CONNS=${SOAK_CONNECTIONS:-100000}
BYTES=${SOAK_BYTES:-1073741824}
SECONDS_MAX=${SOAK_SECONDS:-600}

T=$(mktemp -d "${TMPDIR:-/tmp}/echod-soak.XXXXXX") || exit 2
PID=
cleanup() {
	[[ -n $PID ]] && kill -KILL "$PID" 2>/dev/null
	rm -rf -- "$T"
}
trap cleanup EXIT

die() { echo "soak: FAILED: $*"; exit 1; }

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status"; }
fds() { local a=(/proc/"$PID"/fd/*); echo "${#a[@]}"; }
run_churn() {
	"$CHURN" -p "$PORT" -T "$SECONDS_MAX" "$@" || die "churn $* failed"
}

cat > "$T/echod.conf" <<-'CONF'
[server]
listen = 127.0.0.1:0
max_connections_per_ip = 0
user = root

[log]
connections = no
CONF
"$ECHOD" -c "$T/echod.conf" 2> "$T/log" &
PID=$!
for ((i = 0; i < 100; i++)); do
	grep -q 'listening on' "$T/log" && break
	kill -0 "$PID" 2>/dev/null || die "echod exited: $(cat "$T/log")"
	sleep 0.05
done
PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/log")
[[ -n $PORT ]] || die "no port in echod's log: $(cat "$T/log")"

idle_fds=$(fds)
# Warm-up: thread stacks, malloc arenas and socket buffers reach their
# working size.
run_churn -c 5000 -t 8
run_churn -b 67108864 -t 4
rss0=$(rss_kb)
fds0=$(fds)
start=$EPOCHREALTIME
run_churn -c "$CONNS" -t 8
run_churn -b "$BYTES" -t 4
took=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
rss1=$(rss_kb)
fds1=$(fds)
kill -USR1 "$PID"
for ((i = 0; i < 100; i++)); do
	grep -q 'stats:' "$T/log" && break
	sleep 0.05
done
grep 'stats:' "$T/log" | sed 's/^<[0-9]>/soak: echod /'

echo "soak: $CONNS connections and $BYTES bytes in $took s"
echo "soak: RSS after warm-up $rss0 KiB, after the soak $rss1 KiB (grew $((rss1 - rss0)) KiB)"
echo "soak: descriptors idle $idle_fds, after warm-up $fds0, after the soak $fds1"
(( rss1 - rss0 < 1024 )) || die "RSS grew by $((rss1 - rss0)) KiB (limit: under 1024)"
(( fds1 == idle_fds )) || die "$fds1 descriptors open, $idle_fds when idle"
kill -TERM "$PID"
wait "$PID"
rc=$?
PID=
(( rc == 0 )) || die "echod exited with status $rc"
echo "soak: passed"
