/* Tests for units.h: numbers, sizes, durations, booleans and formatting. */
#include <limits.h>
#include <stdbool.h>

#include "unit.h"
#include "units.h"

#define WHYLEN 256

/* Expects parse_uint(s) in [min, max] to fail; returns the reason. */
static const char *
uint_fails(const char *s, unsigned long long min, unsigned long long max)
{
	static char why[WHYLEN];
	unsigned long long v = 12345;

	why[0] = '\0';
	if (parse_uint(s, min, max, &v, why, sizeof(why)) != -1)
		fail_msg("parse_uint(\"%s\") accepted it as %llu", s, v);
	assert_true(why[0] != '\0');
	return why;
}

static unsigned long long
uint_ok(const char *s, unsigned long long min, unsigned long long max)
{
	char why[WHYLEN] = "";
	unsigned long long v = 12345;

	if (parse_uint(s, min, max, &v, why, sizeof(why)) != 0)
		fail_msg("parse_uint(\"%s\") failed: %s", s, why);
	return v;
}

static const char *
size_fails(const char *s, unsigned long long min, unsigned long long max)
{
	static char why[WHYLEN];
	unsigned long long v = 12345;

	why[0] = '\0';
	if (parse_size(s, min, max, &v, why, sizeof(why)) != -1)
		fail_msg("parse_size(\"%s\") accepted it as %llu", s, v);
	assert_true(why[0] != '\0');
	return why;
}

static unsigned long long
size_ok(const char *s, unsigned long long min, unsigned long long max)
{
	char why[WHYLEN] = "";
	unsigned long long v = 12345;

	if (parse_size(s, min, max, &v, why, sizeof(why)) != 0)
		fail_msg("parse_size(\"%s\") failed: %s", s, why);
	return v;
}

static const char *
duration_fails(const char *s, unsigned long long min, unsigned long long max)
{
	static char why[WHYLEN];
	unsigned long long v = 12345;

	why[0] = '\0';
	if (parse_duration(s, min, max, &v, why, sizeof(why)) != -1)
		fail_msg("parse_duration(\"%s\") accepted it as %llu ms", s, v);
	assert_true(why[0] != '\0');
	return why;
}

static unsigned long long
duration_ok(const char *s, unsigned long long min, unsigned long long max)
{
	char why[WHYLEN] = "";
	unsigned long long v = 12345;

	if (parse_duration(s, min, max, &v, why, sizeof(why)) != 0)
		fail_msg("parse_duration(\"%s\") failed: %s", s, why);
	return v;
}

static bool
bool_ok(const char *s)
{
	char why[WHYLEN] = "";
	bool b = false, c = true;

	/* Start from both values so a parser that never stores is caught. */
	if (parse_bool(s, &b, why, sizeof(why)) != 0)
		fail_msg("parse_bool(\"%s\") failed: %s", s, why);
	if (parse_bool(s, &c, why, sizeof(why)) != 0)
		fail_msg("parse_bool(\"%s\") failed: %s", s, why);
	assert_int_equal(b, c);
	return b;
}

static const char *
bool_fails(const char *s)
{
	static char why[WHYLEN];
	bool b = false;

	why[0] = '\0';
	if (parse_bool(s, &b, why, sizeof(why)) != -1)
		fail_msg("parse_bool(\"%s\") accepted it", s);
	assert_true(why[0] != '\0');
	return why;
}

/* parse_uint */

static void
uint_accepts_plain_decimal(void **state)
{
	(void)state;
	assert_int_equal(uint_ok("42", 0, 100), 42);
	assert_int_equal(uint_ok("0", 0, 100), 0);
	assert_int_equal(uint_ok("007", 0, 100), 7);
}

static void
uint_accepts_range_bounds(void **state)
{
	(void)state;
	assert_int_equal(uint_ok("1", 1, 64), 1);
	assert_int_equal(uint_ok("64", 1, 64), 64);
}

