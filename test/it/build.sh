# The Makefile as a packager meets it: make -n, flags, warnings, no inih.
# Each case builds a copy of the sources (at -O0, to keep it short).

TOP=$PWD	# test/run runs cases from the top of the tree

# copy_tree DIR: the files a build reads, without the build itself.
copy_tree() {
	mkdir -p "$1/test" || fail "cannot make $1"
	cp -R "$TOP/Makefile" "$TOP/src" "$TOP/include" "$TOP/systemd" \
	    "$TOP/etc" "$TOP/man" "$1/" || fail "cannot copy the sources"
	cp -R "$TOP/test/fuzz" "$TOP/test/bench" "$TOP/test/soak" \
	    "$1/test/" || fail "cannot copy the test makefiles"
	rm -f "$1/systemd/echod.service"
}

# in_tree DIR MAKE-ARGS...: make in DIR, output in $T/make.out, as a
# packager would run it (nothing from the make that runs the tests).
in_tree() {
	local dir=$1
	shift
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS -u CFLAGS -u CPPFLAGS \
	    -u LDFLAGS -u CC -u SANITIZE -u WERROR \
	    make -C "$dir" --no-print-directory "$@" > "$T/make.out" 2>&1
}

t_flags() {
	skip_sanitized "a plain build's checks run in the plain stage"
	copy_tree "$T/src"
	in_tree "$T/src" CFLAGS=-O0 ||
	    fail "make CFLAGS=-O0 failed: $(tail -5 "$T/make.out")"
	[[ -x $T/src/echod ]] || fail "make built no echod"

	in_tree "$T/src" -n CFLAGS=-O0 || fail "make -n failed"
	grep -q "Nothing to be done" "$T/make.out" ||
	    fail "make -n on a built tree would do: $(head -3 "$T/make.out")"

	cp "$T/src/build/flags" "$T/flags.before"
	in_tree "$T/src" -n CFLAGS=-O1 || fail "make -n CFLAGS=-O1 failed"
	grep -q -- '-O1 -c -o build/echo.o src/echo.c' "$T/make.out" ||
	    fail "make -n with other CFLAGS would not rebuild echo.o"
	cmp -s "$T/flags.before" "$T/src/build/flags" ||
	    fail "make -n changed build/flags"

	# A warning the code has (-Wpadded: struct padding, never in our
	# set) stays a warning in a packager's build, an error with WERROR.
	in_tree "$T/src" CFLAGS='-O0 -Wpadded' echod ||
	    fail "a new warning failed a plain build: $(tail -3 "$T/make.out")"
	grep -q 'warning:.*-Wpadded' "$T/make.out" ||
	    fail "the -Wpadded build showed no warning (is the test stale?)"
	in_tree "$T/src" CFLAGS='-O0 -Wpadded' WERROR=-Werror echod &&
	    fail "WERROR=-Werror did not make the warning an error"
	grep -q 'error:.*-Werror=padded' "$T/make.out" ||
	    fail "the WERROR build failed for another reason: $(tail -3 "$T/make.out")"
	return 0
}

t_no_inih() {
	skip_sanitized "a plain build's checks run in the plain stage"
	copy_tree "$T/src"
	in_tree "$T/src" PKG_CONFIG=false &&
	    fail "make without inih succeeded"
	grep -q 'run: sudo apt-get install -y pkg-config libinih-dev' \
	    "$T/make.out" || fail "make without inih did not say what to run: $(cat "$T/make.out")"
	grep -q 'installing' "$T/make.out" &&
	    fail "plain make tried to install packages"
	[[ -e $T/src/build ]] && fail "make without inih started building"
	return 0
}
