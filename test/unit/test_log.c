/* Tests for log.h: log_escape, levels and the line format. */
#include <stdio.h>

#include "unit.h"
#include "log.h"

/* Escapes n bytes into a big buffer and checks the return value. */
static const char *
esc(const void *src, size_t n)
{
	static char dst[4096];
	size_t r;

	assert_true(LOG_ESCAPED_MAX(n) <= sizeof(dst));
	memset(dst, 'Z', sizeof(dst));
	r = log_escape(dst, sizeof(dst), src, n);
	assert_int_equal(r, strlen(dst));
	return dst;
}

#define ESC(lit) esc((lit), sizeof(lit) - 1)

static void
plain_text_unchanged(void **state)
{
	(void)state;
	assert_string_equal(ESC("hello"), "hello");
	assert_string_equal(ESC("Hello, world! ~{}[]"), "Hello, world! ~{}[]");
	assert_string_equal(ESC(""), "");
}

static void
escape_sequence_escaped(void **state)
{
	(void)state;
	assert_string_equal(ESC("\x1b[31m"), "\\x1b[31m");
}

static void
newline_escaped(void **state)
{
	(void)state;
	assert_string_equal(ESC("a\nb"), "a\\x0ab");
	assert_string_equal(ESC("a\r\tb"), "a\\x0d\\x09b");
}

static void
backslash_doubled(void **state)
{
	(void)state;
	assert_string_equal(ESC("\\"), "\\\\");
	/* So an escape in the input cannot pass for one of ours. */
	assert_string_equal(ESC("\\x41"), "\\\\x41");
}

static void
nul_escaped(void **state)
{
	(void)state;
	assert_string_equal(ESC("a\0b"), "a\\x00b");
}

static void
del_escaped(void **state)
{
	(void)state;
	assert_string_equal(ESC("\x7f"), "\\x7f");
}