static void
uint_accepts_ullong_max(void **state)
{
	(void)state;
	assert_true(uint_ok("18446744073709551615", 0, ULLONG_MAX) ==
	    ULLONG_MAX);
}

static void
uint_rejects_trailing_junk_with_reason(void **state)
{
	(void)state;
	assert_contains(uint_fails("12x", 0, 100), "'12x' is not a number");
}

static void
uint_rejects_empty(void **state)
{
	(void)state;
	uint_fails("", 0, 100);
}

static void
uint_rejects_negative(void **state)
{
	(void)state;
	uint_fails("-1", 0, ULLONG_MAX);
	uint_fails("-0", 0, 100);
}

static void
uint_rejects_leading_junk(void **state)
{
	(void)state;
	uint_fails("x12", 0, 100);
	uint_fails(" 12", 0, 100);
	uint_fails("+12", 0, 100);
	uint_fails("0x10", 0, 100);
}

static void
uint_rejects_other_junk(void **state)
{
	(void)state;
	uint_fails("12 ", 0, 100);
	uint_fails("1.5", 0, 100);
	uint_fails("1 2", 0, 100);
	uint_fails("abc", 0, 100);
}

static void
uint_rejects_below_range(void **state)
{
	(void)state;
	const char *why = uint_fails("0", 1, 64);

	assert_contains(why, "'0'");
	assert_contains(why, "out of range");
}

static void
uint_rejects_above_range(void **state)
{
	(void)state;
	const char *why = uint_fails("65", 1, 64);

	assert_contains(why, "'65'");
	assert_contains(why, "out of range");
}

static void
uint_rejects_overflow(void **state)
{
	(void)state;
	uint_fails("18446744073709551616", 0, ULLONG_MAX);
	uint_fails("99999999999999999999999999", 0, ULLONG_MAX);
}

static void
uint_reason_escapes_value(void **state)
{
	(void)state;
	const char *why = uint_fails("\x1b[2J", 0, 100);

	assert_contains(why, "\\x1b[2J");
	assert_null(strchr(why, '\x1b'));
}

static void
uint_reason_fits_small_buffer(void **state)
{
	(void)state;
	char why[8];
	unsigned long long v;

	memset(why, 'Z', sizeof(why));
	assert_int_equal(parse_uint("12x", 0, 100, &v, why, sizeof(why)), -1);
	assert_non_null(memchr(why, '\0', sizeof(why)));
}

/* parse_size */

static void
size_accepts_k_suffix(void **state)
{
	(void)state;
	assert_int_equal(size_ok("16k", 0, ULLONG_MAX), 16384);
	assert_int_equal(size_ok("16K", 0, ULLONG_MAX), 16384);
}

static void
size_accepts_m_suffix(void **state)
{
	(void)state;
	assert_int_equal(size_ok("1m", 0, ULLONG_MAX), 1048576);
	assert_int_equal(size_ok("1M", 0, ULLONG_MAX), 1048576);
	assert_int_equal(size_ok("3m", 0, ULLONG_MAX), 3 * 1048576);
}

static void
size_accepts_bare_number(void **state)
{
	(void)state;
	assert_int_equal(size_ok("100", 0, ULLONG_MAX), 100);
	assert_int_equal(size_ok("0", 0, ULLONG_MAX), 0);
}

static void
size_rejects_g_suffix(void **state)
{
	(void)state;
	size_fails("1g", 0, ULLONG_MAX);
	size_fails("1G", 0, ULLONG_MAX);
}

static void
size_rejects_junk(void **state)
{
	(void)state;
	size_fails("", 0, ULLONG_MAX);
	size_fails("k", 0, ULLONG_MAX);
	size_fails("16kb", 0, ULLONG_MAX);
	size_fails("16x", 0, ULLONG_MAX);
	size_fails("-1k", 0, ULLONG_MAX);
	size_fails("1.5k", 0, ULLONG_MAX);
	size_fails("k16", 0, ULLONG_MAX);
}

