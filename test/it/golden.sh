# Golden configuration files: each test/golden/NAME.conf is checked by the
# real binary, run from that folder, against the output beside it:
#   NAME.err  what "echod -t -c NAME.conf" writes on stderr, then a last
#             line "exit N" with its exit status;
#   NAME.out  what "echod -T -c NAME.conf" prints (it must exit 0 and say
#             nothing on stderr); echod -T of NAME.out itself must print
#             NAME.out again, so every printed configuration reads back.
# Each file is a case of its own, golden/NAME, from its line below (test/run
# finds cases by their "t_NAME()" lines).  test/golden/README.md says how
# to add one and how to regenerate the expected output (GOLDEN_UPDATE=1).

GOLDEN=$(cd "$(dirname -- "${BASH_SOURCE[0]}")/../golden" && pwd)

# _golden_run NAME OPTION FILE: runs echod OPTION -c FILE in $GOLDEN with
# no journal stream, stdout in $T/NAME.out, stderr in $T/NAME.err; sets _rc.
_golden_run() {
	(
		cd "$GOLDEN" || exit 125
		exec env -u JOURNAL_STREAM "$ECHOD" "$2" -c "$3"
	) < /dev/null > "$T/$1.out" 2> "$T/$1.err"
	_rc=$?
}

# _golden_compare EXPECTED GOT WHAT: fails with a diff unless the files
# are the same bytes.
_golden_compare() {
	cmp -s -- "$1" "$2" && return 0
	diff -u --label "expected ${1#"$GOLDEN"/}" --label "got: $3" -- \
	    "$1" "$2" | head -n 60 | cat -v
	fail "${1#"$GOLDEN"/}: $3 differs (diff above)"
}

# _golden_update FILE GOT: GOLDEN_UPDATE=1 only: FILE becomes GOT.
_golden_update() {
	cp -- "$2" "$1" || fail "cannot write $1"
	_golden_wrote+=("test/golden/${1##*/}")
}

