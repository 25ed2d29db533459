/*
 * libFuzzer target: the talk line framer (talk_feed, talk_finish) and the
 * log escaping every line goes through (log_escape).
 *
 * Input: byte 0 chooses max_line (16 to 300); bytes 1 to 4 a pattern of
 * chunk sizes, the way recv() might split the stream (1 to 64 bytes; 0xff:
 * all the rest); byte 5 a small buffer size for log_escape's cutting; the
 * rest is the byte stream a client sends.
 *
 * The stream is framed twice, once whole and once in chunks (each in its
 * own exact-size allocation, so ASan sees any read past a chunk); both must
 * give the same lines and stop at the same byte, and both must agree with
 * a plain model of talk.h's contract: a line ends at LF; NULs at its start
 * are skipped; trailing NULs, one CR, and NULs again are dropped; a line
 * whose content is longer than max_line is an error (TALK_TOO_LONG); a
 * last line without LF counts unless empty.  Every call's *used must make
 * sense, and log_escape must give text with no control byte that decodes
 * back to the line, and that is cut (with "...") only when it must be.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "log.h"
#include "talk.h"

#define HEADER 6
#define MIN_LINE 16
#define MAX_LINE 300
#define NPATTERN 4

/* What framing a stream gave. */
struct result {
	char *bytes;		/* the lines, one after another */
	size_t *lens;
	size_t nlines, nbytes, maxlines;
	int too_long;
	size_t consumed;	/* bytes of the stream used up */
};

static void *
xmalloc(size_t n)
{
	void *p = malloc(n > 0 ? n : 1);

	CHECK(p != NULL, "out of memory");
	return p;
}

static void
result_init(struct result *r, size_t stream)
{
	memset(r, 0, sizeof(*r));
	r->bytes = xmalloc(stream);
	/* Each line but the last takes a '\n' from the stream. */
	r->maxlines = stream + 1;
	r->lens = xmalloc(r->maxlines * sizeof(*r->lens));
}

static void
result_free(struct result *r)
{
	free(r->bytes);
	free(r->lens);
}

static void
result_add(struct result *r, const char *line, size_t len)
{
	CHECK(r->nlines < r->maxlines && r->nbytes + len <= r->maxlines,
	    "no more line bytes than stream bytes");
	memcpy(r->bytes + r->nbytes, line, len);
	r->nbytes += len;
	r->lens[r->nlines++] = len;
}

static int
result_same(const struct result *a, const struct result *b)
{
	return a->nlines == b->nlines && a->nbytes == b->nbytes &&
	    a->too_long == b->too_long &&
	    memcmp(a->lens, b->lens, a->nlines * sizeof(*a->lens)) == 0 &&
	    memcmp(a->bytes, b->bytes, a->nbytes) == 0;
}

/* For a report: the lines, escaped, one per line. */
static void
result_dump(const char *title, const struct result *r)
{
	char esc[LOG_ESCAPED_MAX(MAX_LINE)];
	size_t i, off = 0;

	fprintf(stderr, "%s: %zu lines%s\n", title, r->nlines,
	    r->too_long ? ", then TALK_TOO_LONG" : "");
	for (i = 0; i < r->nlines; off += r->lens[i], i++) {
		log_escape(esc, sizeof(esc), r->bytes + off, r->lens[i]);
		fprintf(stderr, "  [%zu] %zu bytes: \"%s\"\n", i, r->lens[i],
		    esc);
	}
}

/* "\\" and "\xHH" back to bytes; -1 if s is not a well-formed escape. */
static long
unescape(const char *s, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const char *hi, *lo;
	size_t i = 0, o = 0;
	unsigned char b;

	while (i < n) {
		if (s[i] != '\\') {
			out[o++] = s[i++];
			continue;
		}
		if (i + 1 < n && s[i + 1] == '\\') {
			out[o++] = '\\';
			i += 2;
			continue;
		}
		if (n - i < 4 || s[i + 1] != 'x' ||
		    s[i + 2] == '\0' || s[i + 3] == '\0' ||
		    (hi = strchr(hex, s[i + 2])) == NULL ||
		    (lo = strchr(hex, s[i + 3])) == NULL)
			return -1;
		b = (unsigned char)((hi - hex) << 4 | (lo - hex));
		CHECK(b < 0x20 || b >= 0x7f,
		    "printable ASCII is never escaped as \\xHH");
		out[o++] = (char)b;
		i += 4;
	}
	return (long)o;
}

