# echod.service under a real systemd.  This machine's own root, bound
# read-only in a mount namespace of the test's own, boots in systemd-nspawn
# with a tmpfs over it (--volatile=overlay: nothing on the host changes)
# and a network namespace with nothing but loopback.  echod is installed
# inside with "make install", then driven and checked with systemctl and
# journalctl, and reached with nc over the container's loopback.
#
# Booting costs seconds, so one case boots one container and makes every
# check in turn; a failure names its check (STEP).  nspawn, the
# container's systemd and everything it starts run in a cgroup of the
# case's own, which is killed and removed at the end, whatever happens;
# the mounts live only in the namespaces that die with them.  Under a
# sanitizer the service's reports go to the journal, which is searched.
#
# case-timeout: 150

CONF=/etc/echod/echod.conf
# The dynamic users systemd allocates (DynamicUser=, systemd.exec(5)).
DYN_MIN=61184
DYN_MAX=65519

NSPAWN=		# systemd-nspawn's pid
LEADER=		# the container's init (host pid)
_cgs=()		# the cgroup directories made for the container

# --- the container ---------------------------------------------------------------

# _ct_prereq: skips, saying why, where no container can be booted (and
# fails where what make test installs for it is missing).
_ct_prereq() {
	(( EUID == 0 )) || skip "booting a container needs root"
	need systemd-nspawn systemd-container
	need /lib/systemd/systemd systemd
	need nsenter util-linux
	need unshare util-linux
	need mount mount
	unshare -m true 2> "$T/unshare.err" ||
	    skip "cannot make a mount namespace: $(head -c 200 "$T/unshare.err")"
}

