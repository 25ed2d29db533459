# The documentation: the man pages are clean mdoc, and the configuration
# keys the parser accepts are exactly those that man/echod.conf.5 and
# etc/echod.conf document, section by section; the README maps src/.
#
# The files checked can be replaced (to try the checks on modified copies):
#   DOCS_MAN_PAGES  the pages linted (default: man/echod.8 man/echod.conf.5)
#   DOCS_CONF_MAN   the page that lists the keys (default: man/echod.conf.5)
#   DOCS_CONF_FILE  the annotated file (default: etc/echod.conf)

SRC=$(cd "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)

t_mandoc_lint() {
	local pages rc
	read -r -a pages <<< "${DOCS_MAN_PAGES:-$SRC/man/echod.8 $SRC/man/echod.conf.5}"
	need mandoc mandoc
	timeout -k 2 20 mandoc -Tlint -Wwarning "${pages[@]}" \
	    < /dev/null > "$T/lint" 2>&1
	rc=$?
	[[ -s $T/lint ]] && fail "mandoc -Tlint -Wwarning: $(head -n 3 "$T/lint" | tr '\n' ' ')"
	(( rc == 0 )) || fail "mandoc -Tlint -Wwarning exited with status $rc"
	return 0
}

# The key lists, one "section key" per line, sorted and unique.

# _parser_keys OUT: what echod -T prints, every key under its section (a
# key without a value, such as an empty list, is printed as "; key =").
_parser_keys() {
	run_echod keys -T -c /dev/null
	if (( _rc != 0 )); then
		echo_conf "$T/min.conf"
		run_echod keys -T -c "$T/min.conf"
	fi
	(( _rc == 0 )) ||
	    fail "echod -T exited with status $_rc: $(head -c 300 "$T/keys.err")"
	_file_keys "$T/keys.out" "$1"
}

# _man_keys PAGE OUT: the ".It Ic KEY" entries of the key list under each
# ".Ss The [SECTION] section" heading (not those of lists nested in it).
_man_keys() {
	awk '
	/^\.S[hs] / { sec = ""; depth = 0 }
	/^\.Ss The \[[a-z_]+\] section$/ {
		sec = $3; gsub(/[][]/, "", sec); next
	}
	sec == "" { next }
	/^\.Bl / { depth++; next }
	/^\.El/ { depth--; next }
	depth == 1 && /^\.It Ic [a-z_]/ { print sec, $3 }
	' "$1" | sort -u > "$2"
}

# _file_keys FILE OUT: the "key =" lines under each [section] header,
# including commented ones ("; key = value", "#key ="), but a commented
# one only when it ends its comment: "; write user = root to run as root"
# in the middle of a paragraph is prose, not a key.
_file_keys() {
	awk '
	{ line[NR] = $0 }
	END {
		end_ok = 1	# the line after this one ends a comment
		for (i = NR; i >= 1; i--) {
			l = line[i]
			if (l ~ /^[ \t]*[;#]/) {
				iskey[i] = end_ok && l ~ /^[ \t]*[;#]+[ \t]*[a-z_][a-z0-9_]*[ \t]*=/
				end_ok = iskey[i]
			} else {
				iskey[i] = l ~ /^[ \t]*[a-z_][a-z0-9_]*[ \t]*=/
				end_ok = 1
			}
		}
		for (i = 1; i <= NR; i++) {
			l = line[i]
			if (l ~ /^[ \t]*\[[a-z_]+\][ \t]*$/) {
				sec = l; gsub(/[][ \t]/, "", sec); continue
			}
			if (sec == "" || !iskey[i]) continue
			sub(/^[ \t]*[;#]*[ \t]*/, "", l)
			sub(/[ \t]*=.*/, "", l)
			print sec, l
		}
	}' "$1" | sort -u > "$2"
}

# _key_drift MAN CONF: compares the three lists; prints each difference
# and returns 1 if there is any.
_key_drift() {
	local man=$1 conf=$2 rc=0 what
	_parser_keys "$T/k.parser"
	_man_keys "$man" "$T/k.man"
	_file_keys "$conf" "$T/k.conf"
	for what in parser man conf; do
		[[ -s $T/k.$what ]] || { echo "no keys found in the $what list"; rc=1; }
	done
	comm -23 "$T/k.parser" "$T/k.man" |
	    sed "s|^\\([^ ]*\\) \\(.*\\)|${man##*/} does not document [\\1] \\2|"
	comm -13 "$T/k.parser" "$T/k.man" |
	    sed "s|^\\([^ ]*\\) \\(.*\\)|${man##*/} documents [\\1] \\2, which echod -T does not print|"
	comm -23 "$T/k.parser" "$T/k.conf" |
	    sed "s|^\\([^ ]*\\) \\(.*\\)|${conf##*/} has no '\\2 =' line in [\\1]|"
	comm -13 "$T/k.parser" "$T/k.conf" |
	    sed "s|^\\([^ ]*\\) \\(.*\\)|${conf##*/} has '\\2 =' in [\\1], which echod -T does not print|"
	cmp -s "$T/k.parser" "$T/k.man" && cmp -s "$T/k.parser" "$T/k.conf" ||
	    rc=1
	return "$rc"
}

t_config_keys() {
	local man=${DOCS_CONF_MAN:-$SRC/man/echod.conf.5}
	local conf=${DOCS_CONF_FILE:-$SRC/etc/echod.conf}
	_key_drift "$man" "$conf" > "$T/drift" ||
	    fail "configuration keys disagree: $(tr '\n' ';' < "$T/drift")"
	echo "$(wc -l < "$T/k.parser") keys agree"
}

# _synthetic_docs: writes $T/good.5 and $T/good.conf, a man page and a
# file in the real ones' forms that document exactly what echod -T prints.
# The page also has a nested list and a list outside the key sections,
# whose entries are not keys.
_synthetic_docs() {
	_parser_keys "$T/p"
	awk '
	BEGIN { print ".Dd January 1, 2026"; print ".Dt ECHOD.CONF 5"; print ".Sh DESCRIPTION" }
	$1 != sec {
		if (sec != "") print ".El"
		sec = $1
		printf ".Ss The [%s] section\n.Bl -tag -width Ds\n", sec
	}
	{ printf ".It Ic %s No = Ar value\nText.\n", $2 }
	!nested {
		print ".Bl -tag -width Ds -compact"
		print ".It Ic not_a_key"; print "nested"; print ".El"; nested = 1
	}
	END {
		print ".El"; print ".Sh FILES"; print ".Bl -tag -width Ds"
		print ".It Ic not_a_key_either"; print ".El"
	}' "$T/p" > "$T/good.5"
	# -T output is itself a file of that form; comment one key out.
	run_echod good -T -c /dev/null
	(( _rc == 0 )) || cp "$T/keys.out" "$T/good.out"
	awk '/^\[/ { print; first = 1; next }
	    first && / = / { print "; " $0; first = 0; next } { print }' \
	    "$T/good.out" > "$T/good.conf"
}

# The check above does fail: on copies with one key missing or added.
t_config_keys_drift_detected() {
	local key man=$T/good.5 conf=$T/good.conf
	_synthetic_docs
	key=$(awk '$1 == "server" { k = $2 } END { print k }' "$T/p")
	[[ -n $key ]] || fail "echod -T printed no [server] key"

	_key_drift "$man" "$conf" > "$T/d0" ||
	    fail "drift found in documents made from echod -T: $(tr '\n' ';' < "$T/d0")"

	# A key missing from the man page.
	grep -vE "^\\.It Ic $key( |\$)" "$man" > "$T/no-key.5"
	_key_drift "$T/no-key.5" "$conf" > "$T/d1" &&
	    fail "no drift found with [server] $key removed from the man page"
	grep -qF "does not document [server] $key" "$T/d1" ||
	    fail "drift report does not name [server] $key: $(head -n 2 "$T/d1")"

	# A key missing from the file.
	grep -vE "^[[:space:]]*[;#]*[[:space:]]*$key[[:space:]]*=" "$conf" > "$T/no-key.conf"
	_key_drift "$man" "$T/no-key.conf" > "$T/d2" &&
	    fail "no drift found with [server] $key removed from the file"
	grep -qF "has no '$key =' line in [server]" "$T/d2" ||
	    fail "drift report does not name $key: $(head -n 2 "$T/d2")"

	# A key only the man page knows, in its [log] list.
	awk '{ print } /^\.Ss The \[log\] section$/ { s = 1 }
	    s && /^\.Bl / { print ".It Ic colour No = Ar name"; print "Made up."; s = 0 }' \
	    "$man" > "$T/extra.5"
	_key_drift "$T/extra.5" "$conf" > "$T/d3" &&
	    fail "no drift found with a made-up key in the man page"
	grep -qF "documents [log] colour" "$T/d3" ||
	    fail "drift report does not name [log] colour: $(head -n 2 "$T/d3")"

	# A commented key only the file knows; and a key in the wrong section.
	{ cat "$conf"; printf '\n[talk]\n;colour = blue\n'; } > "$T/extra.conf"
	_key_drift "$man" "$T/extra.conf" > "$T/d4" &&
	    fail "no drift found with a made-up key in the file"
	grep -qF "has 'colour =' in [talk]" "$T/d4" ||
	    fail "drift report does not name colour: $(head -n 2 "$T/d4")"
	{ cat "$conf"; printf '\n[log]\n%s = x\n' "$key"; } > "$T/moved.conf"
	_key_drift "$man" "$T/moved.conf" > "$T/d5" &&
	    fail "no drift found with $key also under [log] in the file"
	grep -qF "has '$key =' in [log]" "$T/d5" ||
	    fail "drift report does not name $key under [log]: $(head -n 2 "$T/d5")"
	return 0
}

# The README's source layout names every file in src/ (as `NAME.c`), and
# every `NAME.c` it names is in src/: the map matches the code.
t_readme_file_map() {
	local layout f named
	layout=$(sed -n '/^Source layout:/,/^$/p' "$SRC/README.md")
	[[ -n $layout ]] || fail "README.md has no 'Source layout:' paragraph"
	for f in "$SRC"/src/*.c; do
		f=${f##*/}
		[[ $layout == *"\`$f\`"* || $layout == *"\`src/$f\`"* ]] ||
		    fail "README.md's source layout does not name src/$f"
	done
	named=$(grep -o '`[a-z_]*\.c`' <<< "$layout" | tr -d '`')
	for f in $named; do
		[[ -f $SRC/src/$f ]] ||
		    fail "README.md's source layout names $f, which src/ lacks"
	done
	return 0
}
