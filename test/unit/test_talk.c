/* Tests for the talk line framer (talk_framer_init, talk_feed, talk_finish). */
#include <stdio.h>

#include "unit.h"
#include "talk.h"

#define MAX_LINES 8

/* What a whole input produced. */
struct result {
	char line[MAX_LINES][256];
	size_t len[MAX_LINES];
	size_t used[MAX_LINES];		/* *used of the call that gave it */
	int n;
	int too_long;
};

static void
framer_setup(struct talk_framer *f, size_t max_line)
{
	memset(f, 0, sizeof(*f));
	assert_int_equal(talk_framer_init(f, max_line), 0);
	assert_non_null(f->buf);
	assert_int_equal(f->max_line, max_line);
	assert_int_equal(f->len, 0);
}

static void
keep(struct result *r, const char *line, size_t len, size_t used)
{
	assert_true(r->n < MAX_LINES);
	assert_true(len < sizeof(r->line[0]));
	if (len > 0) {
		assert_non_null(line);
		memcpy(r->line[r->n], line, len);
	}
	r->len[r->n] = len;
	r->used[r->n] = used;
	r->n++;
}

/* Feeds in[0..n) in one call after another until all of it is used. */
static void
feed(struct talk_framer *f, const char *in, size_t n, struct result *r)
{
	while (n > 0) {
		size_t used = (size_t)-1, len = (size_t)-1;
		const char *line = NULL;
		enum talk_event ev = talk_feed(f, in, n, &used, &line, &len);

		assert_true(used <= n);
		if (ev == TALK_TOO_LONG) {
			r->too_long = 1;
			return;
		}
		if (ev == TALK_MORE) {
			/* MORE means all input was consumed. */
			assert_int_equal(used, n);
		} else {
			assert_int_equal(ev, TALK_LINE);
			assert_true(used > 0);
			keep(r, line, len, used);
		}
		in += used;
		n -= used;
	}
}

/* Feeds one byte per call. */
static void
feed_bytewise(struct talk_framer *f, const char *in, size_t n,
    struct result *r)
{
	for (size_t i = 0; i < n && !r->too_long; i++)
		feed(f, in + i, 1, r);
}

static void
finish(struct talk_framer *f, struct result *r)
{
	const char *line = NULL;
	size_t len = (size_t)-1;
	enum talk_event ev = talk_finish(f, &line, &len);

	if (ev == TALK_LINE)
		keep(r, line, len, 0);
	else
		assert_int_equal(ev, TALK_MORE);
}

static void
assert_line(const struct result *r, int i, const char *want, size_t wantlen)
{
	assert_true(i < r->n);
	assert_int_equal(r->len[i], wantlen);
	assert_memory_equal(r->line[i], want, wantlen);
}

#define assert_line_str(r, i, s) assert_line((r), (i), (s), strlen(s))

static void
simple_line(void **state)
{
	(void)state;
	struct talk_framer f;
	const char *line = NULL;
	size_t used = 0, len = 0;

	framer_setup(&f, 64);
	assert_int_equal(talk_feed(&f, "hello\n", 6, &used, &line, &len),
	    TALK_LINE);
	assert_int_equal(used, 6);
	assert_int_equal(len, 5);
	assert_memory_equal(line, "hello", 5);
	talk_framer_free(&f);
}

static void
crlf_dropped(void **state)
{
	(void)state;
	struct talk_framer f;
	struct result r = { .n = 0 };

	framer_setup(&f, 64);
	feed(&f, "a\r\n", 3, &r);
	assert_int_equal(r.n, 1);
	assert_line_str(&r, 0, "a");
	talk_framer_free(&f);
}

static void
only_one_cr_dropped(void **state)
{
	(void)state;
	struct talk_framer f;
	struct result r = { .n = 0 };

	framer_setup(&f, 64);
	feed(&f, "a\r\r\n", 4, &r);
	assert_int_equal(r.n, 1);
	assert_line_str(&r, 0, "a\r");
	talk_framer_free(&f);
}

static void
inner_cr_kept(void **state)
{
	(void)state;
	struct talk_framer f;
	struct result r = { .n = 0 };

	framer_setup(&f, 64);
	feed(&f, "a\rb\n", 4, &r);
	assert_int_equal(r.n, 1);
	assert_line_str(&r, 0, "a\rb");
	talk_framer_free(&f);
}

