/* Parsing of config values: numbers, sizes, durations, booleans. */
#ifndef ECHOD_UNITS_H
#define ECHOD_UNITS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Each parser returns 0 and stores the value, or returns -1 and writes a
 * reason such as "'12x' is not a number" or "'0' is out of range (1 to 64)"
 * into why[whylen].  The value text is escaped in the reason.
 */

/*
 * Writes "'VALUE' WHAT" into why[whylen], with the value escaped (it
 * comes from a file or the command line) and cut if long; returns -1.
 */
int value_error(char *why, size_t whylen, const char *value,
    const char *what);

/* A plain decimal integer in [min, max]. */
int parse_uint(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out, char *why, size_t whylen);

/* A byte count: decimal with an optional k or m suffix (1024-based). */
int parse_size(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out, char *why, size_t whylen);

/*
 * A duration: decimal with an optional ms, s, m or h suffix; a bare number
 * is seconds.  Stored in milliseconds; min and max are in milliseconds.
 */
int parse_duration(const char *s, unsigned long long min_ms,
    unsigned long long max_ms, unsigned long long *out_ms,
    char *why, size_t whylen);

/* File permissions in octal, "0660" or "660", at most max. */
int parse_mode(const char *s, unsigned long long max, unsigned long long *out,
    char *why, size_t whylen);

/* yes/no, true/false, on/off, 1/0 (case-insensitive). */
int parse_bool(const char *s, bool *out, char *why, size_t whylen);

/* Formats a size the way parse_size reads it back ("16k", "1m", "100"). */
void format_size(unsigned long long n, char *buf, size_t len);

/* Formats milliseconds the way parse_duration reads them back ("300s"). */
void format_duration(unsigned long long ms, char *buf, size_t len);

#endif
