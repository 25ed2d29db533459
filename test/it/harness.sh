# The test library itself: need (test/lib.sh) fails a case whose command
# comes from a package make test installs, and skips, naming the package,
# only for any other; and every need in the tests names the package its
# command really comes from, since a wrong name would turn a failure into
# a skip.

SRC=$(cd "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
NO_SUCH=echod-test-no-such-command

# _need_outcome COMMAND PACKAGE: runs need in a subshell with reason and
# skip files of its own, which test/run would read as it reads a case's
# (fail there only leaves the subshell, as wanted); sets _out to fail,
# skip or returned, and _why to the reason need recorded.
_need_outcome() {
	local rc
	rm -f -- "$T/need.skip"
	: > "$T/need.reason"
	(
		CASE_REASON=$T/need.reason CASE_SKIP=$T/need.skip STEP=
		need "$1" "$2"
		exit 99
	) 2> "$T/need.err"
	rc=$?
	_why=$(cat -- "$T/need.reason" "$T/need.skip" 2>/dev/null)
	if (( rc == 99 )); then
		_out=returned
	elif (( rc == 0 )) && [[ -e $T/need.skip ]]; then
		_out=skip
	elif (( rc != 0 )) && [[ -s $T/need.reason ]]; then
		_out=fail
	else
		_out="exit status $rc and no reason"
	fi
}

# From the first line of TEST_DEPS, its continuation line and BUILD_DEPS.
t_need_fails_for_make_test_packages() {
	local pkg
	for pkg in socat systemd-container pkg-config; do
		_need_outcome "$NO_SUCH" "$pkg"
		[[ $_out == fail ]] ||
		    fail "need $NO_SUCH $pkg: want a failure, got $_out: $_why"
		[[ $_why == *"package $pkg, which make test installs"* ]] ||
		    fail "need $NO_SUCH $pkg: the reason does not name $pkg: $_why"
	done
}

t_need_skips_for_other_packages() {
	local pkg
	# The second starts like one make test installs.
	for pkg in echod-test-no-such-package systemd-timesyncd; do
		_need_outcome "$NO_SUCH" "$pkg"
		[[ $_out == skip ]] ||
		    fail "need $NO_SUCH $pkg: want a skip, got $_out: $_why"
		[[ $_why == "$NO_SUCH is not installed (Debian package $pkg)" ]] ||
		    fail "need $NO_SUCH $pkg: the reason does not name $pkg: $_why"
	done
	_need_outcome bash bash
	assert_eq returned "$_out" "need for a command that is there"
	_need_outcome /bin/sh dash
	assert_eq returned "$_out" "need for a path that is there"
}

# _owners PATH: sets _pkgs to the packages that ship PATH or the file it
# links to, as dpkg knows them (with or without the /usr of a merged /usr).
_owners() {
	local p paths=("$1") real
	real=$(readlink -f -- "$1")
	[[ -n $real && $real != "$1" ]] && paths+=("$real")
	_pkgs=
	for p in "${paths[@]}"; do
		_pkgs+=" $(dpkg-query -S "*${p#/usr}" 2>/dev/null |
		    sed -n 's/^\([^:]*\): .*/\1/p' | tr ',' ' ')"
	done
}

t_need_names_packages() {
	local cmd pkg path n=0
	need dpkg-query dpkg
	while read -r cmd pkg; do
		n=$(( n + 1 ))
		# A missing command fails or skips its own case.
		path=$(command -v -- "$cmd") || continue
		_owners "$path"
		[[ " $_pkgs " == *" $pkg "* ]] ||
		    fail "need $cmd $pkg: $path is in package(s)${_pkgs:- none}, not $pkg"
	done < <(sed -nE 's/^[[:space:]]*need ([^$[:space:]]+) ([^$[:space:]]+)$/\1 \2/p' \
	    "$SRC"/test/*.sh "$SRC"/test/it/*.sh)
	(( n >= 10 )) || fail "only $n need lines found in test/"
}
