# The systemd units (systemd/) and make install / uninstall.
#
# The Makefile is exercised on a copy of the files it installs, in $T, with
# the binary under test ($ECHOD) as its "echod": nothing is built and
# nothing in the repository changes.  The units are checked with
# systemd-analyze (verify, security) and against what echod really does,
# traced with strace.

SRC=$(cd "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)

# _make NAME ARGS...: runs make in $T/src (60 s limit) with its output in
# $T/NAME.make; fails unless it exits 0.  Fails too if make compiled or
# linked anything: these targets must use what is already built.
_make() {
	local name=$1 rc
	shift
	timeout -k 2 50 make --no-print-directory -C "$T/src" "$@" \
	    < /dev/null > "$T/$name.make" 2>&1
	rc=$?
	(( rc == 0 )) ||
	    fail "make $* exited with status $rc: $(tail -n 5 "$T/$name.make")"
	if grep -qE '^(cc|gcc|clang)[[:space:]]|[[:space:]]-o echod([[:space:]]|$)' "$T/$name.make"; then
		fail "make $* rebuilt something: $(grep -m1 -E '^(cc|gcc|clang)[[:space:]]|-o echod' "$T/$name.make")"
	fi
}

# _units SBINDIR: makes the units in $T/src with echod's directory SBINDIR;
# sets _svc, _tmpl and _sock to their paths.
_units() {
	[[ -d $T/src ]] || install_tree "$T/src"
	_make units units SBINDIR="$1" SYSCONFDIR=/etc
	_svc=$T/src/systemd/echod.service
	_tmpl=$T/src/systemd/echod@.service
	_sock=$T/src/systemd/echod.socket
	[[ -s $_svc ]] || fail "make units did not make systemd/echod.service"
	[[ -s $_tmpl ]] || fail "make units did not make systemd/echod@.service"
}

# _only_substituted IN OUT: fails unless OUT differs from IN (its .in
# file) only in the lines the Makefile substitutes, and has no
# placeholder left.
_only_substituted() {
	if grep -n '@[A-Z_]*@' "$2" > "$T/left"; then
		fail "placeholders left in ${2##*/}: $(head -n 2 "$T/left")"
	fi
	diff "$1" "$2" |
	    grep -E '^[<>]' |
	    grep -vE '^[<>] (Exec(Start|Reload)|Environment=GLIBC_TUNABLES)=' > "$T/diff"
	[[ -s $T/diff ]] &&
	    fail "${2##*/} differs from ${1##*/} beyond ExecStart, ExecReload and Environment: $(head -n 2 "$T/diff")"
	return 0
}

# _unit_values FILE KEY: sets _vals to the values of every KEY= line of
# FILE, in order (one array element per line).
_unit_values() {
	local line
	_vals=()
	while IFS= read -r line; do
		[[ $line == "$2="* ]] && _vals+=("${line#"$2="}")
	done < "$1"
}

# _unit_value FILE KEY: sets _val to the value of the one KEY= line.
_unit_value() {
	_unit_values "$1" "$2"
	(( ${#_vals[@]} == 1 )) ||
	    fail "$1: expected one $2= line, found ${#_vals[@]}"
	_val=${_vals[0]}
}

# --- units ---------------------------------------------------------------------

t_units_generated() {
	install_tree "$T/src"
	_make gen units SBINDIR=/opt/x/sbin SYSCONFDIR=/opt/x/etc
	local svc=$T/src/systemd/echod.service
	_unit_value "$svc" ExecStart
	assert_eq "/opt/x/sbin/echod -c /opt/x/etc/echod/echod.conf" "$_val" \
	    "ExecStart with SBINDIR=/opt/x/sbin SYSCONFDIR=/opt/x/etc"
	# A reload checks the same file before it signals.
	_unit_values "$svc" ExecReload
	assert_eq "/opt/x/sbin/echod -t -c /opt/x/etc/echod/echod.conf|/bin/kill -HUP \$MAINPID" \
	    "${_vals[0]-}|${_vals[1]-}" \
	    "ExecReload lines with SBINDIR=/opt/x/sbin SYSCONFDIR=/opt/x/etc"
	_unit_value "$svc" Environment
	assert_eq "GLIBC_TUNABLES=$(sed -n 's/^TUNABLES *= *//p' "$T/src/Makefile")" \
	    "$_val" "Environment (the Makefile's TUNABLES)"
	# Only the substituted lines differ from the .in file.
	_only_substituted "$T/src/systemd/echod.service.in" "$svc"
	# The instances' unit, each reading a file of its own.
	_unit_value "$T/src/systemd/echod@.service" ExecStart
	assert_eq "/opt/x/sbin/echod -c /opt/x/etc/echod/%i.conf" "$_val" \
	    "echod@.service ExecStart with SBINDIR=/opt/x/sbin SYSCONFDIR=/opt/x/etc"
	_unit_values "$T/src/systemd/echod@.service" ExecReload
	assert_eq "/opt/x/sbin/echod -t -c /opt/x/etc/echod/%i.conf|/bin/kill -HUP \$MAINPID" \
	    "${_vals[0]-}|${_vals[1]-}" "echod@.service ExecReload lines"
	_only_substituted "$T/src/systemd/echod@.service.in" \
	    "$T/src/systemd/echod@.service"

	# Other directories remake the unit (the values are tracked).
	_make regen units SBINDIR=/usr/sbin
	_unit_value "$svc" ExecStart
	assert_eq "/usr/sbin/echod -c /etc/echod/echod.conf" "$_val" \
	    "ExecStart after remaking with SBINDIR=/usr/sbin"
	_make again units SBINDIR=/usr/sbin
	grep -qF echod.service.in "$T/again.make" &&
	    fail "make units with unchanged directories remade the unit: $(head -n 2 "$T/again.make")"
	return 0
}

t_units_verify() {
	_units "$T/src"
	# verify runs man(1) for each Documentation= page: serve the
	# repository's pages, so that a missing or misnamed page shows.
	mkdir -p "$T/man/man8" "$T/man/man5" &&
	    ln -s "$SRC/man/echod.8" "$T/man/man8/echod.8" &&
	    ln -s "$SRC/man/echod.conf.5" "$T/man/man5/echod.conf.5" ||
	    fail "cannot set up $T/man"
	MANPATH=$T/man timeout -k 2 30 systemd-analyze verify "$_svc" "$_tmpl" "$_sock" \
	    < /dev/null > "$T/verify.out" 2>&1
	local rc=$?
	(( rc == 0 )) && [[ ! -s $T/verify.out ]] ||
	    fail "systemd-analyze verify (status $rc): $(head -c 400 "$T/verify.out")"
}

# The drop-ins echod(8) gives for a Unix socket under the service:
# RuntimeDirectory=echod for /run/echod (ProtectSystem=strict leaves the
# rest of /run read-only), and for unix_group a group the service is in
# and chown(2), which the unit's SystemCallFilter= denies otherwise.
_unix_dropins() {
	printf '[Service]\nRuntimeDirectory=echod\n' > "$1/unix.conf" &&
	    printf '[Service]\nSupplementaryGroups=%s\nSystemCallFilter=@chown\n' \
		"$2" > "$1/unix-group.conf" || fail "cannot write the drop-ins in $1"
}

# systemd-analyze verify takes the unit with them, it keeps AF_UNIX, and
# its exposure stays within bounds.
t_units_unix_dropin() {
	local d rc
	_units "$T/src"
	mkdir -p "$T/units/echod.service.d" "$T/man/man8" "$T/man/man5" &&
	    cp "$_svc" "$T/units/" &&
	    ln -s "$SRC/man/echod.8" "$T/man/man8/echod.8" &&
	    ln -s "$SRC/man/echod.conf.5" "$T/man/man5/echod.conf.5" ||
	    fail "cannot set up $T/units"
	d=$T/units/echod.service.d
	# The drop-ins are read: a misspelt key in one is reported.
	printf '[Service]\nRuntimeDirectroy=echod\n' > "$d/unix.conf"
	MANPATH=$T/man timeout -k 2 30 systemd-analyze verify \
	    "$T/units/echod.service" < /dev/null > "$T/bad.out" 2>&1
	grep -qF "unix.conf:2: Unknown key 'RuntimeDirectroy'" "$T/bad.out" ||
	    fail "systemd-analyze verify did not read the drop-in: $(head -c 300 "$T/bad.out")"
	_unix_dropins "$d" daemon
	MANPATH=$T/man timeout -k 2 30 systemd-analyze verify \
	    "$T/units/echod.service" < /dev/null > "$T/verify.out" 2>&1
	rc=$?
	(( rc == 0 )) && [[ ! -s $T/verify.out ]] ||
	    fail "systemd-analyze verify with the drop-ins (status $rc): $(head -c 400 "$T/verify.out")"
	_unit_value "$_svc" RestrictAddressFamilies
	[[ " $_val " == *" AF_UNIX "* ]] ||
	    fail "RestrictAddressFamilies=$_val lacks AF_UNIX (listen = unix:/PATH)"
	timeout -k 2 30 systemd-analyze security --offline=yes \
	    "$T/units/echod.service" < /dev/null > "$T/sec.out" 2> "$T/sec.err" ||
	    fail "systemd-analyze security --offline=yes failed: $(head -c 300 "$T/sec.err")"
	assert_exposure "$T/sec.out" " with the Unix socket drop-ins"
}

t_units_security() {
	local unit
	_units "$T/src"
	# An instance, as systemd would load it.
	cp "$_tmpl" "$T/src/systemd/echod@one.service" || fail "cp $_tmpl"
	for unit in "$_svc" "$T/src/systemd/echod@one.service"; do
		timeout -k 2 30 systemd-analyze security --offline=yes "$unit" \
		    < /dev/null > "$T/sec.out" 2> "$T/sec.err" ||
		    fail "systemd-analyze security --offline=yes ${unit##*/} failed: $(head -c 300 "$T/sec.err")"
		assert_exposure "$T/sec.out" " of ${unit##*/}"
	done
}

# An instance of echod@.service is echod.service but for the file it
# reads: every other line the same, so every check of echod.service here
# (capabilities, limits, the system call filter) holds for it too.
t_units_template() {
	_units "$T/src"
	grep -vE '^(#|$)' "$_svc" > "$T/svc.lines"
	grep -vE '^(#|$)' "$_tmpl" > "$T/tmpl.lines"
	diff "$T/svc.lines" "$T/tmpl.lines" | grep -E '^[<>]' |
	    grep -vE '^[<>] (Description|ExecStart|ExecReload)=' |
	    grep -vxF '< Also=echod.socket' > "$T/diff"
	[[ -s $T/diff ]] &&
	    fail "echod@.service differs from echod.service beyond Description, ExecStart, ExecReload and Also: $(head -n 3 "$T/diff" | tr '\n' ' ')"
	_unit_value "$_tmpl" Description
	[[ $_val == *%i* ]] || fail "echod@.service Description= does not name the instance: $_val"
	grep -qE '^Also=' "$_tmpl" && fail "echod@.service has an Also= line"
	return 0
}

# What echod needs must survive the hardening.
t_units_capabilities() {
	_units "$T/src"
	local key
	for key in AmbientCapabilities CapabilityBoundingSet; do
		_unit_value "$_svc" "$key"
		[[ " $_val " == *" CAP_NET_BIND_SERVICE "* ]] ||
		    fail "$key=$_val lacks CAP_NET_BIND_SERVICE (port 7)"
	done
	_unit_value "$_svc" Type
	assert_eq notify "$_val" "Type="
	_unit_value "$_svc" WatchdogSec
	[[ -n $_val ]] || fail "WatchdogSec= is empty"
	grep -qxF 'Also=echod.socket' "$_svc" || fail "no Also=echod.socket"
	_unit_value "$_sock" FileDescriptorName
	assert_eq echo "$_val" "echod.socket FileDescriptorName="
	_unit_values "$_sock" ListenStream
	assert_eq "0.0.0.0:7 [::]:7" "${_vals[*]}" "echod.socket ListenStream="
}

# TasksMax= and LimitNOFILE= leave room for the shipped max_connections
# (one thread and one descriptor each, two more for a pipe while one
# streams, plus what echod keeps for itself).
t_units_limits() {
	local max tasks nofile
	_units "$T/src"
	run_echod shipped -c "$SRC/etc/echod.conf" -T
	(( _rc == 0 )) ||
	    fail "echod -T -c etc/echod.conf: status $_rc: $(head -c 300 "$T/shipped.err")"
	max=$(sed -nE 's/^max_connections = ([0-9]+)$/\1/p' "$T/shipped.out")
	[[ -n $max ]] || fail "echod -T printed no max_connections"
	_unit_value "$_svc" TasksMax
	tasks=$_val
	_unit_value "$_svc" LimitNOFILE
	nofile=$_val
	[[ $tasks =~ ^[0-9]+$ && $nofile =~ ^[0-9]+$ ]] ||
	    fail "TasksMax=$tasks and LimitNOFILE=$nofile should be numbers"
	(( tasks >= max + 16 )) ||
	    fail "TasksMax=$tasks is too low for max_connections = $max (threads: $max + main)"
	(( nofile >= 3 * max + 64 )) ||
	    fail "LimitNOFILE=$nofile is too low for max_connections = $max (a socket each, and a pipe's two while streaming)"
	echo "max_connections = $max, TasksMax=$tasks, LimitNOFILE=$nofile"
}

# _expand NAME: sets _set[SYSCALL]=1 for every call in NAME (a call or an
# @group, expanded with systemd-analyze syscall-filter, recursively).
_expand() {
	local name=$1 line
	if [[ $name != @* ]]; then
		_set[$name]=1
		return
	fi
	[[ -n ${_seen[$name]-} ]] && return
	_seen[$name]=1
	systemd-analyze syscall-filter "$name" > "$T/group.$name" 2>&1 ||
	    fail "systemd-analyze syscall-filter $name: $(head -c 200 "$T/group.$name")"
	while read -r line; do
		[[ -z $line || $line == \#* || $line == "$name" ]] && continue
		_expand "$line"
	done < "$T/group.$name"
}

# _allowed FILE: sets _ok[SYSCALL]=1 for every call the SystemCallFilter=
# lines of FILE allow (an allow list first, then ~deny lines).
_allowed() {
	local v item
	declare -gA _ok=()
	_unit_values "$1" SystemCallFilter
	(( ${#_vals[@]} )) || fail "$1 has no SystemCallFilter="
	[[ ${_vals[0]} != "~"* ]] ||
	    fail "the first SystemCallFilter= should be an allow list: ${_vals[0]}"
	for v in "${_vals[@]}"; do
		declare -gA _set=() _seen=()
		for item in ${v#"~"}; do
			_expand "$item"
		done
		for item in "${!_set[@]}"; do
			if [[ $v == "~"* ]]; then
				unset "_ok[$item]"
			else
				_ok[$item]=1
			fi
		done
	done
}

# Every system call echod makes (traced through start-up with the sd_notify
# watchdog, an echo session, a UDP datagram, a reload, a stats dump and a
# stop) is allowed by SystemCallFilter=, and every socket family by
# RestrictAddressFamilies=.
t_units_syscalls() {
	local spid calls=() families=() c bad=() fam fd
	# The runtime makes calls of its own, and LeakSanitizer cannot run
	# under ptrace.
	skip_sanitized "the sanitizer runtime's system calls are not echod's, and it cannot be traced"
	need strace strace
	timeout 10 strace -f -qq -o /dev/null true > "$T/strace.err" 2>&1 ||
	    skip "strace cannot trace here: $(head -c 100 "$T/strace.err")"
	_units "$T/src"

	socat -u UNIX-RECV:"$T/notify" - > "$T/notify.out" 2>"$T/socat.err" &
	wait_for 5 '[[ -S $T/notify ]]' || fail "socat did not create $T/notify"
	echo_conf "$T/echod.conf" "listen = udp://127.0.0.1:0"
	printf 'listen = unix:%s\n' "$T/traced.sock" >> "$T/echod.conf"
	: > "$LOG"
	NOTIFY_SOCKET=$T/notify WATCHDOG_USEC=200000 \
	    strace -f -qq -o "$T/trace" "$ECHOD" -c "$T/echod.conf" \
	    < /dev/null > "$T/echod.stdout" 2> "$LOG" &
	spid=$!
	wait_for 5 'grep -qE "^<[0-7]>listening on " "$LOG" || ! alive "$spid"' &&
	    alive "$spid" ||
	    fail "traced echod did not log 'listening on': $(head -c 300 "$LOG")"
	parse_ports
	PORT=${PORTS[0]}
	_descendants "$spid"
	(( ${#_desc[@]} == 1 )) ||
	    fail "expected echod as the one child of strace $spid, found: ${_desc[*]}"
	PID=${_desc[0]}
	wait_for 5 'grep -q "^WATCHDOG=1" "$T/notify.out"' ||
	    fail "no WATCHDOG=1 from echod: $(head -c 200 "$T/notify.out")"
	roundtrip traced traced "echo under strace"
	# A client back for a second read: its worker moves behind the main
	# thread (priority.c, setpriority).
	conn_open fd
	conn_send "$fd" "first"
	conn_expect "$fd" "first" 5 "a first echo under strace"
	conn_send "$fd" "second"
	conn_expect "$fd" "second" 5 "a second echo under strace"
	conn_close "$fd"
	roundtrip unix unix "echo over Unix under strace" -U "$T/traced.sock"
	parse_udp_ports
	printf 'datagram' > "$T/dgram"
	udp_roundtrip "$T/dgram" "UDP echo under strace" 127.0.0.1 \
	    "${UDP_PORTS[0]}"
	kill -HUP "$PID"
	assert_reloaded 5 "$T/echod.conf"
	kill -USR1 "$PID"
	assert_log 5 "stats: "
	kill -TERM "$PID"
	wait_for 12 '! alive "$spid"' || fail "traced echod still running 12 s after SIGTERM"
	wait "$spid"
	c=$?
	(( c == 0 )) || fail "traced echod exited with status $c"

	mapfile -t calls < <(sed -nE 's/^[0-9]+ +([a-z0-9_]+)\(.*/\1/p' "$T/trace" | sort -u)
	(( ${#calls[@]} > 10 )) || fail "strace recorded too little: $(head -n 3 "$T/trace")"
	[[ " ${calls[*]} " == *" setpriority "* ]] ||
	    fail "no setpriority() in the trace: the busy worker's path was not taken"
	_allowed "$_svc"
	for c in "${calls[@]}"; do
		[[ -n ${_ok[$c]-} ]] || bad+=("$c")
	done
	(( ${#bad[@]} == 0 )) ||
	    fail "echod makes system calls SystemCallFilter= denies: ${bad[*]}"

	mapfile -t families < <(sed -nE 's/^[0-9]+ +socket\((AF_[A-Z0-9]+),.*/\1/p' "$T/trace" | sort -u)
	(( ${#families[@]} )) || fail "strace recorded no socket() call"
	_unit_value "$_svc" RestrictAddressFamilies
	for fam in "${families[@]}"; do
		[[ " $_val " == *" $fam "* ]] ||
		    fail "echod opens $fam sockets; RestrictAddressFamilies=$_val"
	done
	echo "${#calls[@]} system calls, families ${families[*]}: allowed"
}

# --- install -------------------------------------------------------------------

# The units directory make install uses by default.
_unitdir() {
	_udir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null)
	[[ -n $_udir ]] || _udir=$1/lib/systemd/system
}

# _files DIR: lists DIR's files and symbolic links as "MODE PATH", sorted.
_files() {
	(cd "$1" && find . \( -type f -o -type l \) -printf '%m /%P\n') | sort
}

t_install_tree() {
	local dest=$T/root
	install_tree "$T/src"
	_make install install DESTDIR="$dest" PREFIX=/usr
	_unitdir /usr
	printf '%s\n' "644 /etc/echod/echod.conf" \
	    "644 $_udir/echod.service" "644 $_udir/echod.socket" \
	    "644 $_udir/echod@.service" \
	    "755 /usr/sbin/echod" \
	    "644 /usr/share/man/man5/echod.conf.5" \
	    "644 /usr/share/man/man8/echod.8" | sort > "$T/want"
	_files "$dest" > "$T/got"
	cmp -s "$T/want" "$T/got" ||
	    fail "installed tree differs (- expected, + installed): $(diff -u "$T/want" "$T/got" | grep -E '^[-+][0-9]' | tr '\n' ' ')"

	_unit_value "$dest$_udir/echod.service" ExecStart
	assert_eq "/usr/sbin/echod -c /etc/echod/echod.conf" "$_val" \
	    "ExecStart of the installed unit"
	cmp -s "$ECHOD" "$dest/usr/sbin/echod" || fail "the installed binary is not ./echod"
	cmp -s "$SRC/etc/echod.conf" "$dest/etc/echod/echod.conf" ||
	    fail "the installed configuration is not etc/echod.conf"
	cmp -s "$SRC/man/echod.8" "$dest/usr/share/man/man8/echod.8" ||
	    fail "the installed echod.8 is not man/echod.8"
	cmp -s "$SRC/systemd/echod.socket" "$dest$_udir/echod.socket" ||
	    fail "the installed echod.socket is not systemd/echod.socket"

	# Every directory variable is honoured.
	_make custom install DESTDIR="$T/other" PREFIX=/opt/e SBINDIR=/opt/bin \
	    SYSCONFDIR=/opt/conf MANDIR=/opt/man UNITDIR=/opt/units
	printf '%s\n' "644 /opt/conf/echod/echod.conf" \
	    "644 /opt/units/echod.service" "644 /opt/units/echod.socket" \
	    "644 /opt/units/echod@.service" \
	    "755 /opt/bin/echod" "644 /opt/man/man5/echod.conf.5" \
	    "644 /opt/man/man8/echod.8" | sort > "$T/want2"
	_files "$T/other" > "$T/got2"
	cmp -s "$T/want2" "$T/got2" ||
	    fail "tree with every directory set differs (- expected, + installed): $(diff -u "$T/want2" "$T/got2" | grep -E '^[-+][0-9]' | tr '\n' ' ')"
	_unit_value "$T/other/opt/units/echod.service" ExecStart
	assert_eq "/opt/bin/echod -c /opt/conf/echod/echod.conf" "$_val" \
	    "ExecStart with SBINDIR=/opt/bin SYSCONFDIR=/opt/conf"
}

t_install_keeps_config() {
	local dest=$T/root conf=$T/root/etc/echod/echod.conf
	install_tree "$T/src"
	_make first install DESTDIR="$dest" PREFIX=/usr
	printf '# edited by the administrator\n[server]\nlisten = 127.0.0.1:7007\n' > "$conf"
	cp "$conf" "$T/edited"
	_make second install DESTDIR="$dest" PREFIX=/usr
	cmp -s "$T/edited" "$conf" ||
	    fail "make install overwrote the edited $conf: $(_show_file "$conf")"
	grep -qF "kept the existing $conf" "$T/second.make" ||
	    fail "make install did not say it kept $conf: $(tail -n 3 "$T/second.make")"
}

t_uninstall() {
	local dest=$T/root
	install_tree "$T/src"
	_make install install DESTDIR="$dest" PREFIX=/usr
	printf '; edited\n' >> "$dest/etc/echod/echod.conf"
	cp "$dest/etc/echod/echod.conf" "$T/edited"
	_make uninstall uninstall DESTDIR="$dest" PREFIX=/usr
	_files "$dest" > "$T/got"
	assert_eq "644 /etc/echod/echod.conf" "$(cat "$T/got")" \
	    "files left by make uninstall"
	cmp -s "$T/edited" "$dest/etc/echod/echod.conf" ||
	    fail "make uninstall changed the configuration file"
	# Uninstalling what is not there is not an error.
	_make again uninstall DESTDIR="$dest" PREFIX=/usr
}

# SYSCONFDIR is compiled in as the default configuration file.
t_config_path_flag() {
	timeout -k 2 30 make --no-print-directory -n -C "$SRC" -W src/main.c \
	    build/main.o SYSCONFDIR=/opt/x/etc < /dev/null > "$T/n.out" 2>&1 ||
	    fail "make -n build/main.o failed: $(tail -n 3 "$T/n.out")"
	grep -qF -- "-DDEFAULT_CONFIG_PATH='\"/opt/x/etc/echod/echod.conf\"'" "$T/n.out" ||
	    fail "main.o is not compiled with DEFAULT_CONFIG_PATH from SYSCONFDIR: $(grep -m1 main.c "$T/n.out")"
}