static void
size_rejects_overflow(void **state)
{
	(void)state;
	/* 2^54 k and 2^44 m are both 2^64. */
	size_fails("18014398509481984k", 0, ULLONG_MAX);
	size_fails("17592186044416m", 0, ULLONG_MAX);
	size_fails("99999999999999999999", 0, ULLONG_MAX);
}

static void
size_accepts_largest_k(void **state)
{
	(void)state;
	/* (2^54 - 1) k fits. */
	assert_true(size_ok("18014398509481983k", 0, ULLONG_MAX) ==
	    18014398509481983ULL * 1024);
}

static void
size_range_applies_after_suffix(void **state)
{
	(void)state;
	assert_contains(size_fails("16k", 64, 1024), "out of range");
	assert_contains(size_fails("63", 64, 1024), "out of range");
	assert_int_equal(size_ok("1k", 64, 1024), 1024);
	assert_int_equal(size_ok("64", 64, 1024), 64);
}

/* parse_duration */

static void
duration_bare_number_is_seconds(void **state)
{
	(void)state;
	assert_int_equal(duration_ok("300", 0, ULLONG_MAX), 300000);
}

static void
duration_accepts_suffixes(void **state)
{
	(void)state;
	assert_int_equal(duration_ok("5m", 0, ULLONG_MAX), 300000);
	assert_int_equal(duration_ok("1h", 0, ULLONG_MAX), 3600000);
	assert_int_equal(duration_ok("30s", 0, ULLONG_MAX), 30000);
	assert_int_equal(duration_ok("250ms", 0, ULLONG_MAX), 250);
}

static void
duration_accepts_zero(void **state)
{
	(void)state;
	assert_int_equal(duration_ok("0", 0, ULLONG_MAX), 0);
	assert_int_equal(duration_ok("0s", 0, ULLONG_MAX), 0);
}

static void
duration_rejects_days(void **state)
{
	(void)state;
	duration_fails("1d", 0, ULLONG_MAX);
}

static void
duration_rejects_junk(void **state)
{
	(void)state;
	duration_fails("", 0, ULLONG_MAX);
	duration_fails("s", 0, ULLONG_MAX);
	duration_fails("ms", 0, ULLONG_MAX);
	duration_fails("5x", 0, ULLONG_MAX);
	duration_fails("5sec", 0, ULLONG_MAX);
	duration_fails("-5s", 0, ULLONG_MAX);
	duration_fails("1.5s", 0, ULLONG_MAX);
}

static void
duration_rejects_overflow(void **state)
{
	(void)state;
	duration_fails("18446744073709551615s", 0, ULLONG_MAX);
	duration_fails("6000000000000h", 0, ULLONG_MAX);
	duration_fails("99999999999999999999ms", 0, ULLONG_MAX);
}

static void
duration_range_is_in_ms(void **state)
{
	(void)state;
	assert_contains(duration_fails("2h", 0, 3600000), "out of range");
	assert_contains(duration_fails("500ms", 1000, 3600000),
	    "out of range");
	assert_int_equal(duration_ok("3600s", 0, 3600000), 3600000);
	assert_int_equal(duration_ok("1", 1000, 3600000), 1000);
}

/* parse_bool */

static void
bool_accepts_true_words(void **state)
{
	(void)state;
	assert_true(bool_ok("yes"));
	assert_true(bool_ok("true"));
	assert_true(bool_ok("on"));
	assert_true(bool_ok("1"));
}

static void
bool_accepts_false_words(void **state)
{
	(void)state;
	assert_false(bool_ok("no"));
	assert_false(bool_ok("false"));
	assert_false(bool_ok("off"));
	assert_false(bool_ok("0"));
}

static void
bool_is_case_insensitive(void **state)
{
	(void)state;
	assert_true(bool_ok("YES"));
	assert_true(bool_ok("True"));
	assert_true(bool_ok("oN"));
	assert_false(bool_ok("NO"));
	assert_false(bool_ok("FALSE"));
	assert_false(bool_ok("Off"));
}

