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

/* The C1 block's edges: U+0080 and U+009F go, U+00A0 stays. */
static void
c1_block_edges(void **state)
{
	(void)state;
	assert_string_equal(ESC("\xc2\x80"), "\\xc2\\x80");
	assert_string_equal(ESC("\xc2\x9f"), "\\xc2\\x9f");
	assert_string_equal(ESC("a\xc2\x9f" "b"), "a\\xc2\\x9fb");
}

/* Fails unless each of the n UTF-8 characters in v comes out in "\xHH"s. */
static void
all_escaped(const char *const *v, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char want[64], *w;
	const unsigned char *c;
	size_t i;

	for (i = 0; i < n; i++) {
		w = want;
		for (c = (const unsigned char *)v[i]; *c != '\0'; c++) {
			*w++ = '\\';
			*w++ = 'x';
			*w++ = hex[*c >> 4];
			*w++ = hex[*c & 0xf];
		}
		*w = '\0';
		assert_string_equal(esc(v[i], strlen(v[i])), want);
	}
}

#define ALL_ESCAPED(v) all_escaped((v), sizeof(v) / sizeof((v)[0]))

/* "Trojan Source": text shown reversed or reordered. */
static void
bidi_controls_escaped(void **state)
{
	static const char *const v[] = {
		"\xe2\x80\xae",	/* U+202E RIGHT-TO-LEFT OVERRIDE */
		"\xe2\x80\xaa",	/* U+202A LEFT-TO-RIGHT EMBEDDING */
		"\xe2\x80\xad",	/* U+202D LEFT-TO-RIGHT OVERRIDE */
		"\xe2\x81\xa6",	/* U+2066 LEFT-TO-RIGHT ISOLATE */
		"\xe2\x81\xa9",	/* U+2069 POP DIRECTIONAL ISOLATE */
		"\xe2\x80\x8e",	/* U+200E LEFT-TO-RIGHT MARK */
		"\xe2\x80\x8f",	/* U+200F RIGHT-TO-LEFT MARK */
		"\xd8\x9c",		/* U+061C ARABIC LETTER MARK */
	};

	(void)state;
	ALL_ESCAPED(v);
	/* Around it, the text is kept. */
	assert_string_equal(ESC("ab\xe2\x80\xae" "cd"),
	    "ab\\xe2\\x80\\xaecd");
}

/* Characters that take no room: two different lines would look alike. */
static void
zero_width_escaped(void **state)
{
	static const char *const v[] = {
		"\xe2\x80\x8b",	/* U+200B ZERO WIDTH SPACE */
		"\xe2\x80\x8d",	/* U+200D ZERO WIDTH JOINER */
		"\xef\xbb\xbf",	/* U+FEFF ZERO WIDTH NO-BREAK SPACE, BOM */
		"\xe2\x81\xa0",	/* U+2060 WORD JOINER */
		"\xe2\x81\xa4",	/* U+2064 INVISIBLE PLUS */
	};

	(void)state;
	ALL_ESCAPED(v);
}

/* The rest of category Cf, at the edges of the table's ranges. */
static void
other_format_characters_escaped(void **state)
{
	static const char *const v[] = {
		"\xc2\xad",		/* U+00AD SOFT HYPHEN */
		"\xd8\x80",		/* U+0600 ARABIC NUMBER SIGN */
		"\xd8\x85",		/* U+0605 */
		"\xdb\x9d",		/* U+06DD */
		"\xdc\x8f",		/* U+070F SYRIAC ABBREVIATION MARK */
		"\xe0\xa2\x90",	/* U+0890 */
		"\xe0\xa3\xa2",	/* U+08E2 */
		"\xe1\xa0\x8e",	/* U+180E MONGOLIAN VOWEL SEPARATOR */
		"\xe2\x81\xaa",	/* U+206A INHIBIT SYMMETRIC SWAPPING */
		"\xe2\x81\xaf",	/* U+206F NOMINAL DIGIT SHAPES */
		"\xef\xbf\xb9",	/* U+FFF9 INTERLINEAR ANNOTATION ANCHOR */
		"\xef\xbf\xbb",	/* U+FFFB */
		"\xf0\x91\x82\xbd",	/* U+110BD KAITHI NUMBER SIGN */
		"\xf0\x93\x90\xb0",	/* U+13430 */
		"\xf0\x93\x90\xbf",	/* U+1343F (Unicode 15) */
		"\xf0\x9b\xb2\xa3",	/* U+1BCA3 */
		"\xf0\x9d\x85\xb3",	/* U+1D173 */
		"\xf0\x9d\x85\xba",	/* U+1D17A */
		"\xf3\xa0\x80\x81",	/* U+E0001 LANGUAGE TAG */
		"\xf3\xa0\x80\xa0",	/* U+E0020 TAG SPACE */
		"\xf3\xa0\x81\xbf",	/* U+E007F CANCEL TAG */
	};

	(void)state;
	ALL_ESCAPED(v);
}

/* U+2028 and U+2029 end a line for some viewers. */
static void
line_separators_escaped(void **state)
{
	static const char *const v[] = {
		"\xe2\x80\xa8",	/* U+2028 LINE SEPARATOR */
		"\xe2\x80\xa9",	/* U+2029 PARAGRAPH SEPARATOR */
	};

	(void)state;
	ALL_ESCAPED(v);
}

/* Just outside each range: visible characters are kept as they are. */
static void
neighbours_of_format_characters_kept(void **state)
{
	static const char *const kept[] = {
		"\xc2\xac",		/* U+00AC NOT SIGN */
		"\xc2\xae",		/* U+00AE REGISTERED SIGN */
		"\xd8\x86",		/* U+0606 */
		"\xd8\x9b",		/* U+061B ARABIC SEMICOLON */
		"\xe2\x80\x8a",	/* U+200A HAIR SPACE */
		"\xe2\x80\x90",	/* U+2010 HYPHEN */
		"\xe2\x80\xa7",	/* U+2027 HYPHENATION POINT */
		"\xe2\x80\xaf",	/* U+202F NARROW NO-BREAK SPACE */
		"\xe2\x81\x9f",	/* U+205F MEDIUM MATHEMATICAL SPACE */
		"\xe2\x81\xb0",	/* U+2070 SUPERSCRIPT ZERO */
		"\xef\xbb\xbe",	/* U+FEFE */
		"\xef\xbf\xbc",	/* U+FFFC OBJECT REPLACEMENT CHARACTER */
		"\xf0\x93\x90\xaf",	/* U+1342F */
		"\xf3\xa0\x82\x80",	/* U+E0080 */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		assert_string_equal(esc(kept[i], strlen(kept[i])), kept[i]);
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
		cmocka_unit_test(c1_block_edges),
		cmocka_unit_test(bidi_controls_escaped),
		cmocka_unit_test(zero_width_escaped),
		cmocka_unit_test(other_format_characters_escaped),
		cmocka_unit_test(line_separators_escaped),
		cmocka_unit_test(neighbours_of_format_characters_kept),
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