/* Valid UTF-8 with no C0 or C1 control and no DEL. */
static int
clean_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0, len, k;
	unsigned cp;

	while (i < n) {
		if (s[i] < 0x20 || s[i] == 0x7f)
			return 0;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			len = 2;
			cp = s[i] & 0x1f;
		} else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			len = 3;
			cp = s[i] & 0x0f;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			len = 4;
			cp = s[i] & 0x07;
		} else
			return 0;
		if (n - i < len)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ||
		    (cp >= 0x80 && cp <= 0x9f))
			return 0;
		i += len;
	}
	return 1;
}

/* esc[0..esclen) is clean and decodes to want[0..wantlen) (or a prefix). */
static void
check_escaped(const char *esc, size_t esclen, const char *want,
    size_t wantlen, int whole)
{
	char *back = xmalloc(esclen);
	long n;

	CHECK(clean_utf8((const unsigned char *)esc, esclen),
	    "escaped text is UTF-8 without control bytes");
	n = unescape(esc, esclen, back);
	CHECK(n >= 0, "escaped text is never cut inside an escape");
	CHECK(whole ? (size_t)n == wantlen : (size_t)n <= wantlen,
	    "escaped text decodes to the line's length");
	CHECK(memcmp(back, want, (size_t)n) == 0,
	    "escaped text decodes to the line");
	free(back);
}

static void
check_log_escape(const char *line, size_t len, size_t small)
{
	size_t cap = LOG_ESCAPED_MAX(len), r, r2;
	char *full = xmalloc(cap), *part = xmalloc(small);

	r = log_escape(full, cap, line, len);
	CHECK(r < cap && strlen(full) == r,
	    "log_escape returns the length of a terminated string");
	check_escaped(full, r, line, len, 1);

	/* A buffer that may be too small: cut only if it must be. */
	r2 = log_escape(part, small, line, len);
	if (small == 0) {
		CHECK(r2 == 0, "no room, nothing written");
	} else {
		CHECK(r2 < small && strlen(part) == r2,
		    "log_escape stays in its buffer, terminated");
		if (r < small) {
			CHECK(r2 == r && memcmp(part, full, r) == 0,
			    "what fits is not cut");
		} else if (small - 1 >= 3 || r2 > 0) {
			CHECK(r2 >= 3 && memcmp(part + r2 - 3, "...", 3) == 0,
			    "a cut text ends in ...");
			CHECK(memcmp(part, full, r2 - 3) == 0,
			    "a cut text is the start of the whole one");
			check_escaped(part, r2 - 3, line, len, 0);
		}
	}
	free(part);
	free(full);
}

static void
check_line(const char *line, size_t len, size_t max_line, size_t small,
    struct result *r)
{
	CHECK(line != NULL, "a line is given");
	CHECK(len <= max_line, "a line is at most max_line bytes");
	CHECK(memchr(line, '\n', len) == NULL, "a line has no LF");
	CHECK(len == 0 || line[0] != '\0', "leading NULs are skipped");
	CHECK(len == 0 || line[len - 1] != '\0', "trailing NULs are dropped");
	check_log_escape(line, len, small);
	result_add(r, line, len);
}

/* Feeds in[0..n) until it is used up or a line is too long. */
static void
feed(struct talk_framer *f, const char *in, size_t n, size_t small,
    struct result *r)
{
	enum talk_event ev;
	const char *line;
	size_t used, len;

