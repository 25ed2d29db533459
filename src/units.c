/* Config value parsers.  Strict: no sign, no spaces, no junk after. */
#include "units.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

int
value_error(char *why, size_t whylen, const char *value, const char *what)
{
	char esc[128];

	log_escape(esc, sizeof(esc), value, strlen(value));
	snprintf(why, whylen, "'%s' %s", esc, what);
	return -1;
}

/* Reads the leading digits of s; *end points past them. */
static int
read_digits(const char *s, unsigned long long *out, const char **end)
{
	char *e;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*out = strtoull(s, &e, 10);
	if (errno == ERANGE)
		return -2;
	*end = e;
	return 0;
}

static int
check_range(const char *s, unsigned long long v, unsigned long long min,
    unsigned long long max, char *why, size_t whylen)
{
	char lo[32], hi[32], what[96];

	if (v >= min && v <= max)
		return 0;
	snprintf(lo, sizeof(lo), "%llu", min);
	snprintf(hi, sizeof(hi), "%llu", max);
	snprintf(what, sizeof(what), "is out of range (%s to %s)", lo, hi);
	value_error(why, whylen, s, what);
	return -1;
}

/* Reads digits then an optional unit from units[]; scales the result. */
struct unit {
	const char *suffix;
	unsigned long long scale;
};

static int
parse_scaled(const char *s, const struct unit *units, const char *kind,
    unsigned long long *out, char *why, size_t whylen)
{
	unsigned long long v;
	const char *end;
	int r;

	r = read_digits(s, &v, &end);
	if (r == -1) {
		value_error(why, whylen, s, kind);
		return -1;
	}
	if (r == -2) {
		value_error(why, whylen, s, "is too large");
		return -1;
	}
	for (; units->suffix != NULL; units++) {
		if (strcasecmp(end, units->suffix) != 0)
			continue;
		if (units->scale != 0 && v > ~0ULL / units->scale) {
			value_error(why, whylen, s, "is too large");
			return -1;
		}
		*out = v * units->scale;
		return 0;
	}
	value_error(why, whylen, s, kind);
	return -1;
}

int
parse_uint(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out, char *why, size_t whylen)
{
	static const struct unit none[] = { { "", 1 }, { NULL, 0 } };
	unsigned long long v;

	if (parse_scaled(s, none, "is not a number", &v, why, whylen) != 0)
		return -1;
	if (check_range(s, v, min, max, why, whylen) != 0)
		return -1;
	*out = v;
	return 0;
}

int
parse_size(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out, char *why, size_t whylen)
{
	static const struct unit sizes[] = {
		{ "", 1 }, { "k", 1024 }, { "m", 1024 * 1024 }, { NULL, 0 },
	};
	unsigned long long v;

	if (parse_scaled(s, sizes, "is not a size (a number, optionally "
	    "followed by k or m)", &v, why, whylen) != 0)
		return -1;
	if (check_range(s, v, min, max, why, whylen) != 0)
		return -1;
	*out = v;
	return 0;
}

int
parse_duration(const char *s, unsigned long long min_ms,
    unsigned long long max_ms, unsigned long long *out_ms, char *why,
    size_t whylen)
{
	static const struct unit times[] = {
		{ "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 },
		{ "h", 3600000 }, { NULL, 0 },
	};
	char lo[32], hi[32], what[96];
	unsigned long long v;

	if (parse_scaled(s, times, "is not a duration (a number, optionally "
	    "followed by ms, s, m or h)", &v, why, whylen) != 0)
		return -1;
	if (v < min_ms || v > max_ms) {
		format_duration(min_ms, lo, sizeof(lo));
		format_duration(max_ms, hi, sizeof(hi));
		snprintf(what, sizeof(what), "is out of range (%s to %s)",
		    lo, hi);
		value_error(why, whylen, s, what);
		return -1;
	}
	*out_ms = v;
	return 0;
}

int
parse_mode(const char *s, unsigned long long max, unsigned long long *out,
    char *why, size_t whylen)
{
	char what[64];
	unsigned long long v;

	if (*s == '\0' || strspn(s, "01234567") != strlen(s))
		return value_error(why, whylen, s, "is not an octal mode (such "
		    "as 0660)");
	errno = 0;
	v = strtoull(s, NULL, 8);
	if (errno == ERANGE || v > max) {
		snprintf(what, sizeof(what), "is out of range (0 to 0%llo)",
		    max);
		return value_error(why, whylen, s, what);
	}
	*out = v;
	return 0;
}

int
parse_bool(const char *s, bool *out, char *why, size_t whylen)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	value_error(why, whylen, s, "is not a boolean (yes/no, true/false, on/off, "
	    "1/0)");
	return -1;
}

void
format_size(unsigned long long n, char *buf, size_t len)
{
	if (n != 0 && n % (1024 * 1024) == 0)
		snprintf(buf, len, "%llum", n / (1024 * 1024));
	else if (n != 0 && n % 1024 == 0)
		snprintf(buf, len, "%lluk", n / 1024);
	else
		snprintf(buf, len, "%llu", n);
}

void
format_duration(unsigned long long ms, char *buf, size_t len)
{
	if (ms != 0 && ms % 3600000 == 0)
		snprintf(buf, len, "%lluh", ms / 3600000);
	else if (ms != 0 && ms % 60000 == 0)
		snprintf(buf, len, "%llum", ms / 60000);
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%llus", ms / 1000);
	else
		snprintf(buf, len, "%llums", ms);
}