static void
cr_and_lf_split_across_calls(void **state)
{
	(void)state;
	struct talk_framer f;
	struct result r = { .n = 0 };

	framer_setup(&f, 64);
	feed(&f, "x\r", 2, &r);
	assert_int_equal(r.n, 0);
	feed(&f, "\n", 1, &r);
	assert_int_equal(r.n, 1);
	assert_line_str(&r, 0, "x");
	talk_framer_free(&f);
}

static void
simplex_talk_nul_after_line(void **state)
{
	(void)state;
	struct talk_framer f;
	struct result r = { .n = 0 };

	framer_setup(&f, 64);
	feed(&f, "line\n\0", 6, &r);
	feed(&f, "x\n", 2, &r);
	assert_int_equal(r.n, 2);
	assert_line_str(&r, 0, "line");
	assert_int_equal(r.used[0], 5);
	assert_line_str(&r, 1, "x");
	talk_framer_free(&f);
}

static void
leading_nuls_in_same_buffer(void **state)
{
	(void)state;
	struct talk_framer f;
	struct result r = { .n = 0 };

	framer_setup(&f, 64);
	feed(&f, "one\n\0\0two\n", 10, &r);
	assert_int_equal(r.n, 2);
	assert_line_str(&r, 0, "one");
	assert_line_str(&r, 1, "two");
	talk_framer_free(&f);
}

static void
only_nuls_then_finish(void **state)
{
	(void)state;
	struct talk_framer f;
	struct result r = { .n = 0 };

	framer_setup(&f, 64);
	feed(&f, "\0\0", 2, &r);
	finish(&f, &r);
	assert_int_equal(r.n, 0);
	talk_framer_free(&f);
}

static void
partial_line_at_finish(void **state)
{
	(void)state;
	struct talk_framer f;
	struct result r = { .n = 0 };

	framer_setup(&f, 64);
	feed(&f, "abc", 3, &r);
	assert_int_equal(r.n, 0);
	finish(&f, &r);
	assert_int_equal(r.n, 1);
	assert_line_str(&r, 0, "abc");
	talk_framer_free(&f);
}

static void
nothing_then_finish(void **state)
{
	(void)state;
	struct talk_framer f;
	struct result r = { .n = 0 };
	const char *line = NULL;
	size_t used = 99, len = 0;

	framer_setup(&f, 64);
	assert_int_equal(talk_feed(&f, "", 0, &used, &line, &len), TALK_MORE);
	assert_int_equal(used, 0);
	finish(&f, &r);
	assert_int_equal(r.n, 0);
	talk_framer_free(&f);
}

static void
finish_after_complete_line(void **state)
{
	(void)state;
	struct talk_framer f;
	struct result r = { .n = 0 };

	framer_setup(&f, 64);
	feed(&f, "done\n", 5, &r);
	finish(&f, &r);
	assert_int_equal(r.n, 1);
	assert_line_str(&r, 0, "done");
	talk_framer_free(&f);
}

static void
two_lines_in_one_buffer(void **state)
{
	(void)state;
	struct talk_framer f;
	const char *line = NULL;
	size_t used = 0, len = 0;
	const char *in = "a\nb\n";

	framer_setup(&f, 64);
	assert_int_equal(talk_feed(&f, in, 4, &used, &line, &len), TALK_LINE);
	assert_int_equal(used, 2);
	assert_int_equal(len, 1);
	assert_memory_equal(line, "a", 1);
	assert_int_equal(talk_feed(&f, in + 2, 2, &used, &line, &len),
	    TALK_LINE);
	assert_int_equal(used, 2);
	assert_int_equal(len, 1);
	assert_memory_equal(line, "b", 1);
	talk_framer_free(&f);
}

static void
byte_at_a_time(void **state)
{
	(void)state;
	static const char in[] = "\0hello, world\r\n\0second\n";
	struct talk_framer f;
	struct result r = { .n = 0 };

	framer_setup(&f, 64);
	feed_bytewise(&f, in, sizeof(in) - 1, &r);
	assert_int_equal(r.n, 2);
	assert_line_str(&r, 0, "hello, world");
	assert_line_str(&r, 1, "second");
	talk_framer_free(&f);
}