# _cg_path N: the cgroup path of this shell in hierarchy line N of
# /proc/self/cgroup ("0:" for the unified one, "name=systemd" for v1).
_cg_path() {
	local line
	while IFS= read -r line; do
		case $1 in
		0)	[[ $line == 0::* ]] && { _cgp=${line#0::}; return 0; } ;;
		*)	[[ $line == *:"$1":* ]] && { _cgp=${line#*:"$1":}; return 0; } ;;
		esac
	done < /proc/self/cgroup
	return 1
}

# _cg_setup: makes, below this shell's own cgroup, one for the container in
# each hierarchy systemd uses (the unified one, and name=systemd on a v1 or
# hybrid host); nspawn puts its supervisor and payload cgroups in it.
_cg_setup() {
	local fs d
	fs=$(stat -fc %T /sys/fs/cgroup 2>/dev/null)
	if [[ $fs == cgroup2fs ]]; then
		_cg_path 0 || skip "no unified cgroup in /proc/self/cgroup"
		_cgs=("/sys/fs/cgroup${_cgp%/}/echod-test.$$")
	else
		_cg_path name=systemd && [[ -d /sys/fs/cgroup/systemd ]] ||
		    skip "no cgroup hierarchy for systemd (/sys/fs/cgroup is $fs)"
		_cgs=("/sys/fs/cgroup/systemd${_cgp%/}/echod-test.$$")
		if [[ $(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null) == cgroup2fs ]] &&
		    _cg_path 0; then
			_cgs+=("/sys/fs/cgroup/unified${_cgp%/}/echod-test.$$")
		fi
	fi
	at_exit _ct_cleanup
	for d in "${_cgs[@]}"; do
		mkdir "$d" 2> "$T/mkdir.err" ||
		    skip "cannot make a cgroup for the container: $(head -c 200 "$T/mkdir.err")"
	done
}

# _cg_procs: sets _procs to every process in the container's cgroups.
_cg_procs() {
	local f p
	_procs=()
	while IFS= read -r f; do
		while read -r p; do
			_procs+=("$p")
		done 2>/dev/null < "$f"
	done < <(find "${_cgs[@]}" -name cgroup.procs 2>/dev/null)
}

# _ct_kill: kills nspawn, the container and everything in it, and removes
# the cgroups (3 s: the last processes may take a moment to be reaped);
# true when nothing is left.
_ct_kill() {
	local d n
	(( ${#_cgs[@]} )) || return 0
	for d in "${_cgs[@]}"; do
		[[ -f $d/cgroup.kill ]] && echo 1 > "$d/cgroup.kill" 2>/dev/null
	done
	for ((n = 0; n < 60; n++)); do
		_cg_procs
		(( ${#_procs[@]} )) && kill -KILL "${_procs[@]}" 2>/dev/null
		[[ -n $NSPAWN ]] && ! alive "$NSPAWN" && wait "$NSPAWN" 2>/dev/null
		_left=()
		for d in "${_cgs[@]}"; do
			[[ -d $d ]] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
			[[ -d $d ]] && _left+=("$d")
		done
		(( ${#_left[@]} )) || return 0
		sleep 0.05
	done
	_cg_procs
	return 1
}

# On any exit: nothing may survive the case.
_ct_cleanup() {
	_ct_kill 2> /dev/null ||
	    echo "cleanup: left behind: processes ${_procs[*]:-none}, cgroups ${_left[*]:-none}"
	_cgs=()
}

# _ct_boot: boots the container; sets NSPAWN and LEADER.  The tree to
# install from, $T/src, is bound read-only at /mnt/echod-src.
_ct_boot() {
	mkdir "$T/root" || fail "mkdir $T/root"
	# In the mount namespace of its own: / again, read-only, for nspawn to
	# put a tmpfs over, and a fresh /run for nspawn's own state.
	cat > "$T/launch" <<-'EOF'
	set -e
	mount --bind / "$1"
	mount -o remount,bind,ro "$1"
	mount -t tmpfs -o mode=0755,size=4m echod-test /run
	exec systemd-nspawn --quiet --directory="$1" --machine="$2" \
	    --volatile=overlay --private-network --register=no --keep-unit \
	    --link-journal=no --console=read-only --bind-ro="$3:/mnt/echod-src" \
	    --boot systemd.unit=basic.target
	EOF
	(
		for d in "${_cgs[@]}"; do
			echo "$BASHPID" > "$d/cgroup.procs" || exit 70
		done
		exec unshare -m --propagation private bash "$T/launch" \
		    "$T/root" "echod-test-$$" "$T/src"
	) < /dev/null > "$T/nspawn.log" 2>&1 &
	NSPAWN=$!
	# The container's init is nspawn's child that runs systemd.
	wait_for 20 '_ct_leader || ! alive "$NSPAWN"'
	if [[ -z $LEADER ]]; then
		alive "$NSPAWN" &&
		    fail "systemd-nspawn started no systemd in 20 s: $(tail -n 3 "$T/nspawn.log" | tr '\n' ' ')"
		wait "$NSPAWN"
		skip "systemd-nspawn cannot boot a container here (status $?): $(grep -v '^$' "$T/nspawn.log" | tail -n 2 | tr '\n' ' ')"
	fi
	wait_for 40 '_ct_state; [[ $_state == @(running|degraded) ]] || ! alive "$LEADER"'
	[[ $_state == @(running|degraded) ]] ||
	    fail "the container did not boot within 40 s (state '$_state'): $(tail -n 5 "$T/nspawn.log" | tr '\n' ' ')"
	if [[ $_state == degraded ]]; then
		in_ct systemctl --failed --no-legend --plain > "$T/failed"
		echo "note: container degraded; failed: $(tr '\n' ' ' < "$T/failed")"
	fi
}

# _ct_leader: true once nspawn's child runs systemd; sets LEADER.
_ct_leader() {
	local p comm
	for p in $(cat "/proc/$NSPAWN/task/$NSPAWN/children" 2>/dev/null); do
		read -r comm 2>/dev/null < "/proc/$p/comm" || continue
		[[ $comm == systemd ]] && { LEADER=$p; return 0; }
	done
	return 1
}

# _ct_state: sets _state to the container's system state.
_ct_state() {
	_state=$(timeout --foreground -k 1 5 nsenter -t "$LEADER" -a -r -w \
	    systemctl is-system-running 2>/dev/null)
}

# in_ct COMMAND...: runs COMMAND in the container (30 s limit).  The
# limits here are --foreground, in the case's process group: test/run's
# SIGTERM after a timeout must reach them, so that the case can clean up
# at once instead of waiting for them.
in_ct() {
	timeout --foreground -k 2 30 nsenter -t "$LEADER" -a -r -w -- "$@"
}

# sc ARGS...: systemctl in the container; fails unless it exits 0.
sc() {
	in_ct systemctl "$@" < /dev/null > "$T/sc.out" 2>&1 ||
	    fail "systemctl $* exited with status $?: $(head -c 300 "$T/sc.out")"
}

# prop PROPERTY [UNIT]: sets _p to a property of the unit (echod.service).
prop() {
	_p=$(in_ct systemctl show -P "$1" "${2:-echod.service}" 2>&1)
}

# assert_prop PROPERTY VALUE [UNIT]
assert_prop() {
	prop "$1" "${3-}"
	assert_eq "$2" "$_p" "${3:-echod.service} $1"
}

# journal ARGS...: echod.service's journal lines (message text only).
journal() {
	in_ct journalctl --no-pager -q -u echod.service -o cat "$@" 2>&1
}

# wait_journal SECONDS TEXT [ARGS...]: waits for a journal line of echod
# (with journalctl ARGS, e.g. a priority) containing TEXT.
wait_journal() {
	_wj_text=$2
	_wj_args=("${@:3}")
	wait_for "$1" 'journal "${_wj_args[@]}" | grep -qF -- "$_wj_text"'
}

assert_journal() {
	wait_journal "$@" ||
	    fail "no journal line of echod.service containing '$2' (journalctl ${*:3}; waited $1 s); last lines: $(journal -n 5 | tr '\n' '|')"
}

# --- clients in the container's network ------------------------------------------

# ct_roundtrip HOST DATA EXPECTED WHAT: one nc -N session to HOST port 7 in
# the container's network; exactly EXPECTED must come back.
ct_roundtrip() {
	local rc
	printf '%s' "$2" > "$T/rt.in"
	timeout --foreground 10 nsenter -t "$LEADER" -n nc -N "$1" 7 < "$T/rt.in" \
	    > "$T/rt.out" 2> "$T/nc.err"
	rc=$?
	(( rc == 0 )) ||
	    fail "$4: nc -N $1 7 exited with status $rc: $(head -c 200 "$T/nc.err")"
	assert_file "$T/rt.out" "$3" "$4"
}

# ct_uroundtrip DATA GROUPS-OPTION: one nc -N -U session to $USOCK in
# the container, as nobody with setpriv's GROUPS-OPTION; DATA must come
# back.
USOCK=/run/echod/echod.sock
ct_uroundtrip() {
	local rc
	printf '%s' "$1" > "$T/rt.in"
	in_ct setpriv --reuid=nobody --regid=nogroup "$2" \
	    nc -N -U "$USOCK" < "$T/rt.in" > "$T/rt.out" 2> "$T/nc.err"
	rc=$?
	(( rc == 0 )) ||
	    fail "nc -N -U $USOCK as nobody ($2) exited with status $rc: $(head -c 200 "$T/nc.err")"
	assert_file "$T/rt.out" "$1" "echo through $USOCK as nobody ($2)"
}

# hold_open NAME: a connection to 127.0.0.1:7 in the container, held by
# an nc fed through the fifo $T/NAME.in (test/client.sh's hold_run).
hold_open() {
	hold_run "$1" nsenter -t "$LEADER" -n nc -N 127.0.0.1 7
}

# --- the case ----------------------------------------------------------------------

# _conf_set KEY VALUE: sets KEY in the installed configuration file.
_conf_set() {
	in_ct sed -i -E "s|^$1 = .*|$1 = $2|" "$CONF" ||
	    fail "cannot set $1 in the container's $CONF"
}

# dropin NAME: installs standard input as the drop-in NAME.conf of
# echod.service (in /run) and reloads systemd.
dropin() {
	cat > "$T/$1.conf"
	in_ct mkdir -p /run/systemd/system/echod.service.d &&
	    in_ct tee "/run/systemd/system/echod.service.d/$1.conf" \
		< "$T/$1.conf" > /dev/null ||
	    fail "cannot install the drop-in $1.conf"
	sc daemon-reload
}

# Under a sanitizer the service gets the options test/run sets, but not
# its report files (not in the container): reports go to the journal,
# which is searched at the end.  No leak check: LeakSanitizer needs
# ptrace(2), which the unit's SystemCallFilter= denies.
_sanitizer_dropin() {
	local v opts
	sanitized || return 0
	{
		echo '[Service]'
		for v in ASAN_OPTIONS UBSAN_OPTIONS TSAN_OPTIONS; do
			opts=:${!v-}
			while [[ $opts =~ ^(.*):log_path=[^:]*(.*)$ ]]; do
				opts=${BASH_REMATCH[1]}${BASH_REMATCH[2]}
			done
			[[ $v == ASAN_OPTIONS ]] && opts+=:detect_leaks=0
			printf 'Environment="%s=%s"\n' "$v" "${opts#:}"
		done
	} > "$T/sanitizer.in"
	dropin sanitizer < "$T/sanitizer.in"
	echo "note: under SANITIZE=$ECHOD_SANITIZE: reports looked for in the journal, no leak check"
}

# _uid_dynamic PID: the process's user ids (real, effective, saved, fs)
# are one dynamic user's, and its only capability is CAP_NET_BIND_SERVICE.
_uid_dynamic() {
	local line ids
	in_ct cat "/proc/$1/status" > "$T/status" ||
	    fail "cannot read /proc/$1/status in the container"
	line=$(grep '^Uid:' "$T/status")
	ids=(${line#Uid:})
	(( ${#ids[@]} == 4 )) && [[ ${ids[0]} == "${ids[1]}" &&
	    ${ids[0]} == "${ids[2]}" && ${ids[0]} == "${ids[3]}" ]] ||
	    fail "the main process's user ids differ: $line"
	(( ids[0] >= DYN_MIN && ids[0] <= DYN_MAX )) ||
	    fail "the main process runs as uid ${ids[0]}, not a dynamic user ($DYN_MIN to $DYN_MAX)"
	line=$(grep '^CapEff:' "$T/status")
	[[ $line =~ ^CapEff:[[:space:]]+0*400$ ]] ||
	    fail "the main process's capabilities are not just CAP_NET_BIND_SERVICE: $line"
}

# _ct_sched PID: under the unit's sandbox too, the held connection's
# worker, its client back for a second read, runs as SCHED_BATCH at nice
# 19 (priority.c), and the main thread as started (fields 19 and 41 of
# each thread's stat, counted after the name's closing parenthesis).
_ct_sched() {
	local line tid rest f behind=0
	in_ct sh -c 'cat /proc/"$1"/task/*/stat' sh "$1" > "$T/tstat" 2>&1 ||
	    fail "cannot read echod's threads in the container: $(head -c 200 "$T/tstat")"
	while IFS= read -r line; do
		tid=${line%% *} rest=${line##*) }
		read -ra f <<< "$rest"
		if [[ $tid == "$1" ]]; then
			[[ ${f[16]} == 0 && ${f[38]} == 0 ]] ||
			    fail "the main thread runs at nice ${f[16]}, policy ${f[38]} (want 0, 0)"
		elif [[ ${f[16]} == 19 && ${f[38]} == 3 ]]; then
			behind=$(( behind + 1 ))
		fi
	done < "$T/tstat"
	(( behind == 1 )) ||
	    fail "$behind threads run as SCHED_BATCH at nice 19 with one busy client (want 1): $(cut -c1-60 "$T/tstat" | tr '\n' ' ')"
}

t_service() {
	local pid reloads bad_line restarts
	_ct_prereq
	install_tree "$T/src"
	# The unit is made here, where the tree can be written; inside it is
	# read-only, and make install there must find everything made.
	make --no-print-directory -C "$T/src" units SBINDIR=/usr/local/sbin \
	    SYSCONFDIR=/etc < /dev/null > "$T/units.make" 2>&1 ||
	    fail "make units: $(tail -n 3 "$T/units.make")"
	_cg_setup
	_now
	local t0=$_t boot
	_ct_boot
	elapsed_since "$t0"
	boot=$_el

	STEP=install
	in_ct make --no-print-directory -C /mnt/echod-src install \
	    < /dev/null > "$T/install.make" 2>&1 ||
	    fail "make install in the container: $(tail -n 3 "$T/install.make")"
	sc daemon-reload
	assert_prop LoadState loaded
	_sanitizer_dropin

	STEP="systemd-analyze security"
	in_ct systemd-analyze security --no-pager echod.service \
	    < /dev/null > "$T/sec.out" 2>&1 ||
	    fail "exited with status $?: $(tail -n 3 "$T/sec.out")"
	assert_exposure "$T/sec.out" " in the container"

	STEP=start
	sc start echod.service
	assert_prop ActiveState active
	ct_roundtrip 127.0.0.1 $'hello v4\n' $'hello v4\n' "echo on 127.0.0.1:7"
	ct_roundtrip ::1 $'hello v6\n' $'hello v6\n' "echo on [::1]:7"
	hold_open a
	hold_say a $'one\n' $'one\n' "echo on a held connection"
	wait_for 5 'prop StatusText; [[ $_p == "1 connection, 3 served" ]]' ||
	    fail "StatusText is '$_p', want '1 connection, 3 served'"
	prop MainPID
	pid=$_p
	_uid_dynamic "$pid"
	hold_say a $'two\n' $'two\n' "a second echo on the held connection"
	_ct_sched "$pid"

	STEP="kill -s USR1"
	sc kill --kill-who=main -s USR1 echod.service
	assert_journal 5 "stats: "

	STEP="reload (good file)"
	_conf_set mode talk
	sc reload echod.service
	assert_journal 5 "reloaded $CONF: mode talk"
	ct_roundtrip 127.0.0.1 $'hi\nSTOP\n' $'hi\nBYE\n' "a new connection after the reload talks"
	hold_say a $'STOP\n' $'STOP\n' "the connection opened before the reload still echoes"
	assert_prop MainPID "$pid"

	STEP="reload (bad file)"
	_conf_set max_connections 12x
	bad_line=$(in_ct grep -n '^max_connections = 12x$' "$CONF" | cut -d: -f1)
	[[ $bad_line =~ ^[0-9]+$ ]] || fail "cannot find the changed line in $CONF"
	reloads=$(journal | grep -c "^reloading $CONF")
	in_ct systemctl reload echod.service < /dev/null > "$T/reload.out" 2>&1 &&
	    fail "systemctl reload exited 0; the file has an error at line $bad_line"
	assert_journal 5 "$CONF:$bad_line: max_connections: '12x' is not a number" \
	    -p err..err
	assert_prop ActiveState active
	assert_prop MainPID "$pid"
	(( $(journal | grep -c "^reloading $CONF") == reloads )) ||
	    fail "echod was signalled although the file is bad"
	ct_roundtrip 127.0.0.1 $'still\nSTOP\n' $'still\nBYE\n' "the running configuration (talk) still serves"

	STEP="stop (drain)"
	_conf_set max_connections 1024
	_conf_set mode echo
	sc stop --no-block echod.service
	wait_for 5 'prop ActiveState; [[ $_p == deactivating ]]' ||
	    fail "ActiveState is '$_p' with a client still connected, want deactivating"
	hold_say a $'draining\n' $'draining\n' "the open connection is served while echod drains"
	timeout --foreground 5 nsenter -t "$LEADER" -n nc -z 127.0.0.1 7 2> /dev/null &&
	    fail "a new connection was accepted while echod drains"
	hold_close a "drain"
	wait_for 10 'prop ActiveState; [[ $_p == inactive ]]' ||
	    fail "ActiveState is '$_p' 10 s after the last client left"
	assert_prop Result success
	assert_prop ExecMainStatus 0

	STEP="socket activation"
	sc start echod.socket
	assert_prop ActiveState inactive
	ct_roundtrip 127.0.0.1 $'activated\n' $'activated\n' "echo through echod.socket on 127.0.0.1:7"
	wait_for 5 'prop ActiveState; [[ $_p == active ]]' ||
	    fail "echod.service ActiveState is '$_p' after a client came through echod.socket"
	ct_roundtrip ::1 $'activated v6\n' $'activated v6\n' "echo through echod.socket on [::1]:7"
	assert_journal 5 "(socket 'echo' from the service manager)"
	sc stop echod.socket echod.service

	STEP="watchdog"
	# No core file of a container's process may reach a host's handler.
	{
		printf '[Service]\nWatchdogSec=2s\nLimitCORE=0\n'
		[[ $(cat /proc/sys/kernel/core_pattern) == '|'* ]] &&
		    printf 'WatchdogSignal=SIGKILL\n'
	} > "$T/watchdog.in"
	dropin watchdog < "$T/watchdog.in"
	sc start echod.service
	assert_prop WatchdogUSec 2s
	prop MainPID
	pid=$_p
	prop NRestarts
	restarts=$_p
	# Twice the watchdog interval, pinged: still the same process.
	wait_for 4 'prop MainPID; [[ $_p != "$pid" ]]' &&
	    fail "MainPID changed from $pid to $_p while echod pinged the watchdog"
	assert_prop ActiveState active
	sc kill --kill-who=main -s STOP echod.service
	wait_for 15 'prop MainPID; [[ $_p != "$pid" && $_p != 0 ]]' ||
	    fail "echod (pid $pid) stopped with SIGSTOP was not restarted in 15 s (MainPID $_p)"
	assert_journal 5 "Watchdog timeout"
	wait_for 5 'prop ActiveState; [[ $_p == active ]]' ||
	    fail "ActiveState is '$_p' after the restart"
	assert_prop NRestarts $(( restarts + 1 ))
	ct_roundtrip 127.0.0.1 $'back\n' $'back\n' "echo after the restart"
	sc stop echod.service
	assert_prop Result success

	STEP="Unix socket"
	# As echod(8) says: RuntimeDirectory=echod, and for unix_group a
	# group the service is in and chown(2).  At debug level, so that
	# echod says it removed its socket file (systemd then removes the
	# directory).
	dropin unix <<< $'[Service]\nRuntimeDirectory=echod'
	dropin unix-group <<< $'[Service]\nSupplementaryGroups=daemon\nSystemCallFilter=@chown'
	_conf_set level debug
	in_ct sed -i -E -e "s|^listen = .*|&\\nlisten = unix:$USOCK|" \
	    -e 's|^unix_group =.*|unix_group = daemon|' "$CONF" ||
	    fail "cannot add the Unix socket to $CONF"
	sc start echod.service
	in_ct stat -c '%F %a %G' /run/echod "$USOCK" > "$T/stat" 2>&1
	assert_eq $'directory 755 echod\nsocket 660 daemon' "$(cat "$T/stat")" \
	    "/run/echod's and $USOCK's type, mode and group"
	ct_uroundtrip $'over unix\n' --groups=daemon
	assert_journal 5 "unix:pid="
	[[ $(journal | grep -m1 'unix:pid=') =~ ,uid=65534,gid=65534:\ connected ]] ||
	    fail "the journal does not name the client as uid 65534: $(journal | grep -m1 'unix:pid=')"
	printf 'x\n' > "$T/rt.in"
	in_ct setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    nc -N -U "$USOCK" < "$T/rt.in" > "$T/rt.out" 2>&1 &&
	    fail "a client outside group daemon got through: $(head -c 200 "$T/rt.out")"
	ct_roundtrip 127.0.0.1 $'tcp too\n' $'tcp too\n' "echo on 127.0.0.1:7 beside the Unix socket"
	sc stop echod.service
	assert_journal 5 "unix:$USOCK: removed the socket file"
	in_ct test ! -e /run/echod || fail "/run/echod is still there after the stop"

	STEP="sanitizer reports"
	journal > "$T/journal"
	grep -qE 'ERROR: [A-Za-z]+Sanitizer|WARNING: [A-Za-z]+Sanitizer|runtime error:' "$T/journal" &&
	    fail "in the journal: $(grep -m1 -E 'ERROR: [A-Za-z]+Sanitizer|WARNING: [A-Za-z]+Sanitizer|runtime error:' "$T/journal")"

	STEP=cleanup
	_ct_kill ||
	    fail "left behind: processes ${_procs[*]:-none}, cgroups ${_left[*]:-none}"
	_cgs=()
	elapsed_since "$t0"
	echo "note: the container booted in $boot s; boot, checks and cleanup took $_el s"
}