# _golden: the case golden/NAME, named by the function calling it.
_golden() {
	local name=${FUNCNAME[1]#t_} update= conf out err
	[[ ${GOLDEN_UPDATE-} == 1 ]] && update=1
	_golden_wrote=()
	[[ $ECHOD == /* ]] || ECHOD=$PWD/$ECHOD
	conf=$GOLDEN/$name.conf out=$GOLDEN/$name.out err=$GOLDEN/$name.err
	[[ -f $conf ]] || fail "no test/golden/$name.conf"
	[[ -f $out && -f $err ]] &&
	    fail "test/golden/$name has both a .out and a .err file"
	if [[ ! -f $out && ! -f $err ]]; then
		[[ -n $update ]] || fail "no test/golden/$name.out or .err"
		# A new case: the printed configuration if it loads.
		_golden_run probe -t "$name.conf"
		(( _rc == 0 )) && : > "$out" || : > "$err"
	fi
	if [[ -f $err ]]; then
		_golden_run check -t "$name.conf"
		[[ ! -s $T/check.out ]] ||
		    fail "echod -t -c $name.conf wrote on stdout: $(head -c 300 "$T/check.out" | cat -v)"
		printf 'exit %d\n' "$_rc" >> "$T/check.err"
		if [[ -n $update ]]; then
			_golden_update "$err" "$T/check.err"
		else
			_golden_compare "$err" "$T/check.err" \
			    "echod -t -c $name.conf"
		fi
	else
		_golden_run print -T "$name.conf"
		(( _rc == 0 )) && [[ ! -s $T/print.err ]] ||
		    fail "echod -T -c $name.conf: exit status $_rc, stderr: $(head -c 300 "$T/print.err" | cat -v)"
		if [[ -n $update ]]; then
			_golden_update "$out" "$T/print.out"
		else
			_golden_compare "$out" "$T/print.out" \
			    "echod -T -c $name.conf"
		fi
		_golden_run again -T "$name.out"
		(( _rc == 0 )) && [[ ! -s $T/again.err ]] ||
		    fail "echod -T -c $name.out: exit status $_rc, stderr: $(head -c 300 "$T/again.err" | cat -v)"
		_golden_compare "$out" "$T/again.out" "echod -T -c $name.out"
	fi
	(( ${#_golden_wrote[@]} == 0 )) ||
	    skip "GOLDEN_UPDATE=1: wrote ${_golden_wrote[*]} (review it with git diff)"
	return 0
}

# Every file in the folder belongs to a case, and every case has its files.
t_every_file_is_a_case() {
	local f name base fn
	for f in "$GOLDEN"/* "$GOLDEN"/.[!.]*; do
		[[ -e $f ]] || continue
		base=${f##*/}
		name=${base%.*}
		case $base in
		README.md|.gitattributes) continue ;;
		*.conf|*.err|*.out) ;;
		*) fail "test/golden/$base: not a .conf, .err or .out file" ;;
		esac
		[[ $name =~ ^[A-Za-z0-9_]+$ ]] ||
		    fail "test/golden/$base: a case name is letters, digits and _"
		[[ -f $GOLDEN/$name.conf ]] ||
		    fail "test/golden/$base has no $name.conf"
		[[ -f $GOLDEN/$name.out || -f $GOLDEN/$name.err ]] ||
		    fail "test/golden/$name.conf has no $name.out or $name.err"
		declare -F "t_$name" > /dev/null ||
		    fail "test/golden/$base: no line 't_$name() { _golden; }' in test/it/golden.sh"
	done
	while read -r _ _ fn; do
		[[ $fn == t_* && $fn != t_every_file_is_a_case ]] || continue
		[[ -f $GOLDEN/${fn#t_}.conf ]] ||
		    fail "test/it/golden.sh: $fn has no test/golden/${fn#t_}.conf"
	done < <(declare -F)
	return 0
}

# The cases, one line each, in the order of the files' names.
t_access_bits_past_prefix() { _golden; }
t_access_not_an_address() { _golden; }
t_access_prefix_too_long() { _golden; }
t_access_rules() { _golden; }
t_backlog_above_range() { _golden; }
t_backlog_below_range() { _golden; }
t_backlog_empty() { _golden; }
t_backlog_max() { _golden; }
t_backlog_min() { _golden; }
t_backlog_negative() { _golden; }
t_backlog_not_a_number() { _golden; }
t_backlog_too_large() { _golden; }
t_bom_after_line_1() { _golden; }
t_bom_cr_at_end() { _golden; }
t_bom_crlf() { _golden; }
t_bom_only() { _golden; }
t_buffer_size_above_range() { _golden; }
t_buffer_size_below_range() { _golden; }
t_buffer_size_g() { _golden; }
t_buffer_size_k() { _golden; }
t_buffer_size_kb() { _golden; }
t_buffer_size_max_upper_case() { _golden; }
t_buffer_size_min() { _golden; }
t_buffer_size_not_a_size() { _golden; }
t_colon_separator() { _golden; }
t_comments_and_blank_lines() { _golden; }
t_connection_rate_20() { _golden; }
t_connection_rate_negative() { _golden; }
t_connections_not_a_boolean() { _golden; }
t_connections_off() { _golden; }
t_connections_one() { _golden; }
t_cr_inside_line() { _golden; }
t_cr_inside_line_1() { _golden; }
t_cr_twice_before_lf() { _golden; }
t_defaults() { _golden; }
t_defaults_empty_sections() { _golden; }
t_errors_all_reported() { _golden; }
t_errors_one_per_line() { _golden; }
t_evict_idle_above_range() { _golden; }
t_evict_idle_milliseconds() { _golden; }
t_evict_idle_zero() { _golden; }
t_greeting() { _golden; }
t_greeting_empty() { _golden; }
t_greeting_semicolon() { _golden; }
t_group_root() { _golden; }
t_group_unknown() { _golden; }
t_idle_timeout_above_range() { _golden; }
t_idle_timeout_above_range_seconds() { _golden; }
t_idle_timeout_bare_seconds() { _golden; }
t_idle_timeout_days() { _golden; }
t_idle_timeout_hours() { _golden; }
t_idle_timeout_max() { _golden; }
t_idle_timeout_milliseconds() { _golden; }
t_idle_timeout_minutes() { _golden; }
t_idle_timeout_negative() { _golden; }
t_idle_timeout_not_a_duration() { _golden; }
t_idle_timeout_zero() { _golden; }
t_indented_keys() { _golden; }
t_inline_comments() { _golden; }
t_ipv6_prefix_48() { _golden; }
t_ipv6_prefix_above_range() { _golden; }
t_ipv6_prefix_below_range() { _golden; }
t_key_before_section() { _golden; }
t_key_in_wrong_section() { _golden; }
t_key_without_name() { _golden; }
t_last_line_without_newline() { _golden; }
t_level_debug() { _golden; }
t_level_empty() { _golden; }
t_level_error() { _golden; }
t_level_info() { _golden; }
t_level_number() { _golden; }
t_level_unknown() { _golden; }
t_level_warning() { _golden; }
t_line_198() { _golden; }
t_line_198_crlf() { _golden; }
t_line_199() { _golden; }
t_listen_64() { _golden; }
t_listen_65() { _golden; }
t_listen_bad_forms() { _golden; }
t_listen_bad_host_name() { _golden; }
t_listen_bad_port() { _golden; }
t_listen_distinct_sockets() { _golden; }
t_listen_kinds() { _golden; }
t_listen_kinds_clash() { _golden; }
t_listen_listed_twice() { _golden; }
t_listen_no_closing_bracket() { _golden; }
t_listen_no_port() { _golden; }
t_listen_one() { _golden; }
t_listen_port_too_big() { _golden; }
t_listen_repeated() { _golden; }
t_listen_same_socket_any() { _golden; }
t_listen_same_socket_v4() { _golden; }
t_listen_same_socket_v6() { _golden; }
t_listen_v6_without_brackets() { _golden; }
t_long_line_line_numbers() { _golden; }
t_max_connections_above_range() { _golden; }
t_max_connections_below_range() { _golden; }
t_max_connections_max() { _golden; }
t_max_connections_min() { _golden; }
t_max_connections_not_a_number() { _golden; }
t_max_connections_per_ip_zero() { _golden; }
t_max_line_above_range() { _golden; }
t_max_line_below_range() { _golden; }
t_max_line_g() { _golden; }
t_max_line_k() { _golden; }
t_max_line_max() { _golden; }
t_max_line_min() { _golden; }
t_max_line_not_a_size() { _golden; }
t_mode_echo() { _golden; }
t_mode_empty() { _golden; }
t_mode_escaped() { _golden; }
t_mode_talk() { _golden; }
t_mode_unknown() { _golden; }
t_no_spaces_around_equals() { _golden; }
t_nul_byte() { _golden; }
t_print_round_trip() { _golden; }
t_proxy_from_bad() { _golden; }
t_proxy_protocol_any() { _golden; }
t_proxy_protocol_off() { _golden; }
t_proxy_protocol_unknown() { _golden; }
t_proxy_protocol_v1() { _golden; }
t_proxy_protocol_v2() { _golden; }
t_proxy_protocol_without_from() { _golden; }
t_proxy_timeout_above_range() { _golden; }
t_proxy_timeout_zero() { _golden; }
t_repeated_key() { _golden; }
t_reply_no() { _golden; }
t_reply_not_a_boolean() { _golden; }
t_reply_true_upper_case() { _golden; }
t_reuse_port_false() { _golden; }
t_reuse_port_not_a_boolean() { _golden; }
t_reuse_port_on_mixed_case() { _golden; }
t_reuse_port_two() { _golden; }
t_reuse_port_yes() { _golden; }
t_section_text_after_bracket() { _golden; }
t_section_without_bracket() { _golden; }
t_send_timeout_minutes() { _golden; }
t_send_timeout_not_a_duration() { _golden; }
t_shutdown_timeout_above_range() { _golden; }
t_shutdown_timeout_above_range_seconds() { _golden; }
t_shutdown_timeout_bare_seconds() { _golden; }
t_shutdown_timeout_days() { _golden; }
t_shutdown_timeout_max() { _golden; }
t_shutdown_timeout_milliseconds() { _golden; }
t_shutdown_timeout_not_a_duration() { _golden; }
t_shutdown_timeout_seconds() { _golden; }
t_splice_yes() { _golden; }
t_stop_word() { _golden; }
t_stop_word_empty() { _golden; }
t_syntax_error() { _golden; }
t_talk_budget_no_limit() { _golden; }
t_talk_budget_small() { _golden; }
t_talk_bytes_above_range() { _golden; }
t_talk_bytes_g() { _golden; }
t_talk_bytes_total_above_range() { _golden; }
t_talk_bytes_total_not_a_size() { _golden; }
t_talk_lines_above_range() { _golden; }
t_talk_lines_empty() { _golden; }
t_talk_lines_in_talk_section() { _golden; }
t_talk_lines_k() { _golden; }
t_talk_lines_total_negative() { _golden; }
t_thread_stack_size_g() { _golden; }
t_thread_stack_size_k() { _golden; }
t_thread_stack_size_max() { _golden; }
t_thread_stack_size_not_a_size() { _golden; }
t_too_many_errors() { _golden; }
t_udp_rate_above_range() { _golden; }
t_udp_rate_max() { _golden; }
t_udp_rate_negative() { _golden; }
t_udp_rate_zero() { _golden; }
t_unix_group_empty() { _golden; }
t_unix_group_name() { _golden; }
t_unix_group_number() { _golden; }
t_unix_group_number_above_range() { _golden; }
t_unix_group_unknown() { _golden; }
t_unix_mode_0600() { _golden; }
t_unix_mode_above_range() { _golden; }
t_unix_mode_empty() { _golden; }
t_unix_mode_hex() { _golden; }
t_unix_mode_huge() { _golden; }
t_unix_mode_max() { _golden; }
t_unix_mode_negative() { _golden; }
t_unix_mode_not_octal() { _golden; }
t_unix_mode_symbolic() { _golden; }
t_unix_mode_too_long() { _golden; }
t_unix_mode_zero() { _golden; }
t_unknown_key() { _golden; }
t_unknown_section() { _golden; }
t_unknown_section_keys_not_reported() { _golden; }
t_user_root() { _golden; }
t_user_unknown() { _golden; }