static void
valid_utf8_kept(void **state)
{
	(void)state;
	assert_string_equal(ESC("h\xc3\xa9llo"), "h\xc3\xa9llo");
	assert_string_equal(ESC("\xe6\x97\xa5\xe6\x9c\xac"),
	    "\xe6\x97\xa5\xe6\x9c\xac");
	/* U+1F600, four bytes. */
	assert_string_equal(ESC("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");
	/* U+00A0, the first code point after the C1 block. */
	assert_string_equal(ESC("\xc2\xa0"), "\xc2\xa0");
}

static void
invalid_byte_escaped(void **state)
{
	(void)state;
	assert_string_equal(ESC("\xff"), "\\xff");
	assert_string_equal(ESC("a\xfe" "b"), "a\\xfeb");
}

static void
lone_lead_byte_escaped(void **state)
{
	(void)state;
	assert_string_equal(ESC("\xc3"), "\\xc3");
	assert_string_equal(ESC("\xc3" "a"), "\\xc3a");
	/* A three-byte sequence cut short. */
	assert_string_equal(ESC("\xe6\x97"), "\\xe6\\x97");
}

static void
lone_continuation_escaped(void **state)
{
	(void)state;
	assert_string_equal(ESC("\x80" "a"), "\\x80a");
}

static void
overlong_escaped(void **state)
{
	(void)state;
	assert_string_equal(ESC("\xc0\xaf"), "\\xc0\\xaf");
	assert_string_equal(ESC("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");
}

static void
surrogate_escaped(void **state)
{
	(void)state;
	assert_string_equal(ESC("\xed\xa0\x80"), "\\xed\\xa0\\x80");
}

static void
beyond_unicode_escaped(void **state)
{
	(void)state;
	/* U+110000 */
	assert_string_equal(ESC("\xf4\x90\x80\x80"),
	    "\\xf4\\x90\\x80\\x80");
}

static void
c1_control_escaped(void **state)
{
	(void)state;
	assert_string_equal(ESC("\xc2\x85"), "\\xc2\\x85");
	assert_string_equal(ESC("\xc2\x9b"), "\\xc2\\x9b");
}

static void
fits_exactly_is_not_cut(void **state)
{
	(void)state;
	char dst[6];

	assert_int_equal(log_escape(dst, sizeof(dst), "hello", 5), 5);
	assert_string_equal(dst, "hello");
}

static void
escapes_fit_exactly(void **state)
{
	(void)state;
	char dst[9];

	assert_int_equal(log_escape(dst, sizeof(dst), "\x01\x02", 2), 8);
	assert_string_equal(dst, "\\x01\\x02");
}

/* Checks a cut result: bounded, ends in "...", keeps a prefix of full. */
static void
check_cut(const char *dst, size_t ret, size_t dstlen, const char *full)
{
	size_t len = strlen(dst);
	size_t keep;

	assert_int_equal(ret, len);
	assert_true(len <= dstlen - 1);
	assert_true(len >= 3);
	assert_string_equal(dst + len - 3, "...");
	keep = len - 3;
	if (strncmp(dst, full, keep) != 0)
		fail_msg("\"%s\" is not a prefix of \"%s\"", dst, full);
	/* It keeps as much as fits, give or take one escape. */
	assert_true(len + 4 >= dstlen);
}

static void
cut_plain_text(void **state)
{
	(void)state;
	static const char src[] = "abcdefghijklmnop";
	char dst[10];
	size_t r;

	memset(dst, 'Z', sizeof(dst));
	r = log_escape(dst, sizeof(dst), src, sizeof(src) - 1);
	check_cut(dst, r, sizeof(dst), src);
}

static void
cut_never_splits_escape(void **state)
{
	(void)state;
	char src[10], dst[15];
	size_t r;

	memset(src, 0x01, sizeof(src));
	memset(dst, 'Z', sizeof(dst));
	r = log_escape(dst, sizeof(dst), src, sizeof(src));
	check_cut(dst, r, sizeof(dst),
	    "\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01");
	/* Whole "\x01" escapes only. */
	assert_int_equal((r - 3) % 4, 0);
}

static void
cut_at_every_length(void **state)
{
	(void)state;
	/* Units: "a" "\\" "\x01" "日" "b" "\xff". */
	static const char src[] = "a\\\x01\xe6\x97\xa5" "b\xff";
	static const char full[] = "a\\\\\\x01\xe6\x97\xa5" "b\\xff";
	static const size_t cuts[] = { 0, 1, 3, 7, 10, 11 };
	char dst[32];

	for (size_t dstlen = 4; dstlen <= sizeof(full); dstlen++) {
		size_t r;
		int ok = 0;

		memset(dst, 'Z', sizeof(dst));
		r = log_escape(dst, dstlen, src, sizeof(src) - 1);
		if (dstlen == sizeof(full)) {
			assert_string_equal(dst, full);
			assert_int_equal(r, sizeof(full) - 1);
			continue;
		}
		assert_int_equal(r, strlen(dst));
		assert_true(r <= dstlen - 1);
		assert_true(r >= 3);
		assert_string_equal(dst + r - 3, "...");
		assert_int_equal(strncmp(dst, full, r - 3), 0);
		for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
			if (cuts[i] == r - 3)
				ok = 1;
		if (!ok)
			fail_msg("dstlen %zu: cut inside an escape: \"%s\"",
			    dstlen, dst);
	}
}

static void
escaped_max_holds_worst_case(void **state)
{
	(void)state;
	char src[255], dst[LOG_ESCAPED_MAX(255)];
	size_t r;

	memset(src, 0x01, sizeof(src));
	r = log_escape(dst, sizeof(dst), src, sizeof(src));
	assert_int_equal(r, 255 * 4);
	assert_int_equal(strlen(dst), 255 * 4);
	for (size_t i = 0; i < 255; i++)
		assert_memory_equal(dst + i * 4, "\\x01", 4);
}

static void
level_set_and_get(void **state)
{
	(void)state;
	enum log_level old = log_get_level();

	log_set_level(LEVEL_DEBUG);
	assert_int_equal(log_get_level(), LEVEL_DEBUG);
	log_set_level(LEVEL_ERROR);
	assert_int_equal(log_get_level(), LEVEL_ERROR);
	log_set_level(old);
}

/* out is one line: prefix, then something ending in msg, then LF. */
static void
assert_one_line(const char *out, const char *prefix, const char *msg)
{
	size_t len = strlen(out), mlen = strlen(msg);

	if (strncmp(out, prefix, strlen(prefix)) != 0)
		fail_msg("\"%s\" does not start with \"%s\"", out, prefix);
	assert_true(len > mlen);
	assert_int_equal(out[len - 1], '\n');
	assert_ptr_equal(strchr(out, '\n'), out + len - 1);
	assert_memory_equal(out + len - 1 - mlen, msg, mlen);
}

static void
log_info_line(void)
{
	log_init();
	log_set_level(LEVEL_INFO);
	log_info("hi %d", 5);
}

static void
log_debug_at_info(void)
{
	log_init();
	log_set_level(LEVEL_INFO);
	log_debug("hidden %d", 6);
}

static void
log_error_at_error(void)
{
	log_init();
	log_set_level(LEVEL_ERROR);
	log_warning("hidden");
	log_error("shown");
}

static void
msg_has_sd_prefix_off_terminal(void **state)
{
	(void)state;
	enum log_level old = log_get_level();
	const char *out = capture_stderr(log_info_line);

	log_set_level(old);
	assert_one_line(out, "<6>", "hi 5");
}

static void
msg_above_level_dropped(void **state)
{
	(void)state;
	enum log_level old = log_get_level();
	const char *out = capture_stderr(log_debug_at_info);

	log_set_level(old);
	assert_string_equal(out, "");
}

static void
msg_at_level_kept(void **state)
{
	(void)state;
	enum log_level old = log_get_level();
	const char *out = capture_stderr(log_error_at_error);

	log_set_level(old);
	assert_one_line(out, "<3>", "shown");
	assert_not_contains(out, "hidden");
}

int
run_log_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_text_unchanged),
		cmocka_unit_test(escape_sequence_escaped),
		cmocka_unit_test(newline_escaped),
		cmocka_unit_test(backslash_doubled),
		cmocka_unit_test(nul_escaped),
		cmocka_unit_test(del_escaped),
		cmocka_unit_test(valid_utf8_kept),
		cmocka_unit_test(invalid_byte_escaped),
		cmocka_unit_test(lone_lead_byte_escaped),
		cmocka_unit_test(lone_continuation_escaped),
		cmocka_unit_test(overlong_escaped),
		cmocka_unit_test(surrogate_escaped),
		cmocka_unit_test(beyond_unicode_escaped),
		cmocka_unit_test(c1_control_escaped),
		cmocka_unit_test(fits_exactly_is_not_cut),
		cmocka_unit_test(escapes_fit_exactly),
		cmocka_unit_test(cut_plain_text),
		cmocka_unit_test(cut_never_splits_escape),
		cmocka_unit_test(cut_at_every_length),
		cmocka_unit_test(escaped_max_holds_worst_case),
		cmocka_unit_test(level_set_and_get),
		cmocka_unit_test(msg_has_sd_prefix_off_terminal),
		cmocka_unit_test(msg_above_level_dropped),
		cmocka_unit_test(msg_at_level_kept),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