static void
trailing_nuls_dropped(void **state)
{
	(void)state;
	struct talk_framer f;
	struct result r = { .n = 0 };

	framer_setup(&f, 64);
	feed(&f, "abc\0\0\n", 6, &r);
	assert_int_equal(r.n, 1);
	assert_line_str(&r, 0, "abc");
	talk_framer_free(&f);
}

static void
inner_nul_kept(void **state)
{
	(void)state;
	struct talk_framer f;
	struct result r = { .n = 0 };

	framer_setup(&f, 64);
	feed(&f, "a\0b\n", 4, &r);
	assert_int_equal(r.n, 1);
	assert_line(&r, 0, "a\0b", 3);
	talk_framer_free(&f);
}

static void
empty_line_is_a_line(void **state)
{
	(void)state;
	struct talk_framer f;
	const char *line = NULL;
	size_t used = 0, len = 99;

	framer_setup(&f, 64);
	assert_int_equal(talk_feed(&f, "\n", 1, &used, &line, &len),
	    TALK_LINE);
	assert_int_equal(used, 1);
	assert_int_equal(len, 0);
	talk_framer_free(&f);
}

static void
cr_only_line_is_empty(void **state)
{
	(void)state;
	struct talk_framer f;
	struct result r = { .n = 0 };

	framer_setup(&f, 64);
	feed(&f, "\r\n", 2, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.len[0], 0);
	talk_framer_free(&f);
}

static void
binary_bytes_kept(void **state)
{
	(void)state;
	static const char in[] = "a\x01\xff" "b\x7f\n";
	struct talk_framer f;
	struct result r = { .n = 0 };

	framer_setup(&f, 64);
	feed(&f, in, sizeof(in) - 1, &r);
	assert_int_equal(r.n, 1);
	assert_line(&r, 0, "a\x01\xff" "b\x7f", 5);
	talk_framer_free(&f);
}

static void
max_line_exactly_fits(void **state)
{
	(void)state;
	static const char in[] = "0123456789abcdef\n";
	struct talk_framer f;
	struct result r = { .n = 0 };

	framer_setup(&f, 16);
	feed(&f, in, sizeof(in) - 1, &r);
	assert_false(r.too_long);
	assert_int_equal(r.n, 1);
	assert_line_str(&r, 0, "0123456789abcdef");
	talk_framer_free(&f);
}

/*
 * What the framer holds never exceeds max_line, so what is pending at the
 * end of input is a line, never too long: its dropped tail is no content.
 */
static void
max_line_fits_at_finish(void **state)
{
	(void)state;
	static const char in[] = "0123456789abcdef\0\r\0";
	struct talk_framer f;
	struct result r = { .n = 0 };

	framer_setup(&f, 16);
	feed(&f, in, sizeof(in) - 1, &r);
	assert_int_equal(r.n, 0);
	finish(&f, &r);
	assert_false(r.too_long);
	assert_int_equal(r.n, 1);
	assert_line_str(&r, 0, "0123456789abcdef");
	talk_framer_free(&f);
}

static void
max_line_fits_with_crlf(void **state)
{
	(void)state;
	static const char in[] = "0123456789abcdef\r\n";
	struct talk_framer f;
	struct result r = { .n = 0 };

	framer_setup(&f, 16);
	feed(&f, in, sizeof(in) - 1, &r);
	assert_false(r.too_long);
	assert_int_equal(r.n, 1);
	assert_line_str(&r, 0, "0123456789abcdef");
	talk_framer_free(&f);
}

static void
max_line_fits_bytewise(void **state)
{
	(void)state;
	static const char in[] = "0123456789abcdef\r\n";
	struct talk_framer f;
	struct result r = { .n = 0 };

	framer_setup(&f, 16);
	feed_bytewise(&f, in, sizeof(in) - 1, &r);
	assert_false(r.too_long);
	assert_int_equal(r.n, 1);
	assert_line_str(&r, 0, "0123456789abcdef");
	talk_framer_free(&f);
}

static void
one_over_max_line(void **state)
{
	(void)state;
	static const char in[] = "0123456789abcdefg\n";
	struct talk_framer f;
	struct result r = { .n = 0 };

	framer_setup(&f, 16);
	feed(&f, in, sizeof(in) - 1, &r);
	assert_true(r.too_long);
	assert_int_equal(r.n, 0);
	talk_framer_free(&f);
}

