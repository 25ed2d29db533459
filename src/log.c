/*
 * Logging.  Every message becomes one line written with a single write(2)
 * to stderr, so lines from different threads never interleave.  Under a
 * supervisor (stderr not a terminal) lines carry sd-daemon(3) priority
 * prefixes and no time stamp, since journald adds its own.
 */
#include "log.h"

#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

/* Written by the main thread (startup, reload), read by every thread. */
static atomic_int log_level = LEVEL_INFO;
static atomic_bool log_on_tty;

void
log_init(void)
{
	atomic_store(&log_on_tty, isatty(STDERR_FILENO) == 1);
}

/* Parses one decimal number of JOURNAL_STREAM up to the character end. */
static bool
stream_number(const char **p, char end, uintmax_t *v)
{
	char *q;

	if (**p < '0' || **p > '9')
		return false;
	errno = 0;
	*v = strtoumax(*p, &q, 10);
	if (errno != 0 || *q != end)
		return false;
	*p = q + (end != '\0');
	return true;
}

bool
log_stderr_is_journal(void)
{
	const char *p = getenv("JOURNAL_STREAM");
	uintmax_t dev, ino;
	struct stat st;

	if (p == NULL || !stream_number(&p, ':', &dev) ||
	    !stream_number(&p, '\0', &ino))
		return false;
	if (fstat(STDERR_FILENO, &st) != 0)
		return false;
	return (uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino;
}

void
log_set_level(enum log_level level)
{
	atomic_store(&log_level, (int)level);
}

enum log_level
log_get_level(void)
{
	return (enum log_level)atomic_load(&log_level);
}

static const char *
level_name(enum log_level level)
{
	switch (level) {
	case LEVEL_ERROR:
		return "error: ";
	case LEVEL_WARNING:
		return "warning: ";
	case LEVEL_DEBUG:
		return "debug: ";
	default:
		return "";
	}
}

/* "<6>" under a supervisor; "2026-11-22 10:00:00 echod: " on a terminal. */
static int
format_prefix(char *buf, size_t len, enum log_level level)
{
	struct timespec ts;
	struct tm tm;
	char when[32];

	if (!atomic_load(&log_on_tty))
		return snprintf(buf, len, "<%d>", (int)level);
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	return snprintf(buf, len, "%s.%03ld echod: %s", when,
	    ts.tv_nsec / 1000000, level_name(level));
}

static void
write_all(const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(STDERR_FILENO, p, n);
		if (w <= 0)
			return;	/* nowhere left to report it */
		p += w;
		n -= (size_t)w;
	}
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char small[512], *line = small;
	va_list ap;
	int pre, body;
	size_t need;

	if ((int)level > atomic_load(&log_level))
		return;
	pre = format_prefix(small, sizeof(small), level);
	va_start(ap, fmt);
	body = vsnprintf(small + pre, sizeof(small) - (size_t)pre, fmt, ap);
	va_end(ap);
	if (body < 0)
		return;
	need = (size_t)pre + (size_t)body + 2;
	/* Worker stacks are small: long lines go to the heap instead. */
	if (need > sizeof(small)) {
		line = malloc(need);
		if (line == NULL) {
			line = small;
			need = sizeof(small);
		} else {
			memcpy(line, small, (size_t)pre);
			va_start(ap, fmt);
			vsnprintf(line + pre, need - (size_t)pre, fmt, ap);
			va_end(ap);
		}
	}
	need = strlen(line);
	line[need++] = '\n';
	write_all(line, need);
	if (line != small)
		free(line);
}

bool
log_limit_ok(struct log_limit *l, unsigned interval_ms, unsigned long *held)
{
	long long now = clock_ms();

	if (now < l->next_ms) {
		l->suppressed++;
		return false;
	}
	l->next_ms = now + interval_ms;
	*held = l->suppressed;
	l->suppressed = 0;
	return true;
}

/*
 * Code points that change how a line looks without being seen: every
 * format character (General_Category=Cf) of Unicode 15.1, as listed in
 * its DerivedGeneralCategory.txt (bidi overrides and isolates, zero-width
 * characters, the BOM, tags, ...), and the line and paragraph separators
 * (Zl, Zp) that some viewers break lines at.  Sorted, for bsearch().
 */