static void
bool_rejects_other_words(void **state)
{
	(void)state;
	assert_contains(bool_fails("maybe"), "maybe");
	bool_fails("");
	bool_fails("2");
	bool_fails("yess");
	bool_fails("y es");
}

/* format_size, format_duration */

static void
format_size_examples(void **state)
{
	(void)state;
	char buf[64];

	format_size(16384, buf, sizeof(buf));
	assert_string_equal(buf, "16k");
	format_size(1048576, buf, sizeof(buf));
	assert_string_equal(buf, "1m");
	format_size(100, buf, sizeof(buf));
	assert_string_equal(buf, "100");
}

static void
format_size_round_trips(void **state)
{
	(void)state;
	static const unsigned long long v[] = {
		0, 1, 100, 1000, 1023, 1024, 1536, 16384, 16385, 65536,
		1048575, 1048576, 1048577, 3 * 1048576, 16 * 1048576,
		1024ULL * 1048576, ULLONG_MAX,
	};
	char buf[64];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		format_size(v[i], buf, sizeof(buf));
		if (size_ok(buf, 0, ULLONG_MAX) != v[i])
			fail_msg("%llu formats as \"%s\"", v[i], buf);
	}
}

static void
format_duration_round_trips(void **state)
{
	(void)state;
	static const unsigned long long v[] = {
		0, 1, 250, 999, 1000, 1500, 30000, 60000, 61000, 300000,
		3600000, 3601000, 86400000, 604800000, 90061001, ULLONG_MAX,
	};
	char buf[64];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		format_duration(v[i], buf, sizeof(buf));
		if (duration_ok(buf, 0, ULLONG_MAX) != v[i])
			fail_msg("%llu ms formats as \"%s\"", v[i], buf);
	}
}

int
run_units_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(uint_accepts_plain_decimal),
		cmocka_unit_test(uint_accepts_range_bounds),
		cmocka_unit_test(uint_accepts_ullong_max),
		cmocka_unit_test(uint_rejects_trailing_junk_with_reason),
		cmocka_unit_test(uint_rejects_empty),
		cmocka_unit_test(uint_rejects_negative),
		cmocka_unit_test(uint_rejects_leading_junk),
		cmocka_unit_test(uint_rejects_other_junk),
		cmocka_unit_test(uint_rejects_below_range),
		cmocka_unit_test(uint_rejects_above_range),
		cmocka_unit_test(uint_rejects_overflow),
		cmocka_unit_test(uint_reason_escapes_value),
		cmocka_unit_test(uint_reason_fits_small_buffer),
		cmocka_unit_test(size_accepts_k_suffix),
		cmocka_unit_test(size_accepts_m_suffix),
		cmocka_unit_test(size_accepts_bare_number),
		cmocka_unit_test(size_rejects_g_suffix),
		cmocka_unit_test(size_rejects_junk),
		cmocka_unit_test(size_rejects_overflow),
		cmocka_unit_test(size_accepts_largest_k),
		cmocka_unit_test(size_range_applies_after_suffix),
		cmocka_unit_test(duration_bare_number_is_seconds),
		cmocka_unit_test(duration_accepts_suffixes),
		cmocka_unit_test(duration_accepts_zero),
		cmocka_unit_test(duration_rejects_days),
		cmocka_unit_test(duration_rejects_junk),
		cmocka_unit_test(duration_rejects_overflow),
		cmocka_unit_test(duration_range_is_in_ms),
		cmocka_unit_test(bool_accepts_true_words),
		cmocka_unit_test(bool_accepts_false_words),
		cmocka_unit_test(bool_is_case_insensitive),
		cmocka_unit_test(bool_rejects_other_words),
		cmocka_unit_test(format_size_examples),
		cmocka_unit_test(format_size_round_trips),
		cmocka_unit_test(format_duration_round_trips),
	};

	return cmocka_run_group_tests_name("units", tests, NULL, NULL);
}