static void
too_long_without_lf(void **state)
{
	(void)state;
	char in[40];
	struct talk_framer f;
	const char *line = NULL;
	size_t used = 0, len = 0;

	memset(in, 'z', sizeof(in));
	framer_setup(&f, 16);
	assert_int_equal(talk_feed(&f, in, sizeof(in), &used, &line, &len),
	    TALK_TOO_LONG);
	talk_framer_free(&f);
}

static void
too_long_without_lf_bytewise(void **state)
{
	(void)state;
	char in[40];
	struct talk_framer f;
	struct result r = { .n = 0 };

	memset(in, 'z', sizeof(in));
	framer_setup(&f, 16);
	feed_bytewise(&f, in, sizeof(in), &r);
	assert_true(r.too_long);
	talk_framer_free(&f);
}

static void
short_lines_do_not_accumulate(void **state)
{
	(void)state;
	struct talk_framer f;
	struct result r = { .n = 0 };

	/* Many short lines must not accumulate towards max_line. */
	framer_setup(&f, 16);
	for (int i = 0; i < 20; i++) {
		r.n = 0;
		feed(&f, "0123456789\n", 11, &r);
		assert_false(r.too_long);
		assert_int_equal(r.n, 1);
		assert_line_str(&r, 0, "0123456789");
	}
	talk_framer_free(&f);
}

/* Dropped bytes are not content: they never count towards max_line. */
static void
trailing_nuls_and_cr_do_not_count(void **state)
{
	static const char nuls[] = "hi\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
	    "\0\0\n";
	static const char full[] = "0123456789abcdef\r\0\n";
	static const char inner[] = "0123456\r\0\0\r89abc\n";
	/* Of two CRs, only the last (and the NULs around it) is dropped. */
	static const char two_crs[] = "a\0\r\0\r\0\n";
	struct talk_framer f;
	struct result r;

	(void)state;
	memset(&r, 0, sizeof(r));
	framer_setup(&f, 16);
	feed(&f, nuls, sizeof(nuls) - 1, &r);
	feed(&f, full, sizeof(full) - 1, &r);
	/* Held-back bytes that turn out to be inside the line are kept. */
	feed(&f, inner, sizeof(inner) - 1, &r);
	assert_false(r.too_long);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.len[0], 2);
	assert_memory_equal(r.line[0], "hi", 2);
	assert_int_equal(r.len[1], 16);
	assert_memory_equal(r.line[1], "0123456789abcdef", 16);
	assert_int_equal(r.len[2], 16);
	assert_memory_equal(r.line[2], "0123456\r\0\0\r89abc", 16);
	feed(&f, two_crs, sizeof(two_crs) - 1, &r);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.len[3], 3);
	assert_memory_equal(r.line[3], "a\0\r", 3);
	talk_framer_free(&f);
}

int
run_talk_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(simple_line),
		cmocka_unit_test(crlf_dropped),
		cmocka_unit_test(only_one_cr_dropped),
		cmocka_unit_test(inner_cr_kept),
		cmocka_unit_test(cr_and_lf_split_across_calls),
		cmocka_unit_test(simplex_talk_nul_after_line),
		cmocka_unit_test(leading_nuls_in_same_buffer),
		cmocka_unit_test(only_nuls_then_finish),
		cmocka_unit_test(partial_line_at_finish),
		cmocka_unit_test(nothing_then_finish),
		cmocka_unit_test(finish_after_complete_line),
		cmocka_unit_test(two_lines_in_one_buffer),
		cmocka_unit_test(byte_at_a_time),
		cmocka_unit_test(trailing_nuls_dropped),
		cmocka_unit_test(inner_nul_kept),
		cmocka_unit_test(empty_line_is_a_line),
		cmocka_unit_test(cr_only_line_is_empty),
		cmocka_unit_test(binary_bytes_kept),
		cmocka_unit_test(max_line_exactly_fits),
		cmocka_unit_test(max_line_fits_at_finish),
		cmocka_unit_test(max_line_fits_with_crlf),
		cmocka_unit_test(max_line_fits_bytewise),
		cmocka_unit_test(one_over_max_line),
		cmocka_unit_test(too_long_without_lf),
		cmocka_unit_test(too_long_without_lf_bytewise),
		cmocka_unit_test(short_lines_do_not_accumulate),
		cmocka_unit_test(trailing_nuls_and_cr_do_not_count),
	};

	return cmocka_run_group_tests_name("talk", tests, NULL, NULL);
}