static const struct range {
	unsigned lo, hi;
} hidden[] = {
	{ 0x00ad, 0x00ad },	/* soft hyphen */
	{ 0x0600, 0x0605 },	/* Arabic number signs */
	{ 0x061c, 0x061c },	/* Arabic letter mark */
	{ 0x06dd, 0x06dd },
	{ 0x070f, 0x070f },
	{ 0x0890, 0x0891 },
	{ 0x08e2, 0x08e2 },
	{ 0x180e, 0x180e },	/* Mongolian vowel separator */
	{ 0x200b, 0x200f },	/* zero width space .. right-to-left mark */
	{ 0x2028, 0x2029 },	/* line and paragraph separators (Zl, Zp) */
	{ 0x202a, 0x202e },	/* bidi embeddings and overrides */
	{ 0x2060, 0x2064 },	/* word joiner, invisible operators */
	{ 0x2066, 0x206f },	/* bidi isolates, deprecated format controls */
	{ 0xfeff, 0xfeff },	/* zero width no-break space, BOM */
	{ 0xfff9, 0xfffb },	/* interlinear annotation */
	{ 0x110bd, 0x110bd },
	{ 0x110cd, 0x110cd },
	{ 0x13430, 0x1343f },	/* Egyptian hieroglyph format controls */
	{ 0x1bca0, 0x1bca3 },	/* shorthand format controls */
	{ 0x1d173, 0x1d17a },	/* musical symbol format controls */
	{ 0xe0001, 0xe0001 },	/* language tag */
	{ 0xe0020, 0xe007f },	/* tag characters */
};

static int
range_cmp(const void *key, const void *elem)
{
	unsigned cp = *(const unsigned *)key;
	const struct range *r = elem;

	return cp < r->lo ? -1 : cp > r->hi ? 1 : 0;
}

static bool
is_hidden(unsigned cp)
{
	return bsearch(&cp, hidden, sizeof(hidden) / sizeof(hidden[0]),
	    sizeof(hidden[0]), range_cmp) != NULL;
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;
	unsigned cp;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;	/* overlong, surrogate or beyond Unicode */
	if (cp >= 0x80 && cp <= 0x9f)
		return 0;	/* C1 controls act on terminals too */
	if (is_hidden(cp))
		return 0;	/* a reader would not see what was sent */
	return len;
}

/*
 * The escaped form of the character at s[0]: sets *from and *used (input
 * bytes) and returns its length.  esc[4] holds a "\xHH" when one is needed.
 */
static size_t
next_piece(const unsigned char *s, size_t n, char esc[4], const char **from,
    size_t *used)
{
	static const char hex[] = "0123456789abcdef";
	size_t len;

	*from = (const char *)s;
	*used = 1;
	if (s[0] == '\\') {
		*from = "\\\\";
		return 2;
	}
	if (s[0] >= 0x20 && s[0] < 0x7f)
		return 1;
	if ((len = utf8_len(s, n)) != 0) {
		*used = len;
		return len;
	}
	esc[0] = '\\';
	esc[1] = 'x';
	esc[2] = hex[s[0] >> 4];
	esc[3] = hex[s[0] & 0xf];
	*from = esc;
	return 4;
}

static size_t
escaped_len(const unsigned char *s, size_t n)
{
	size_t i = 0, total = 0, used;
	const char *from;
	char esc[4];

	while (i < n) {
		total += next_piece(s + i, n - i, esc, &from, &used);
		i += used;
	}
	return total;
}

size_t
log_escape(char *dst, size_t dstlen, const void *src, size_t n)
{
	const unsigned char *s = src;
	size_t i = 0, out = 0, used, piece, room;
	const char *from;
	char esc[4];

	if (dstlen == 0)
		return 0;
	while (i < n) {
		piece = next_piece(s + i, n - i, esc, &from, &used);
		room = dstlen - 1 - out;
		/* Keep room for "..." unless everything left fits. */
		if (piece + (i + used < n ? 3 : 0) > room &&
		    escaped_len(s + i, n - i) > room) {
			if (room >= 3) {
				memcpy(dst + out, "...", 3);
				out += 3;
			}
			break;
		}
		memcpy(dst + out, from, piece);
		out += piece;
		i += used;
	}
	dst[out] = '\0';
	return out;
}