	while (n > 0 && !r->too_long) {
		used = (size_t)-1;
		line = NULL;
		len = (size_t)-1;
		ev = talk_feed(f, in, n, &used, &line, &len);
		CHECK(used <= n, "*used is at most n");
		switch (ev) {
		case TALK_MORE:
			CHECK(used == n, "TALK_MORE consumes everything");
			break;
		case TALK_LINE:
			CHECK(used > 0 && in[used - 1] == '\n' &&
			    memchr(in, '\n', used - 1) == NULL,
			    "TALK_LINE consumes up to the first LF");
			check_line(line, len, f->max_line, small, r);
			break;
		case TALK_TOO_LONG:
			r->too_long = 1;
			break;
		default:
			CHECK(0, "talk_feed returns a talk_event");
		}
		r->consumed += used;
		in += used;
		n -= used;
	}
}

static void
finish(struct talk_framer *f, size_t small, struct result *r)
{
	const char *line = NULL;
	size_t len = (size_t)-1;

	if (r->too_long)
		return;
	switch (talk_finish(f, &line, &len)) {
	case TALK_MORE:
		break;
	case TALK_LINE:
		CHECK(len > 0, "an empty last line is no line");
		check_line(line, len, f->max_line, small, r);
		break;
	default:
		CHECK(0, "talk_finish returns TALK_LINE or TALK_MORE");
	}
}

/* talk.h's contract, written plainly, one line at a time. */
static void
model(const char *s, size_t n, size_t max_line, struct result *r)
{
	size_t i = 0, start, end;

	while (i < n && !r->too_long) {
		start = i;
		while (i < n && s[i] != '\n')
			i++;
		end = i;
		while (start < end && s[start] == '\0')
			start++;
		while (end > start && s[end - 1] == '\0')
			end--;
		if (end > start && s[end - 1] == '\r')
			end--;
		while (end > start && s[end - 1] == '\0')
			end--;
		if (end - start > max_line)
			r->too_long = 1;
		else if (i < n || end > start)
			result_add(r, s + start, end - start);
		i++;	/* past the '\n' */
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct talk_framer f;
	struct result whole, chunked, expect;
	size_t max_line, small, n, off, k, step, pattern[NPATTERN];
	const char *stream;
	char *copy;

	if (size < HEADER)
		return 0;
	max_line = MIN_LINE + data[0] % (MAX_LINE - MIN_LINE + 1);
	for (k = 0; k < NPATTERN; k++)
		pattern[k] = data[1 + k] == 0xff ? 0 : 1 + data[1 + k] % 64;
	small = data[5] % 96;
	stream = (const char *)data + HEADER;
	n = size - HEADER;

	/* The whole stream in one buffer. */
	result_init(&whole, n);
	CHECK(talk_framer_init(&f, max_line) == 0, "talk_framer_init");
	copy = xmalloc(n);
	memcpy(copy, stream, n);
	feed(&f, copy, n, small, &whole);
	finish(&f, small, &whole);
	free(copy);
	talk_framer_free(&f);
	CHECK(whole.too_long || whole.consumed == n,
	    "all input is consumed unless a line is too long");

	/* The same stream in chunks. */
	result_init(&chunked, n);
	CHECK(talk_framer_init(&f, max_line) == 0, "talk_framer_init");
	for (off = 0, k = 0; off < n && !chunked.too_long; off += step, k++) {
		step = pattern[k % NPATTERN];
		if (step == 0 || step > n - off)
			step = n - off;
		copy = xmalloc(step);
		memcpy(copy, stream + off, step);
		feed(&f, copy, step, small, &chunked);
		free(copy);
	}
	finish(&f, small, &chunked);
	talk_framer_free(&f);
	if (!result_same(&whole, &chunked) ||
	    whole.consumed != chunked.consumed) {
		result_dump("whole", &whole);
		result_dump("in chunks", &chunked);
		CHECK(0, "the lines do not depend on how the stream is split");
	}

	/* What talk.h says it should be. */
	result_init(&expect, n);
	model(stream, n, max_line, &expect);
	if (!result_same(&whole, &expect)) {
		fprintf(stderr, "max_line %zu\n", max_line);
		result_dump("talk_feed gave", &whole);
		result_dump("talk.h says", &expect);
		CHECK(0, "the lines are what talk.h describes");
	}

	result_free(&expect);
	result_free(&chunked);
	result_free(&whole);
	return 0;
}
